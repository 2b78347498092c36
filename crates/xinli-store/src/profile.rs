//! The real-time profile: counters, recency/frequency/monetary, journey stage and trait signals,
//! updated one event at a time (no rescan), and the record segment expressions read.
//!
//! Field names follow `customers.csv` where the meaning is the same (`frequency`, `recency`,
//! `T`, `monetary`, `orders`, `total_spend`, `journey_stage`, `first_purchase`,
//! `last_purchase`), so a segment written for `xinli segment` runs here unchanged. Model outputs
//! (`p_alive`, `clv`, `churn_risk`, trait scores, persona) come from the batch analysis; until it
//! has run they are null, and a segment on them matches nobody rather than a guess.

use std::collections::{BTreeMap, VecDeque};
use std::cell::OnceCell;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use xinli_core::{EventType, Timestamp};
use xinli_journey::JourneyConfig;
use xinli_segment::{Record, Schema, Type, Value};

/// Activities kept for the journey rules: enough for the two latest sessions of any shopper
/// we have seen in the shared data sets' heads; older ones no longer decide a stage.
pub(crate) const RECENT_ACTIVITIES: usize = 64;

const DAY_MS: f64 = 86_400_000.0;

/// One of a profile's latest canonical events, as the journey rules read it: 16 bytes, the
/// session id kept as its [`xinli_journey::session_key`], so classifying every touched profile
/// at every commit neither hashes nor allocates per event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Activity {
    pub ts_ms: i64,
    pub event_type: EventType,
    pub session: u32,
}

/// The stored row's JSON leaves out zero counters and absent or empty fields: a typical
/// profile of the bench's shop (20 events, one order) goes from 395 to 278 bytes, and every
/// commit rewrites the rows of the profiles it touched. Reading fills them back in, and segment
/// SQL reads a missing counter as 0 (`segment_sql.rs`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    /// Every stored message of the customer, canonical or not.
    pub events: u64,
    /// Messages that map to no canonical event type (custom track events, identify, alias).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub other_events: u64,
    /// Canonical event type name → count.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_type: BTreeMap<String, u64>,
    /// Completed orders.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub orders: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub total_spend: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_order_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_order_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub coupon_orders: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cancelled_orders: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub returned_orders: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reviews: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rating_sum: i64,
    /// Not part of the stored row (which stays a few hundred bytes): the latest canonical
    /// events are in the events table, and loading a profile reads them back from there.
    #[serde(skip)]
    pub recent: VecDeque<Activity>,
    /// Ids of the segments the customer is in now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<i64>,
}

fn is_zero<T: Default + PartialEq>(x: &T) -> bool {
    *x == T::default()
}

/// The signals that are shares of the customer's canonical events: name → the types counted.
pub(crate) const EVENT_SHARE_SIGNALS: [(&str, &[EventType]); 4] = {
    use EventType::*;
    [
        ("info_seeking_event_share", &[Search, ReviewRead, Compare]),
        ("social_event_share", &[Share, ReferralSignup]),
        ("coupon_event_share", &[CouponClaim]),
        ("service_event_share", &[SupportContact, Complaint, ReturnRequest]),
    ]
};

impl Profile {
    fn seen(&mut self, ts_ms: i64) {
        if self.events == 0 || ts_ms < self.first_seen_ms {
            self.first_seen_ms = ts_ms;
        }
        self.last_seen_ms = self.last_seen_ms.max(ts_ms);
    }

    /// One stored message.
    pub fn record_event(&mut self, ts_ms: i64, event_type: Option<EventType>, session: Option<&str>) {
        self.seen(ts_ms);
        self.events += 1;
        match event_type {
            Some(t) => {
                match self.by_type.get_mut(t.name()) {
                    Some(n) => *n += 1,
                    None => {
                        self.by_type.insert(t.name().to_string(), 1);
                    }
                }
                let at = self.recent.partition_point(|a| a.ts_ms <= ts_ms);
                self.recent.insert(at, Activity { ts_ms, event_type: t, session: xinli_journey::session_key(session) });
                if self.recent.len() > RECENT_ACTIVITIES {
                    self.recent.pop_front();
                }
            }
            None => self.other_events += 1,
        }
    }

    /// A new completed order.
    pub fn record_order(&mut self, ts_ms: i64, amount: f64, coupon: bool) {
        self.orders += 1;
        self.total_spend += amount;
        self.coupon_orders += coupon as u64;
        self.first_order_ms = Some(self.first_order_ms.map_or(ts_ms, |f| f.min(ts_ms)));
        self.last_order_ms = Some(self.last_order_ms.map_or(ts_ms, |l| l.max(ts_ms)));
    }

    /// A completed order of `amount` became cancelled or returned.
    pub fn record_order_reversal(&mut self, amount: f64, returned: bool) {
        self.orders = self.orders.saturating_sub(1);
        self.total_spend = (self.total_spend - amount).max(0.0);
        if returned {
            self.returned_orders += 1;
        } else {
            self.cancelled_orders += 1;
        }
    }

    pub fn record_review(&mut self, rating: Option<i64>) {
        self.reviews += 1;
        self.rating_sum += rating.unwrap_or(0);
    }

    pub fn count(&self, t: EventType) -> u64 {
        self.by_type.get(t.name()).copied().unwrap_or(0)
    }

    /// The journey stage as of `as_of_ms`, by `xinli-journey`'s rules over the recent activities.
    pub fn journey_stage(&self, as_of_ms: i64) -> Option<&'static str> {
        let as_of = Timestamp::from_unix_seconds(as_of_ms.div_euclid(1000));
        let events = self.recent.iter().map(|a| (a.ts_ms.div_euclid(1000), a.event_type, a.session));
        xinli_journey::stage_of_one(as_of, &JourneyConfig::default(), events).map(|s| s.name())
    }

    /// Raw trait signals: shares of the customer's own behaviour, before the batch analysis
    /// shrinks them toward the shop (docs/psychology.md). Absent behaviour → absent signal.
    pub fn trait_signals(&self) -> BTreeMap<&'static str, f64> {
        use EventType::*;
        let canonical = (self.events - self.other_events) as f64;
        let mut out = BTreeMap::new();
        if canonical > 0.0 {
            for (name, types) in EVENT_SHARE_SIGNALS {
                out.insert(name, types.iter().map(|t| self.count(*t)).sum::<u64>() as f64 / canonical);
            }
        }
        if self.orders > 0 {
            out.insert("coupon_order_share", self.coupon_orders as f64 / self.orders as f64);
        }
        let views = self.count(ProductView);
        if views > 0 {
            out.insert("cart_per_view", self.count(AddToCart) as f64 / views as f64);
        }
        out
    }

    /// The stored form: exactly the bytes of `serde_json::to_writer(out, self)` (a test holds
    /// them equal), written field by field. The writer stores every touched profile at every
    /// commit, and serde's generic path (each key escaped, each map entry a call chain) was
    /// 8 % of the writer's time (perf, paced ingest at 50,000 events/s).
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) {
        // Every key but the first carries its comma: the first field is always written.
        fn number(out: &mut Vec<u8>, key: &[u8], n: impl itoa::Integer) {
            out.extend_from_slice(key);
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
        fn counter<N: itoa::Integer + Default + PartialEq>(out: &mut Vec<u8>, key: &[u8], n: N) {
            if !is_zero(&n) {
                number(out, key, n);
            }
        }
        number(out, b"{\"first_seen_ms\":", self.first_seen_ms);
        number(out, b",\"last_seen_ms\":", self.last_seen_ms);
        number(out, b",\"events\":", self.events);
        counter(out, b",\"other_events\":", self.other_events);
        if !self.by_type.is_empty() {
            out.extend_from_slice(b",\"by_type\":{");
            for (i, (name, n)) in self.by_type.iter().enumerate() {
                let separator: &[u8] = if i > 0 { b"," } else { b"" };
                out.extend_from_slice(separator);
                serde_json::to_writer(&mut *out, name).expect("a string serialises");
                number(out, b":", *n);
            }
            out.push(b'}');
        }
        counter(out, b",\"orders\":", self.orders);
        if !is_zero(&self.total_spend) {
            out.extend_from_slice(b",\"total_spend\":");
            serde_json::to_writer(&mut *out, &self.total_spend).expect("a number serialises");
        }
        if let Some(ms) = self.first_order_ms {
            number(out, b",\"first_order_ms\":", ms);
        }
        if let Some(ms) = self.last_order_ms {
            number(out, b",\"last_order_ms\":", ms);
        }
        counter(out, b",\"coupon_orders\":", self.coupon_orders);
        counter(out, b",\"cancelled_orders\":", self.cancelled_orders);
        counter(out, b",\"returned_orders\":", self.returned_orders);
        counter(out, b",\"reviews\":", self.reviews);
        counter(out, b",\"rating_sum\":", self.rating_sum);
        if !self.segments.is_empty() {
            for (i, id) in self.segments.iter().enumerate() {
                number(out, if i > 0 { b"," } else { b",\"segments\":[" }, *id);
            }
            out.push(b']');
        }
        out.push(b'}');
    }

    /// The profile as a segment record as of `now_ms`. Fields are computed on demand by name:
    /// evaluating segments after every event must not build a map per customer, and the
    /// writer, which stores every touched profile's stage, must not pay for purchase dates and
    /// trait signals no segment reads.
    pub fn record<'a>(&'a self, customer_id: &'a str, now_ms: i64) -> ProfileRecord<'a> {
        ProfileRecord {
            profile: self,
            customer_id,
            now_ms,
            purchases: OnceCell::new(),
            stage: self.journey_stage(now_ms),
            signals: OnceCell::new(),
        }
    }
}

fn iso_date(ms: i64) -> String {
    Timestamp::from_unix_seconds(ms.div_euclid(1000)).date().to_string()
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Field {
    Number(f64),
    Text(String),
}

/// A profile seen as a segment record (and, through [`ProfileRecord::fields`], as the
/// `profile` of the customer 360).
pub struct ProfileRecord<'a> {
    profile: &'a Profile,
    customer_id: &'a str,
    now_ms: i64,
    /// First and last purchase dates, formatted when a field asks.
    purchases: OnceCell<Option<(String, String)>>,
    stage: Option<&'static str>,
    signals: OnceCell<BTreeMap<&'static str, f64>>,
}

impl ProfileRecord<'_> {
    fn purchases(&self) -> Option<&(String, String)> {
        let p = self.profile;
        self.purchases.get_or_init(|| p.first_order_ms.zip(p.last_order_ms).map(|(f, l)| (iso_date(f), iso_date(l)))).as_ref()
    }

    fn signals(&self) -> &BTreeMap<&'static str, f64> {
        self.signals.get_or_init(|| self.profile.trait_signals())
    }

    pub fn journey_stage(&self) -> Option<&'static str> {
        self.stage
    }

    pub fn customer_id(&self) -> &str {
        self.customer_id
    }

    /// Every non-null field of [`live_schema`], by name.
    pub fn fields(&self) -> BTreeMap<String, Field> {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA
            .get_or_init(live_schema)
            .fields()
            .filter_map(|(name, _)| match self.get(name) {
                Value::Number(x) => Some((name.to_string(), Field::Number(x))),
                Value::Text(t) => Some((name.to_string(), Field::Text(t.to_string()))),
                Value::Bool(_) | Value::Null => None,
            })
            .collect()
    }
}

impl Record for ProfileRecord<'_> {
    fn get(&self, field: &str) -> Value<'_> {
        let p = self.profile;
        let days = |ms: i64| Value::Number(ms as f64 / DAY_MS);
        let first_last = p.first_order_ms.zip(p.last_order_ms);
        match field {
            "customer_id" => Value::Text(self.customer_id),
            "orders" => Value::Number(p.orders as f64),
            "total_spend" => Value::Number(p.total_spend),
            "events" => Value::Number(p.events as f64),
            "reviews" => Value::Number(p.reviews as f64),
            "last_seen_days" => days(self.now_ms - p.last_seen_ms),
            "journey_stage" => self.stage.map_or(Value::Null, Value::Text),
            // lifetimes' conventions: repeat purchases, first→last and first→now in days.
            "frequency" => first_last.map_or(Value::Null, |_| Value::Number(p.orders.saturating_sub(1) as f64)),
            "recency" => first_last.map_or(Value::Null, |(f, l)| days(l - f)),
            "T" => first_last.map_or(Value::Null, |(f, _)| days(self.now_ms - f)),
            "monetary" if p.orders > 0 => Value::Number(p.total_spend / p.orders as f64),
            "first_purchase" => self.purchases().map_or(Value::Null, |(f, _)| Value::Text(f)),
            "last_purchase" => self.purchases().map_or(Value::Null, |(_, l)| Value::Text(l)),
            other => {
                if let Some(t) = other.strip_prefix("count_").and_then(EventType::parse) {
                    Value::Number(p.count(t) as f64)
                } else if let Some(s) = other.strip_prefix("signal_") {
                    self.signals().get(s).map_or(Value::Null, |x| Value::Number(*x))
                } else {
                    Value::Null
                }
            }
        }
    }
}

/// Whether the live profile computes `field` itself (the names [`ProfileRecord`] answers);
/// every other field of [`live_schema`] comes from the latest batch analysis.
pub(crate) fn is_live_field(field: &str) -> bool {
    matches!(
        field,
        "customer_id" | "orders" | "total_spend" | "events" | "reviews" | "last_seen_days" | "journey_stage" | "frequency" | "recency" | "T"
            | "monetary" | "first_purchase" | "last_purchase"
    ) || field.starts_with("count_")
        || field.starts_with("signal_")
}

/// The fields a live segment may use: `customers.csv`'s columns (model outputs once a batch
/// analysis has written them back) plus the live counters.
pub fn live_schema() -> Schema {
    let mut schema = Schema::customers();
    for name in ["sessions", "satisfaction"] {
        schema.insert(name, Type::Number);
    }
    for name in ["next_best_action", "nba_reason", "nba_reason_zh", "nba_reason_en", "barrier_evidence", "barrier_evidence_zh", "barrier_evidence_en", "emotion"] {
        schema.insert(name, Type::Text);
    }
    for name in ["events", "reviews", "last_seen_days"] {
        schema.insert(name, Type::Number);
    }
    for t in EventType::ALL {
        schema.insert(&format!("count_{}", t.name()), Type::Number);
    }
    for s in ["info_seeking_event_share", "social_event_share", "coupon_event_share", "service_event_share", "coupon_order_share", "cart_per_view"] {
        schema.insert(&format!("signal_{s}"), Type::Number);
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn counters_and_rfm_follow_events() {
        let mut p = Profile::default();
        p.record_event(10 * H, Some(EventType::ProductView), Some("s1"));
        p.record_event(11 * H, Some(EventType::AddToCart), Some("s1"));
        p.record_event(12 * H, None, None);
        p.record_order(12 * H, 30.0, true);
        p.record_order(60 * H, 10.0, false);
        let r = p.record("u1", 84 * H);
        assert_eq!(r.get("orders"), Value::Number(2.0));
        assert_eq!(r.get("frequency"), Value::Number(1.0));
        assert_eq!(r.get("recency"), Value::Number(2.0));
        assert_eq!(r.get("T"), Value::Number(3.0));
        assert_eq!(r.get("monetary"), Value::Number(20.0));
        assert_eq!(r.get("count_add_to_cart"), Value::Number(1.0));
        assert_eq!(r.get("signal_coupon_order_share"), Value::Number(0.5));
        assert_eq!(r.get("clv"), Value::Null, "model outputs are unknown live");
        assert_eq!(p.events, 3);
        assert_eq!(p.other_events, 1);
        p.record_order_reversal(10.0, true);
        assert_eq!((p.orders, p.total_spend, p.returned_orders), (1, 30.0, 1));
    }

    #[test]
    fn journey_stage_uses_the_journey_rules() {
        let mut p = Profile::default();
        p.record_event(10 * H, Some(EventType::Search), Some("s"));
        p.record_event(10 * H + 1000, Some(EventType::ProductView), Some("s"));
        assert_eq!(p.journey_stage(11 * H), Some("information_search"));
        p.record_event(10 * H + 2000, Some(EventType::CheckoutStart), Some("s"));
        assert_eq!(p.journey_stage(11 * H), Some("purchase"));
        assert_eq!(p.journey_stage(11 * H + 31 * 24 * H), Some("dormant"));
    }

    #[test]
    fn recent_activities_stay_sorted_and_bounded() {
        let mut p = Profile::default();
        for i in (0..100).rev() {
            p.record_event(i * 1000, Some(EventType::PageView), None);
        }
        assert_eq!(p.recent.len(), RECENT_ACTIVITIES);
        assert!(p.recent.iter().zip(p.recent.iter().skip(1)).all(|(a, b)| a.ts_ms <= b.ts_ms));
        assert_eq!(p.first_seen_ms, 0);
        assert_eq!(p.last_seen_ms, 99_000);
    }

    #[test]
    fn stored_json_is_exactly_serdes() {
        let empty = Profile::default();
        let mut full = Profile::default();
        full.record_event(10 * H, Some(EventType::ProductView), Some("s1"));
        full.record_event(-3 * H, None, None);
        full.record_order(12 * H, 30.25, true);
        full.record_order(13 * H, 1e-7, false);
        full.record_order_reversal(1e-7, true);
        full.record_review(Some(-2));
        full.by_type.insert("quote \" and \u{7f} 心".to_string(), u64::MAX);
        full.segments = vec![3, -1, i64::MAX];
        full.first_seen_ms = i64::MIN;
        let mut odd = full.clone();
        odd.total_spend = f64::NAN;
        odd.first_order_ms = None;
        for (i, p) in [empty, full, odd].into_iter().enumerate() {
            let mut ours = Vec::new();
            p.write_json(&mut ours);
            assert_eq!(String::from_utf8(ours.clone()).unwrap(), serde_json::to_string(&p).unwrap());
            if i < 2 {
                let back: Profile = serde_json::from_slice(&ours).unwrap();
                assert_eq!(back, Profile { recent: VecDeque::new(), ..p }, "what is left out reads back as zero or absent");
            }
        }
    }

    #[test]
    fn rows_stored_before_zero_fields_were_left_out_still_read() {
        let old = r#"{"first_seen_ms":5,"last_seen_ms":9,"events":2,"other_events":0,"by_type":{"search":2},"orders":0,"total_spend":0.0,"first_order_ms":null,"last_order_ms":null,"coupon_orders":0,"cancelled_orders":0,"returned_orders":0,"reviews":0,"rating_sum":0,"segments":[]}"#;
        let p: Profile = serde_json::from_str(old).unwrap();
        assert_eq!((p.events, p.count(EventType::Search), p.orders, p.first_order_ms), (2, 2, 0, None));
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"first_seen_ms":5,"last_seen_ms":9,"events":2,"by_type":{"search":2}}"#);
    }

    #[test]
    fn customers_csv_segments_compile_against_the_live_schema() {
        let schema = live_schema();
        for src in ["frequency >= 2 and journey_stage = 'evaluation'", "clv > 100", "count_search > 3 or signal_cart_per_view > 0.5"] {
            xinli_segment::Expression::compile(src, Some(&schema)).unwrap();
        }
    }
}
