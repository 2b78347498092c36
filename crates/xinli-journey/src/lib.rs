//! Decision journey (决策旅程): where each customer stands in the buying process, and how
//! users move through an ordered funnel.
//!
//! * [`journey_stages`] — one [`JourneyStage`] per customer at an analysis date, by documented
//!   rules over their latest events (the rule table is in [`stage`] and `docs/journey.md`).
//! * [`funnel`] — an ordered funnel with a conversion window measured from the step-1 event,
//!   per-step counts, conversion, drop-off and a breakdown by any per-user key (the exact
//!   rules are in [`funnel`](mod@funnel) and `docs/journey.md`).

pub mod funnel;
pub mod stage;

pub use funnel::{by_customer, by_via, first_order_channel, funnel, funnel_users, FunnelGroup, FunnelReport, StepStat, UserFunnel};
pub use stage::{journey_stages, CustomerJourney, JourneyConfig, JourneyStage};
