//! The journey stage of each customer at an analysis date.
//!
//! # Activity
//!
//! A customer's activity up to `as_of` (inclusive) is: their events (known customers and
//! anonymous visitors alike, each its own subject), their completed or returned order lines
//! (a *purchase* at `ordered_at`; cancelled lines are ignored) and the reviews they wrote.
//! Subjects with no activity up to `as_of` are not listed.
//!
//! **Sessions**: events with a `session_id` belong to that session; every other activity is cut
//! into sessions by silence longer than `session_gap_minutes` (default 30). The *latest
//! session* is the run of activities, at the end of the time-sorted history, that share the
//! last activity's session; the *latest sessions* are the shortest such run at the end that
//! covers `recent_sessions` (default 2) sessions.
//!
//! # Rules — the first that matches wins
//!
//! | # | stage | rule |
//! |---|---|---|
//! | 1 | `dormant` | the last activity is more than `dormant_days` (default 30) before `as_of` |
//! | 2 | `purchase` | the latest session has `checkout_start`, `payment_start` or `purchase` (or an order line) |
//! | 3 | `post_purchase` | the last purchase is at most `post_purchase_days` (default 14) before `as_of`, and no *shopping* event (`product_view`, `search`, `review_read`, `compare`, `add_to_cart`, `wishlist`, `checkout_start`, `payment_start`) came after it — only service or social activity (reviews written, `support_contact`, `complaint`, `return_request`, `share`, `referral_signup`, page views, logins, campaign opens …) or none |
//! | 4 | `evaluation` | among the *considered events* — the events of the latest sessions after the last purchase — there is a `compare`, `review_read`, `add_to_cart`, `remove_from_cart`, `wishlist`, or an abandoned `checkout_start`/`payment_start` |
//! | 5 | `information_search` | `search` + `product_view` are at least `search_share` (default 0.5) of the considered events |
//! | 6 | `need_recognition` | anything else: first visits and returns made of page views, campaign arrivals (`campaign_open`/`campaign_click`), logins, coupon claims … with little or no product looking |
//!
//! Rule 2 is checked before rule 3: a customer whose latest session ended in a purchase is in
//! `purchase` until their next session (or dormancy). Rules 4–6 look only at what happened
//! after the last purchase, so a customer who bought and came back browsing has started a new
//! cycle.

use crate::funnel::FunnelSteps;
use xinli_core::{Event, EventType, OrderStatus, Shop, Subject, Timestamp};

/// A stage of the consumer decision process (Engel–Kollat–Blackwell), plus `dormant`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JourneyStage {
    NeedRecognition,
    InformationSearch,
    Evaluation,
    Purchase,
    PostPurchase,
    Dormant,
}

impl JourneyStage {
    pub const ALL: [JourneyStage; 6] = [
        JourneyStage::NeedRecognition,
        JourneyStage::InformationSearch,
        JourneyStage::Evaluation,
        JourneyStage::Purchase,
        JourneyStage::PostPurchase,
        JourneyStage::Dormant,
    ];

    pub fn name(self) -> &'static str {
        match self {
            JourneyStage::NeedRecognition => "need_recognition",
            JourneyStage::InformationSearch => "information_search",
            JourneyStage::Evaluation => "evaluation",
            JourneyStage::Purchase => "purchase",
            JourneyStage::PostPurchase => "post_purchase",
            JourneyStage::Dormant => "dormant",
        }
    }
}

/// Settings of [`journey_stages`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JourneyConfig {
    pub dormant_days: i64,
    pub post_purchase_days: i64,
    pub session_gap_minutes: i64,
    pub recent_sessions: usize,
    pub search_share: f64,
}

impl Default for JourneyConfig {
    fn default() -> Self {
        JourneyConfig { dormant_days: 30, post_purchase_days: 14, session_gap_minutes: 30, recent_sessions: 2, search_share: 0.5 }
    }
}

/// One customer's stage and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CustomerJourney {
    pub customer_id: String,
    pub anonymous: bool,
    pub stage: JourneyStage,
    /// The rule that matched (1–6, the table's numbering).
    pub rule: u8,
    pub last_activity: Timestamp,
    pub last_purchase: Option<Timestamp>,
    /// Events the rules 4–6 looked at.
    pub considered_events: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    Event(EventType),
    Order,
    Review,
}

impl Act {
    fn is_purchase(self) -> bool {
        matches!(self, Act::Order | Act::Event(EventType::Purchase))
    }
}

fn is_shopping(t: EventType) -> bool {
    use EventType::*;
    matches!(t, ProductView | Search | ReviewRead | Compare | AddToCart | Wishlist | CheckoutStart | PaymentStart)
}

fn is_evaluation(t: EventType) -> bool {
    use EventType::*;
    matches!(t, Compare | ReviewRead | AddToCart | RemoveFromCart | Wishlist | CheckoutStart | PaymentStart)
}

/// One activity of a subject, compact (16 bytes) so 10⁸ events fit in memory: `ts` is in
/// seconds relative to `as_of` (> 0: after it, read by the funnel only; ±68 years fit),
/// `session` a 32-bit hash of the `session_id` (0 = none; two sessions of one subject colliding
/// is negligible, ≈ n²/2³³).
#[derive(Clone, Copy)]
struct Activity {
    ts: i32,
    session: u32,
    subject: u32,
    act: Act,
}

/// The seed of the session hash: fixed, so a run's stages do not depend on the process.
const SESSION_SEED: u64 = 0x5eed;

/// An event's session id as the rules compare sessions: a 32-bit hash, 0 for none (a blank id
/// is none). A live profile keeps this instead of the id, so classifying it hashes nothing.
pub fn session_key(session_id: Option<&str>) -> u32 {
    let hasher = foldhash::fast::FixedState::with_seed(SESSION_SEED);
    session_id.map(str::trim).filter(|s| !s.is_empty()).map_or(0, |s| (std::hash::BuildHasher::hash_one(&hasher, s) as u32) | 1)
}

impl Activity {
    /// An activity at `ts` (unix seconds) relative to the cut `cut`; `session` from [`session_key`].
    fn new(cut: i64, ts: i64, act: Act, session: u32, subject: u32) -> Activity {
        let ts = (ts - cut).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        Activity { ts, session, subject, act }
    }
}

/// The stage of one subject that has only these events, (unix seconds, type, [`session_key`]) each:
/// what [`JourneyFold`] gives it, without the fold's bookkeeping for many subjects (a live
/// profile classifies one customer at a time: the fold's subject map, names and output were
/// most of a profile update's journey cost). `None` when no event is at or before `as_of`.
pub fn stage_of_one(
    as_of: Timestamp,
    config: &JourneyConfig,
    events: impl IntoIterator<Item = (i64, EventType, u32)>,
) -> Option<JourneyStage> {
    let cut = as_of.unix_seconds();
    let mut acts: Vec<Activity> = events.into_iter().map(|(ts, t, session)| Activity::new(cut, ts, Act::Event(t), session, 0)).collect();
    // Stable, as the fold's sort: events of one second keep their order.
    acts.sort_by_key(|a| a.ts);
    let run = &acts[..acts.partition_point(|a| a.ts <= 0)];
    (!run.is_empty()).then(|| classify(run, config).0)
}

/// [`journey_stages`] with the events streamed: [`JourneyFold::observe`] takes each event,
/// [`JourneyFold::finish`] adds the shop's order lines and reviews and classifies. The same log
/// of activities also gives an ordered funnel ([`JourneyFold::finish_with_funnel`]), so a
/// pipeline needs no second copy of the events for it.
pub struct JourneyFold {
    cut: i64,
    config: JourneyConfig,
    subjects: foldhash::HashMap<Subject, u32>,
    names: Vec<Subject>,
    acts: Vec<Activity>,
    last: Option<(Subject, u32)>,
}

impl JourneyFold {
    pub fn new(as_of: Timestamp, config: &JourneyConfig) -> JourneyFold {
        JourneyFold {
            cut: as_of.unix_seconds(),
            config: config.clone(),
            subjects: foldhash::HashMap::default(),
            names: Vec::new(),
            acts: Vec::new(),
            last: None,
        }
    }

    fn subject(&mut self, s: &Subject) -> u32 {
        if let Some((last, i)) = &self.last {
            if last == s {
                return *i;
            }
        }
        let i = match self.subjects.get(s) {
            Some(&i) => i,
            None => {
                self.names.push(s.clone());
                let i = (self.names.len() - 1) as u32;
                self.subjects.insert(s.clone(), i);
                i
            }
        };
        self.last = Some((s.clone(), i));
        i
    }

    fn push(&mut self, subject: &Subject, ts: i64, act: Act, session: u32) {
        let subject = self.subject(subject);
        self.acts.push(Activity::new(self.cut, ts, act, session, subject));
    }

    /// Takes one event (events after `as_of` are kept for the funnel only).
    pub fn observe(&mut self, e: &Event) {
        self.push(&e.subject, e.ts.unix_seconds(), Act::Event(e.event_type), session_key(e.session_id.as_deref()));
    }

    /// Adds `shop`'s order lines and reviews (its `events` are not read) and classifies.
    pub fn finish(self, shop: &Shop) -> Vec<CustomerJourney> {
        self.finish_with_funnel(shop, None).0
    }

    /// [`JourneyFold::finish`], plus with `funnel` each user who entered it and the furthest step
    /// reached — the same users and steps as a [`crate::FunnelFold`] fed the same events.
    pub fn finish_with_funnel(mut self, shop: &Shop, funnel: Option<&FunnelSteps>) -> (Vec<CustomerJourney>, Vec<(Subject, usize)>) {
        let cut = self.cut;
        for l in shop.orders.iter().filter(|l| l.status != OrderStatus::Cancelled && l.ordered_at.unix_seconds() <= cut) {
            self.push(&Subject::Customer(l.customer_id.clone()), l.ordered_at.unix_seconds(), Act::Order, 0);
        }
        for r in shop.reviews.iter().filter(|r| r.ts.unix_seconds() <= cut) {
            if let Some(c) = &r.customer_id {
                self.push(&Subject::Customer(c.clone()), r.ts.unix_seconds(), Act::Review, 0);
            }
        }
        // Stable: activities at the same second keep their arrival order (events, then orders,
        // then reviews).
        self.acts.sort_by_key(|a| (a.subject, a.ts));
        let mut out = Vec::with_capacity(self.names.len());
        let mut reached = Vec::new();
        for run in self.acts.chunk_by(|a, b| a.subject == b.subject) {
            let name = &self.names[run[0].subject as usize];
            if let Some(steps) = funnel {
                let events = run.iter().filter_map(|a| match a.act {
                    Act::Event(t) => Some((i64::from(a.ts), t, 0)),
                    _ => None,
                });
                if let Some((furthest, _)) = steps.reach(events) {
                    reached.push((name.clone(), furthest));
                }
            }
            // Up to `as_of` only.
            let run = &run[..run.partition_point(|a| a.ts <= 0)];
            if run.is_empty() {
                continue;
            }
            let (stage, rule, last_purchase, considered) = classify(run, &self.config);
            let (id, anonymous) = match name {
                Subject::Customer(id) => (id.as_str().to_string(), false),
                Subject::Anonymous(id) => (id.as_str().to_string(), true),
            };
            out.push(CustomerJourney {
                customer_id: id,
                anonymous,
                stage,
                rule,
                last_activity: Timestamp::from_unix_seconds(self.cut + i64::from(run[run.len() - 1].ts)),
                last_purchase: last_purchase.map(|t| Timestamp::from_unix_seconds(self.cut + t)),
                considered_events: considered,
            });
        }
        out.sort_by(|a, b| (a.anonymous, &a.customer_id).cmp(&(b.anonymous, &b.customer_id)));
        (out, reached)
    }
}

/// The journey stage of every subject with activity up to `as_of`, sorted by (anonymous,
/// customer id). Rules: see the [module docs](self).
pub fn journey_stages(shop: &Shop, as_of: Timestamp, config: &JourneyConfig) -> Vec<CustomerJourney> {
    let mut fold = JourneyFold::new(as_of, config);
    for e in &shop.events {
        fold.observe(e);
    }
    fold.finish(shop)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SessionKey {
    Named(u32),
    Gap(usize),
}

/// (stage, rule, last purchase, considered events) for one subject's time-sorted activity.
/// Times are relative to `as_of` (so `as_of` is 0 here; the last purchase is returned relative).
fn classify(acts: &[Activity], config: &JourneyConfig) -> (JourneyStage, u8, Option<i64>, usize) {
    let (day, as_of) = (86_400, 0);
    let last = i64::from(acts.last().expect("non-empty").ts);
    let last_purchase = acts.iter().rev().find(|a| a.act.is_purchase()).map(|a| i64::from(a.ts));
    // 1. dormant
    if as_of - last > config.dormant_days * day {
        return (JourneyStage::Dormant, 1, last_purchase, 0);
    }
    // Sessions.
    let gap = config.session_gap_minutes.max(0) * 60;
    let mut keys = Vec::with_capacity(acts.len());
    let (mut gap_id, mut prev_unnamed): (usize, Option<i64>) = (0, None);
    for a in acts {
        keys.push(match a.session {
            0 => {
                if prev_unnamed.is_some_and(|p| i64::from(a.ts) - p > gap) {
                    gap_id += 1;
                }
                prev_unnamed = Some(i64::from(a.ts));
                SessionKey::Gap(gap_id)
            }
            named => SessionKey::Named(named),
        });
    }
    let latest_key = *keys.last().expect("non-empty");
    let latest_start = keys.iter().rposition(|k| *k != latest_key).map_or(0, |p| p + 1);
    // 2. purchase
    let in_checkout = |a: &Activity| {
        matches!(a.act, Act::Order | Act::Event(EventType::CheckoutStart | EventType::PaymentStart | EventType::Purchase))
    };
    if acts[latest_start..].iter().any(in_checkout) {
        return (JourneyStage::Purchase, 2, last_purchase, 0);
    }
    // 3. post_purchase
    if let Some(lp) = last_purchase {
        let shopping_after = acts.iter().any(|a| i64::from(a.ts) > lp && matches!(a.act, Act::Event(t) if is_shopping(t)));
        if as_of - lp <= config.post_purchase_days * day && !shopping_after {
            return (JourneyStage::PostPurchase, 3, last_purchase, 0);
        }
    }
    // The latest sessions: the shortest suffix covering `recent_sessions` distinct sessions.
    let mut seen: Vec<SessionKey> = Vec::new();
    let mut start = acts.len();
    for (i, k) in keys.iter().enumerate().rev() {
        if !seen.contains(k) {
            if seen.len() == config.recent_sessions.max(1) {
                break;
            }
            seen.push(*k);
        }
        start = i;
    }
    let considered: Vec<EventType> = acts[start..]
        .iter()
        .filter(|a| last_purchase.is_none_or(|lp| i64::from(a.ts) > lp))
        .filter_map(|a| match a.act {
            Act::Event(t) => Some(t),
            _ => None,
        })
        .collect();
    let n = considered.len();
    // 4. evaluation
    if considered.iter().any(|&t| is_evaluation(t)) {
        return (JourneyStage::Evaluation, 4, last_purchase, n);
    }
    // 5. information_search
    let looking = considered.iter().filter(|&&t| matches!(t, EventType::Search | EventType::ProductView)).count();
    if looking > 0 && looking as f64 >= config.search_share * n as f64 {
        return (JourneyStage::InformationSearch, 5, last_purchase, n);
    }
    // 6. need_recognition
    (JourneyStage::NeedRecognition, 6, last_purchase, n)
}
