//! State shared while importing: the shop being built (with id interners) and per-file accounting.

use crate::summary::{truncate_value, FileSummary, QuarantineEntry};
use crate::text::Interner;
use crate::ImportError;
use crate::SharedEventSink;
use xinli_core::{CampaignId, Category, CustomerId, Event, OrderId, ProductId, ReviewId, Shop};

/// The shop under construction; ids are interned so repeated ids share one allocation.
pub(crate) struct Builder {
    pub shop: Shop,
    /// Where canonical events go instead of `shop.events` (see [`crate::EventSink`]).
    pub event_sink: Option<SharedEventSink>,
    sink_begun: bool,
    pub events_streamed: u64,
    pub customers: Interner<CustomerId>,
    pub products: Interner<ProductId>,
    pub orders: Interner<OrderId>,
    pub categories: Interner<Category>,
    pub campaigns: Interner<CampaignId>,
    pub reviews: Interner<ReviewId>,
}

impl Builder {
    pub(crate) fn new() -> Self {
        Builder {
            shop: Shop::default(),
            event_sink: None,
            sink_begun: false,
            events_streamed: 0,
            customers: Interner::new(),
            products: Interner::new(),
            orders: Interner::new(),
            categories: Interner::new(),
            campaigns: Interner::new(),
            reviews: Interner::new(),
        }
    }

    /// Keeps `event` in the shop, or hands it to the event sink (beginning it first).
    pub(crate) fn push_event(&mut self, event: Event) {
        match &self.event_sink {
            None => self.shop.events.push(event),
            Some(sink) => {
                let mut sink = sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if !self.sink_begun {
                    sink.begin(&self.shop);
                    self.sink_begun = true;
                }
                sink.event(&event);
                self.events_streamed += 1;
            }
        }
    }
}

/// Accounting for one file: every row read ends accepted, quarantined or filtered by a rule.
pub(crate) struct FileRun<'q> {
    pub summary: FileSummary,
    pub strict: bool,
    pub quarantine: &'q mut Vec<QuarantineEntry>,
    pub max_entries: usize,
    pub dropped_entries: u64,
}

impl<'q> FileRun<'q> {
    #[inline]
    pub(crate) fn accept(&mut self) {
        self.summary.accepted += 1;
    }

    #[inline]
    pub(crate) fn filter(&mut self, rule: &'static str) {
        if let Some(n) = self.summary.filtered.get_mut(rule) {
            *n += 1;
        } else {
            self.summary.filtered.insert(rule.to_string(), 1);
        }
    }

    /// Records a malformed row; with `strict`, the first one is the import's error.
    pub(crate) fn quarantine(&mut self, line: u64, column: &str, value: &str, reason: &str) -> Result<(), ImportError> {
        if self.strict {
            return Err(ImportError::BadRow {
                path: self.summary.path.clone(),
                line,
                column: column.to_string(),
                value: truncate_value(value),
                reason: reason.to_string(),
            });
        }
        self.summary.quarantined += 1;
        if self.quarantine.len() < self.max_entries {
            self.quarantine.push(QuarantineEntry {
                file: self.summary.path.clone(),
                line,
                column: column.to_string(),
                value: truncate_value(value),
                reason: truncate_value(reason),
            });
        } else {
            self.dropped_entries += 1;
        }
        Ok(())
    }
}
