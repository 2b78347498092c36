//! `--model auto`: fit BG/NBD, MBG/NBD and Pareto/NBD and choose one, by holdout accuracy when a
//! holdout period is available, otherwise by AIC (all three have 4 parameters, so AIC ranks them by
//! likelihood).

use crate::bgnbd::{BgNbd, MbgNbd};
use crate::error::{ClvError, Result};
use crate::model::TransactionModel;
use crate::optimize::FitOptions;
use crate::pareto::ParetoNbd;
use crate::summary::{Patterns, Rft};

/// Which transaction model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModelKind {
    BgNbd,
    MbgNbd,
    ParetoNbd,
}

impl ModelKind {
    pub const ALL: [ModelKind; 3] = [ModelKind::BgNbd, ModelKind::MbgNbd, ModelKind::ParetoNbd];
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::BgNbd => "BG/NBD",
            ModelKind::MbgNbd => "MBG/NBD",
            ModelKind::ParetoNbd => "Pareto/NBD",
        }
    }
}

impl std::str::FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace(['/', '-', '_'], "").as_str() {
            "bgnbd" | "bg" => Ok(ModelKind::BgNbd),
            "mbgnbd" | "mbg" => Ok(ModelKind::MbgNbd),
            "paretonbd" | "pareto" => Ok(ModelKind::ParetoNbd),
            other => Err(format!("unknown model {other:?} (bgnbd, mbgnbd, pareto, or auto)")),
        }
    }
}

/// Fits one model kind.
pub fn fit_model(kind: ModelKind, patterns: &Patterns, opts: &FitOptions) -> Result<Box<dyn TransactionModel>> {
    Ok(match kind {
        ModelKind::BgNbd => Box::new(BgNbd::fit_patterns(patterns, opts)?),
        ModelKind::MbgNbd => Box::new(MbgNbd::fit_patterns(patterns, opts)?),
        ModelKind::ParetoNbd => Box::new(ParetoNbd::fit_patterns(patterns, opts)?),
    })
}

/// Holdout data aligned with the calibration customers passed to [`select_model`].
#[derive(Clone, Copy, Debug)]
pub struct Holdout<'a> {
    /// Purchases (distinct days) in the holdout period, one per calibration customer.
    pub purchases: &'a [u32],
    /// Holdout length in the model's unit.
    pub duration: f64,
}

/// How one candidate did.
#[derive(Clone, Debug, PartialEq)]
pub struct CandidateScore {
    pub kind: ModelKind,
    pub log_likelihood: f64,
    pub aic: f64,
    pub converged: bool,
    pub boundary: Option<String>,
    /// Mean absolute error of predicted vs actual holdout purchases per customer.
    pub holdout_mae: Option<f64>,
    /// (predicted − actual) / actual for the total holdout purchases.
    pub holdout_total_error: Option<f64>,
    /// Why the fit failed, if it did.
    pub error: Option<String>,
}

/// The chosen model, why, and every candidate's scores.
#[derive(Debug)]
pub struct Selection {
    pub kind: ModelKind,
    pub model: Box<dyn TransactionModel>,
    pub reason: String,
    pub candidates: Vec<CandidateScore>,
}

/// Fits the three models and picks one. With a holdout: lowest holdout MAE (per-customer predicted vs
/// actual purchases), ties (within 0.5 %) broken by AIC; without: lowest AIC. Non-converged fits are only
/// chosen if nothing converged.
pub fn select_model(customers: &[Rft], holdout: Option<Holdout<'_>>, opts: &FitOptions) -> Result<Selection> {
    if let Some(h) = &holdout {
        if h.purchases.len() != customers.len() {
            return Err(ClvError::InvalidInput("holdout purchases must align with the calibration customers".into()));
        }
        if !(h.duration.is_finite() && h.duration > 0.0) {
            return Err(ClvError::InvalidInput("holdout duration must be > 0".into()));
        }
    }
    let patterns = Patterns::from_rft(customers)?;
    let mut fitted: Vec<(CandidateScore, Option<Box<dyn TransactionModel>>)> = Vec::new();
    for kind in ModelKind::ALL {
        match fit_model(kind, &patterns, opts) {
            Ok(m) => {
                let rep = m.report().clone();
                let (mae, tot) = match &holdout {
                    Some(h) => match m.conditional_expected_purchases(customers, h.duration) {
                        Ok(pred) => {
                            let n = customers.len() as f64;
                            let mae = pred.iter().zip(h.purchases).map(|(p, &a)| (p - a as f64).abs()).sum::<f64>() / n;
                            let actual: f64 = h.purchases.iter().map(|&a| a as f64).sum();
                            let predicted: f64 = pred.iter().sum();
                            (Some(mae), (actual > 0.0).then(|| (predicted - actual) / actual))
                        }
                        Err(_) => (None, None),
                    },
                    None => (None, None),
                };
                fitted.push((
                    CandidateScore {
                        kind,
                        log_likelihood: rep.log_likelihood,
                        aic: rep.aic,
                        converged: rep.converged,
                        boundary: rep.boundary.clone(),
                        holdout_mae: mae,
                        holdout_total_error: tot,
                        error: None,
                    },
                    Some(m),
                ));
            }
            Err(e) => fitted.push((
                CandidateScore {
                    kind,
                    log_likelihood: f64::NAN,
                    aic: f64::NAN,
                    converged: false,
                    boundary: None,
                    holdout_mae: None,
                    holdout_total_error: None,
                    error: Some(e.to_string()),
                },
                None,
            )),
        }
    }
    let usable: Vec<usize> = (0..fitted.len()).filter(|&i| fitted[i].1.is_some()).collect();
    if usable.is_empty() {
        let why: Vec<String> = fitted.iter().map(|(c, _)| format!("{}: {}", c.kind.name(), c.error.clone().unwrap_or_default())).collect();
        return Err(ClvError::FitFailed(format!("no model could be fitted ({})", why.join("; "))));
    }
    let any_converged = usable.iter().any(|&i| fitted[i].0.converged);
    let pool: Vec<usize> = usable.iter().copied().filter(|&i| fitted[i].0.converged || !any_converged).collect();
    let use_holdout = holdout.is_some() && pool.iter().all(|&i| fitted[i].0.holdout_mae.is_some());
    let best = if use_holdout {
        let min_mae = pool.iter().map(|&i| fitted[i].0.holdout_mae.unwrap()).fold(f64::INFINITY, f64::min);
        *pool
            .iter()
            .filter(|&&i| fitted[i].0.holdout_mae.unwrap() <= min_mae * 1.005)
            .min_by(|&&a, &&b| fitted[a].0.aic.total_cmp(&fitted[b].0.aic))
            .unwrap()
    } else {
        *pool.iter().min_by(|&&a, &&b| fitted[a].0.aic.total_cmp(&fitted[b].0.aic)).unwrap()
    };
    let describe = |c: &CandidateScore| -> String {
        let mut s = format!("{} AIC {:.1}", c.kind.name(), c.aic);
        if let Some(m) = c.holdout_mae {
            s += &format!(", holdout MAE {m:.4}");
        }
        if let Some(t) = c.holdout_total_error {
            s += &format!(" (total {:+.1} %)", 100.0 * t);
        }
        if !c.converged {
            s += ", not converged";
        }
        if c.boundary.is_some() {
            s += ", on a boundary";
        }
        s
    };
    let chosen = &fitted[best].0;
    let others: Vec<String> = fitted
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != best)
        .map(|(_, (c, _))| match &c.error {
            Some(e) => format!("{} failed: {e}", c.kind.name()),
            None => describe(c),
        })
        .collect();
    let criterion = if use_holdout {
        "lowest per-customer holdout MAE (ties within 0.5 % broken by AIC)"
    } else {
        "lowest AIC (no holdout period; all three models have 4 parameters)"
    };
    let reason = format!("chose {} by {criterion}: {}; vs {}", chosen.kind.name(), describe(chosen), others.join("; "));
    let kind = chosen.kind;
    let candidates: Vec<CandidateScore> = fitted.iter().map(|(c, _)| c.clone()).collect();
    let model = fitted.swap_remove(best).1.expect("usable");
    Ok(Selection { kind, model, reason, candidates })
}
