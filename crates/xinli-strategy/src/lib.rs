//! Strategy: from what xinli knows about each customer to what the shop should do next.
//!
//! * [`playbook`]: the **playbook**, TOML a shop can edit ([`DEFAULT_PLAYBOOK_TOML`] is built
//!   in): actions, and rules in priority order whose conditions are segment-language expressions
//!   (`when = "value_tier = 'high' and churn_risk >= 0.5"`) with one-line reasons in Chinese
//!   and English that fill in the customer's values ([`template`]). [`Playbook::decide`] gives a
//!   customer's **next best action**. Errors name the file, line and column.
//! * [`signals`] and [`barrier`]: the **main barrier** of a customer who stalled (abandoned a
//!   cart or payment, returned, rated low, lapsed) — quality, price, trust, logistics, service
//!   or range — chosen by how far the customer's incidents exceed the shop's own rate, with the
//!   evidence in both languages.
//! * [`drivers`]: **churn drivers** — a back-test on the shop's history: which experiences
//!   separate customers who churned from those who stayed, each with a risk difference
//!   (Newcombe's 95 % interval) and a log odds ratio (Woolf's interval), from [`stats`].
//! * [`lifecycle`]: lifecycle states (prospect, new, active, at risk, lapsed), the fields rules
//!   may read ([`lifecycle::schema`]) and the per-segment summary (persona × lifecycle: size,
//!   CLV, expected loss and the action chosen).
//!
//! The rules and their justification: `docs/strategy.md`.
//!
//! ```
//! use xinli_segment::{MapRecord, Scalar};
//! use xinli_strategy::{lifecycle, Lang, Playbook};
//!
//! let schema = lifecycle::schema();
//! let playbook = Playbook::default_with(&schema).unwrap();
//! let mut customer = MapRecord::new();
//! for (k, v) in [("persona", Scalar::from("price_sensitive")), ("lifecycle", "active".into()),
//!                ("orders", 5.0.into()), ("signal_discount_line_share", 0.71.into())] {
//!     customer.insert(k.to_string(), v);
//! }
//! let nba = playbook.decide(&customer, Lang::Zh).unwrap();
//! assert_eq!(nba.action.id, "price_drop_alert");
//! assert_eq!(nba.reason, "买过 5 次、71% 在折扣时购买：推送降价提醒");
//! ```

pub mod barrier;
pub mod drivers;
pub mod lifecycle;
pub mod playbook;
pub mod signals;
pub mod stats;
pub mod template;

pub use barrier::{barrier_counts, barriers, main_barrier, Barrier, BarrierConfig, CustomerBarrier, ShopRates};
pub use drivers::{churn_drivers, churn_drivers_from, driver_cutoff, ChurnDriver, ChurnDrivers};
pub use lifecycle::{Lifecycle, LifecycleConfig, SegmentStrategy, SegmentSummary};
pub use playbook::{Action, Decision, Playbook, PlaybookError, Rule, DEFAULT_PLAYBOOK_TOML};
pub use signals::{collect, CustomerSignals, SignalFold, SignalTable};
pub use stats::Interval;
pub use template::{Lang, Template};
