//! Everything the analysis reads from events, computed while the events stream past.
//!
//! [`EventFolds`] is the importer's [`EventSink`]: for a canonical directory the importer hands
//! it each event as it is parsed, so `shop.events` stays empty and a shop with 10⁸ events costs
//! a few bytes per event (see the folds in `xinli-psych` and `xinli-journey`). Importers that
//! keep events in `shop.events` (presets, mappings, single files) are folded afterwards by
//! [`EventFolds::take`] — one code path either way.

use crate::{AnalyzeConfig, AnalyzeError, Purchases};
use std::sync::{Arc, Mutex};
use xinli_core::{CustomerId, Event, EventType, Shop, Subject};
use xinli_ingest::EventSink;
use xinli_journey::{CustomerJourney, FunnelReport, FunnelSteps, JourneyConfig, JourneyFold};
use xinli_psych::{TraitConfig, TraitFold, TraitTable};
use xinli_strategy::SignalFold;

/// The purchase funnel of the report: view → cart → checkout → payment → purchase.
pub const FUNNEL_STEPS: [EventType; 5] =
    [EventType::ProductView, EventType::AddToCart, EventType::CheckoutStart, EventType::PaymentStart, EventType::Purchase];
/// A user counts at a step only within this long after their product view.
pub const FUNNEL_WINDOW_SECONDS: i64 = 24 * 3600;

struct Begun {
    purchases: Purchases,
    traits: TraitFold,
    /// The journey fold's event log also gives the funnel.
    journeys: JourneyFold,
    signals: SignalFold,
}

/// The folds, before and after the first event.
pub struct EventFolds {
    config: AnalyzeConfig,
    state: Option<Result<Begun, AnalyzeError>>,
    events: u64,
}

/// What the events gave, with the purchases the folds were dated by.
pub struct EventResults {
    pub purchases: Purchases,
    pub traits: TraitTable,
    pub journeys: Vec<CustomerJourney>,
    pub funnel: FunnelUsers,
    /// The barrier and churn-driver signals, tabled later at the dates the strategy needs.
    pub signals: SignalFold,
    /// Events seen (streamed or kept in the shop).
    pub events: u64,
}

/// Each user who entered the funnel and how far they got, for reports by any per-user key.
pub struct FunnelUsers {
    pub users: Vec<(Subject, usize)>,
}

impl FunnelUsers {
    /// The funnel with a breakdown by a per-customer key (anonymous users count in the totals).
    pub fn report(&self, key: impl Fn(&CustomerId) -> Option<String>) -> FunnelReport {
        let users = self.users.iter().map(|(s, reached)| {
            let k = match s {
                Subject::Customer(id) => key(id),
                Subject::Anonymous(_) => None,
            };
            (*reached, k)
        });
        FunnelReport::from_users(&FUNNEL_STEPS, FUNNEL_WINDOW_SECONDS, users)
    }
}

impl EventFolds {
    pub fn new(config: &AnalyzeConfig) -> Arc<Mutex<EventFolds>> {
        Arc::new(Mutex::new(EventFolds { config: config.clone(), state: None, events: 0 }))
    }

    fn start(&mut self, shop: &Shop) {
        self.state = Some(Purchases::from_shop(shop, &self.config).map(|purchases| {
            let as_of = purchases.calibration_end;
            Begun {
                traits: TraitFold::new(shop, as_of, &TraitConfig::default()),
                journeys: JourneyFold::new(as_of, &JourneyConfig::default()),
                signals: SignalFold::new(shop),
                purchases,
            }
        }));
    }

    /// Takes the folds back from the importer, folds any events the importer kept in the shop,
    /// and finishes.
    pub fn take(folds: Arc<Mutex<EventFolds>>, shop: &Shop) -> Result<EventResults, AnalyzeError> {
        let mut folds = match Arc::try_unwrap(folds) {
            Ok(m) => m.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner),
            Err(_) => return Err(AnalyzeError::Config("internal: the importer still holds the event folds".into())),
        };
        if folds.state.is_none() {
            folds.start(shop);
        }
        for e in &shop.events {
            folds.event(e);
        }
        let events = folds.events;
        let begun = folds.state.expect("started")?;
        // The journeys first: their event log is the largest buffer, freed before the trait
        // scores allocate theirs.
        let (journeys, funnel) = begun.journeys.finish_with_funnel(shop, Some(&FunnelSteps::new(&FUNNEL_STEPS, FUNNEL_WINDOW_SECONDS)));
        let traits = begun.traits.finish(shop);
        Ok(EventResults {
            traits,
            journeys,
            funnel: FunnelUsers { users: funnel },
            signals: begun.signals,
            purchases: begun.purchases,
            events,
        })
    }
}

impl EventSink for EventFolds {
    fn begin(&mut self, shop: &Shop) {
        self.start(shop);
    }

    fn event(&mut self, e: &Event) {
        self.events += 1;
        if let Some(Ok(b)) = &mut self.state {
            b.traits.observe(e);
            b.journeys.observe(e);
            b.signals.observe(e);
        }
    }
}

