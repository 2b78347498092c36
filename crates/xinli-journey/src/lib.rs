//! Decision journey (决策旅程): where each customer stands in the buying process, and how
//! users move through an ordered funnel.
//!
//! * [`journey_stages`] — one [`JourneyStage`] per customer at an analysis date, by documented
//!   rules over their latest events (the rule table is in [`stage`] and `docs/journey.md`).
//! * [`funnel()`] — an ordered funnel with a conversion window measured from the step-1 event,
//!   per-step counts, conversion, drop-off and a breakdown by any per-user key (the exact
//!   rules are in [`funnel`](mod@funnel) and the same page).
//!
//! ```
//! use xinli_core::{CustomerId, Event, EventType::*, Subject, Timestamp};
//! use xinli_journey::{by_via, funnel};
//!
//! let who = Subject::Customer(CustomerId::parse("c1").unwrap());
//! let at = |ts: i64, t, via: Option<&str>| Event {
//!     ts: Timestamp::from_unix_seconds(ts), subject: who.clone(), session_id: None, event_type: t,
//!     product_id: None, category: None, query: None, value: None,
//!     properties: via.map(|v| format!(r#"{{"via":"{v}"}}"#)), extra: Vec::new(),
//! };
//! let events = [at(0, ProductView, Some("ad")), at(60, AddToCart, None), at(9_000, Purchase, None)];
//! let report = funnel(&events, &[ProductView, AddToCart, Purchase], 3_600, by_via);
//! let users: Vec<u64> = report.steps.iter().map(|s| s.users).collect();
//! assert_eq!(users, [1, 1, 0]); // the purchase came after the 1-hour window
//! assert_eq!(report.breakdown[0].key, "ad");
//! ```

pub mod funnel;
pub mod stage;

pub use funnel::{
    by_customer, by_via, first_order_channel, funnel, funnel_users, step_stats, FunnelFold, FunnelGroup, FunnelSteps, FunnelReport, Reached, StepStat,
    UserFunnel,
};
pub use stage::{journey_stages, session_key, stage_of_one, CustomerJourney, JourneyConfig, JourneyFold, JourneyStage};
