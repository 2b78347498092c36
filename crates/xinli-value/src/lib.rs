//! Customer value: RFM scores and segments, value concentration, cohorts, and a back-tested
//! churn model.
//!
//! Every function takes the shop's [`Transaction`]s (one per order: customer index, time,
//! amount) and an analysis date. The analysis date is a calibration end and is **inclusive at
//! day level**: every transaction whose UTC calendar day is on or before the analysis date's
//! day counts, later ones are ignored (so callers may pass the whole history, holdout included,
//! without leaking it). Days are [`Timestamp::day_index`] days; "days since" is a difference
//! of day indices, so two purchases on the same day are 0 days apart.
//!
//! Customers are the `customer` indices of the transactions; a customer with no purchase on or
//! before the analysis date does not appear in any output. Empty input gives empty outputs
//! (and `None` where a single number is undefined); no function panics or returns NaN on
//! ties, zero amounts or degenerate data. Non-finite amounts are read as 0.
//!
//! Modules:
//! - [`rfm`](mod@rfm): recency / frequency / monetary, quintile scores and named segments;
//! - [`concentration`](mod@concentration): Lorenz curve, Pareto (80/20) shares, Gini, value tiers;
//! - [`cohort`](mod@cohort): monthly acquisition cohorts, retention by month offset, repeat rate;
//! - [`churn`]: a supervised "will buy again within H days" model trained by back-testing on
//!   the shop's own history (logistic regression and gradient-boosted trees, implemented here);
//! - [`metrics`]: AUC, MAE, log-loss, calibration bins.
//!
//! [`Timestamp::day_index`]: xinli_core::Timestamp::day_index

pub mod churn;
pub mod cohort;
pub mod concentration;
pub mod metrics;
pub mod rfm;

mod history;

pub use churn::{
    predict_churn, ChurnConfig, ChurnModel, ChurnOutcome, ChurnReport, CustomerChurn, ModelKind,
};
pub use cohort::{cohorts, Cohort, CohortTable};
pub use concentration::{concentration, value_tiers, Concentration, LorenzPoint, ValueTier};
pub use rfm::{rfm, RfmCustomer, RfmTable, Segment};
pub use xinli_core::{Timestamp, Transaction};
