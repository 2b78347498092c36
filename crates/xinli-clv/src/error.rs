/// Everything that can go wrong in this crate. Every numeric output of the crate is either finite
/// or one of these errors: never a silent NaN.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClvError {
    #[error("no customers to fit")]
    Empty,
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("no repeat customers (every frequency is 0): {0}")]
    NoRepeatCustomers(String),
    #[error("the fit failed: {0}")]
    FitFailed(String),
    #[error("a prediction was not finite ({0}); parameters are outside the range where the model is defined")]
    NonFinite(String),
}

pub type Result<T> = std::result::Result<T, ClvError>;

/// Turns a non-finite value into an explicit error.
pub(crate) fn finite(v: f64, what: &str) -> Result<f64> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(ClvError::NonFinite(what.to_string()))
    }
}

/// Checks that every named parameter is finite and > 0; the first that is not is the error.
pub(crate) fn require_positive(params: &[(&str, f64)]) -> Result<()> {
    for &(n, v) in params {
        if !(v.is_finite() && v > 0.0) {
            return Err(ClvError::InvalidInput(format!("{n} must be finite and > 0, got {v}")));
        }
    }
    Ok(())
}
