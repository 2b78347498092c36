//! Customer-base ("buy 'til you die") models for e-commerce customer analytics: BG/NBD, MBG/NBD,
//! Pareto/NBD, Gamma-Gamma spend, customer lifetime value, automatic model choice, and a generative
//! simulator. The model code follows the published math (each likelihood and prediction cites its paper
//! and equation) and is tested against the papers' own numbers on the CDNOW data.
//!
//! # How to use
//!
//! 1. **Summarise** transactions into per-customer (x, t_x, T, monetary value), lifetimes-style:
//!    [`summarize`] (and [`holdout_summary`] for a validation period).
//! 2. **Fit** a transaction model on the summaries' [`Rft`] triples — [`BgNbd::fit`], [`MbgNbd::fit`],
//!    [`ParetoNbd::fit`], or [`select_model`] for `--model auto` — and [`GammaGamma::fit`] on
//!    (frequency, monetary value). Check `report()` ([`FitReport`]): `converged`, `boundary`, standard errors.
//! 3. **Predict** through the [`TransactionModel`] trait: `p_alive`, `conditional_expected_purchases`,
//!    `expected_purchases`, `prob_no_purchase_within` (churn risk), `expected_next_purchase_wait`; and
//!    value customers with [`customer_lifetime_value`].
//!
//! ```no_run
//! use xinli_clv::*;
//! use xinli_core::{TimeUnit, Timestamp, Transaction};
//! # fn run(transactions: Vec<Transaction>, n_customers: usize) -> xinli_clv::Result<()> {
//! let end = Timestamp::parse("1997-09-30").unwrap().end_of_day();
//! let cal = summarize(&transactions, n_customers, end, TimeUnit::Weeks)?;
//! let rft = cal.rfts();
//! let model = BgNbd::fit(&rft, &FitOptions::default())?;
//! assert!(model.report().converged);
//! let alive = model.p_alive(&rft)?;
//! let next_quarter = model.conditional_expected_purchases(&rft, 13.0)?;
//! let (freq, money): (Vec<u32>, Vec<f64>) = cal.present().map(|(_, s)| (s.frequency, s.monetary_value)).unzip();
//! let spend_model = GammaGamma::fit(&freq, &money, &FitOptions::default())?;
//! let spend = spend_model.conditional_expected_average_spend(&freq, &money)?;
//! let clv = customer_lifetime_value(&model, &rft, &spend,
//!     &ClvOptions { horizon: 52.0, unit: TimeUnit::Weeks, annual_discount_rate: 0.1 })?;
//! # let _ = (alive, next_quarter, clv); Ok(()) }
//! ```
//!
//! Every numeric output is finite or an explicit [`ClvError`]; fits on a boundary of the parameter space
//! (e.g. no dropout in the data) say so in [`FitReport::boundary`] and predict with the nested model.
//! Fitting groups customers by distinct (x, t_x, T) ([`Patterns`]), so its cost grows with the number of
//! distinct patterns, not customers.

pub mod bgnbd;
pub mod clv;
pub mod error;
pub mod gamma_gamma;
pub mod mbgnbd;
pub mod model;
pub mod optimize;
pub mod pareto;
pub mod select;
pub mod simulate;
pub mod special;
pub mod summary;

pub use bgnbd::{BgNbd, BgNbdParams, MbgNbd, NbdParams};
pub use clv::{customer_lifetime_value, ClvOptions};
pub use error::{ClvError, Result};
pub use gamma_gamma::{GammaGamma, GammaGammaParams};
pub use model::TransactionModel;
pub use optimize::{FitOptions, FitReport};
pub use pareto::{ParetoNbd, ParetoNbdParams};
pub use select::{fit_model, select_model, CandidateScore, Holdout, ModelKind, Selection};
pub use simulate::{simulate, SimConfig, Simulation};
pub use summary::{holdout_summary, summarize, Calibration, CustomerSummary, HoldoutSummary, Patterns, Rft};
