//! Customer value: RFM scores and segments, value concentration, cohorts, and a back-tested churn model.
