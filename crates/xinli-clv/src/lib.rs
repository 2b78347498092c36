//! Customer-base models: BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma, CLV and a generative simulator.

pub mod bgnbd;
pub mod error;
pub mod gamma_gamma;
pub mod pareto;
pub mod model;
pub mod optimize;
pub mod special;
pub mod summary;

pub use bgnbd::{BgNbd, BgNbdParams, MbgNbd, NbdParams};
pub use error::{ClvError, Result};
pub use model::TransactionModel;
pub use optimize::{FitOptions, FitReport};
pub use summary::{holdout_summary, summarize, Calibration, CustomerSummary, HoldoutSummary, Patterns, Rft};
pub use gamma_gamma::{GammaGamma, GammaGammaParams};
pub use pareto::{ParetoNbd, ParetoNbdParams};
