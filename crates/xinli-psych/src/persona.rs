//! Personas: each customer's most probable class under a mixture model of the trait scores,
//! fitted by EM on the shop itself (no labels, no training on planted truth).
//!
//! Seven classes: one per trait ("this trait dominates") and `balanced`. Every known trait
//! score enters as its normal score z = Φ⁻¹(score) and plays one of three roles:
//! - **dominant**: the trait of a customer whose persona it is,
//! - **dominated**: any other trait of such a customer,
//! - **balanced**: any trait of a balanced customer.
//!
//! Given the class, each trait is normal with a mean and variance that depend on the role and on
//! how much evidence the score rests on: the shop's (customer, trait) pairs are cut into `bins`
//! quantile bins of the trait's confidence, and each (bin, role) has its own normal; a
//! customer's normal is interpolated between the two bins whose centres enclose their own
//! confidence (and the M step shares the score between them likewise). Thin
//! customers' scores are shrunk toward the middle, so at low confidence the three roles' normals
//! are close together and the posterior stays near the class priors; with much evidence they
//! separate. The class priors are shared by all bins (how common each persona is does not
//! depend on how much a customer was seen).
//!
//! The traits are not independent given the class: some behaviour counts for one trait and
//! lowers another (product views count for information seeking and are fewer for convenience
//! seekers), so the standardized residuals (z − role mean) / role sd share one correlation
//! matrix across classes, fitted in the same EM. The persona is the class with the highest
//! posterior.

use crate::{probit, Persona, Trait, TraitScore};

const DOMINANT: usize = 0;
const DOMINATED: usize = 1;
const BALANCED: usize = 2;
/// Floor of a role's variance (z units; a shop's z scores have variance about 1): many
/// customers tied at one score (e.g. all one-session customers of a shop) must not make a
/// role's normal a spike on that value.
const MIN_VARIANCE: f64 = 0.05;
/// The residual correlations are shrunk by this share toward zero (independence).
const RESIDUAL_SHRINK: f64 = 0.05;
/// Six personas, then balanced.
const CLASSES: usize = 7;

#[derive(Clone, Copy, Debug)]
struct Normal {
    mean: f64,
    sd: f64,
    /// ln sd, kept so that the E step takes no logarithms.
    log_sd: f64,
}

impl Normal {
    fn new(mean: f64, var: f64) -> Normal {
        Normal { mean, sd: var.sqrt(), log_sd: 0.5 * var.ln() }
    }
}

/// One customer's known traits: (trait index, z, lower confidence bin, share of the next bin).
type Observed = Vec<(usize, f64, usize, f64)>;

/// Fits the mixture on `customers` and returns each one's persona (same order).
pub fn assign_personas(customers: &[&[TraitScore; 6]], bins: usize, max_iterations: usize) -> Vec<Persona> {
    let bins = bins.max(1);
    let sorted: Vec<Vec<f64>> = (0..6).map(|t| sorted_confidences(customers, t)).collect();
    let observed: Vec<Observed> = customers
        .iter()
        .map(|traits| {
            traits
                .iter()
                .enumerate()
                .filter_map(|(t, s)| {
                    s.score.map(|v| {
                        let (bin, next) = bin_position(&sorted[t], s.confidence, bins);
                        (t, probit(v), bin, next)
                    })
                })
                .collect()
        })
        .collect();
    // A persona is possible only for a trait some customer has a score of.
    let mut allowed = [false; CLASSES];
    allowed[CLASSES - 1] = true;
    for o in &observed {
        for &(t, ..) in o {
            allowed[t] = true;
        }
    }
    let start = [Normal::new(1.0, 0.5), Normal::new(-0.3, 0.7), Normal::new(0.1, 0.4)];
    let mut model = Mixture { roles: vec![start; bins], prior: prior_over(&allowed, &[1.0; CLASSES]), precision: identity() };
    for _ in 0..max_iterations {
        let next = model.step(&observed, &allowed);
        let change = next.prior.iter().zip(&model.prior).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        model = next;
        if change < 1e-6 {
            break;
        }
    }
    observed
        .iter()
        .map(|o| {
            if o.is_empty() {
                return Persona::Balanced;
            }
            let post = model.posterior(o, &allowed);
            let best = (0..CLASSES).max_by(|&a, &b| post[a].total_cmp(&post[b]).then(b.cmp(&a))).expect("seven classes");
            // A persona needs evidence for it: its likelihood above balanced's, not only a
            // larger class share (which would type customers without evidence).
            let balanced = CLASSES - 1;
            let evidence_for = post[best] / model.prior[best] > post[balanced] / model.prior[balanced];
            if best == balanced || !evidence_for { Persona::Balanced } else { Trait::ALL[best].persona() }
        })
        .collect()
}

/// The confidences of trait `t` among customers with a score of it, ascending.
fn sorted_confidences(customers: &[&[TraitScore; 6]], t: usize) -> Vec<f64> {
    let mut c: Vec<f64> = customers.iter().filter(|x| x[t].score.is_some()).map(|x| x[t].confidence).collect();
    c.sort_unstable_by(f64::total_cmp);
    c
}

/// Where `confidence` lies among the bins' centres (bin b's centre is the quantile
/// (b + ½) / bins of `sorted`): the bin at or below it and the share of the next one.
fn bin_position(sorted: &[f64], confidence: f64, bins: usize) -> (usize, f64) {
    let ties = sorted.partition_point(|&c| c < confidence)..sorted.partition_point(|&c| c <= confidence);
    let quantile = (ties.start + ties.end) as f64 / 2.0 / sorted.len().max(1) as f64;
    let x = (quantile * bins as f64 - 0.5).clamp(0.0, (bins - 1) as f64);
    let bin = (x.floor() as usize).min(bins.saturating_sub(2));
    (bin, if bins > 1 { x - bin as f64 } else { 0.0 })
}

fn prior_over(allowed: &[bool; CLASSES], weights: &[f64; CLASSES]) -> [f64; CLASSES] {
    let total: f64 = (0..CLASSES).filter(|&k| allowed[k]).map(|k| weights[k]).sum();
    std::array::from_fn(|k| if allowed[k] && total > 0.0 { weights[k] / total } else { 0.0 })
}

struct Mixture {
    /// Per confidence bin: the normal of each role.
    roles: Vec<[Normal; 3]>,
    prior: [f64; CLASSES],
    /// Inverse of the correlation of the standardized residuals (z − role mean) / role sd
    /// between traits, shared by all classes; zero rows for traits unknown in the shop.
    precision: Matrix,
}

type Matrix = [[f64; 6]; 6];

fn identity() -> Matrix {
    std::array::from_fn(|a| std::array::from_fn(|b| if a == b { 1.0 } else { 0.0 }))
}

impl Mixture {
    /// The standardized residuals of `o`'s traits under class `k` (trait order, 0 for traits
    /// not observed) and the sum of the log standard deviations.
    fn residuals(&self, o: &Observed, k: usize) -> ([f64; 6], f64) {
        let mut e = [0.0; 6];
        let mut log_sd = 0.0;
        for &(t, z, bin, next) in o {
            let role = if k == CLASSES - 1 { BALANCED } else if t == k { DOMINANT } else { DOMINATED };
            let n = self.role_at(bin, next, role);
            e[t] = (z - n.mean) / n.sd;
            log_sd += n.log_sd;
        }
        (e, log_sd)
    }

    /// The role's normal at a customer's own confidence: bin `bin`'s and the next bin's mixed.
    fn role_at(&self, bin: usize, next: f64, role: usize) -> Normal {
        let a = self.roles[bin][role];
        if next <= 0.0 {
            return a;
        }
        let b = self.roles[bin + 1][role];
        let mean = (1.0 - next) * a.mean + next * b.mean;
        Normal::new(mean, (1.0 - next) * a.sd * a.sd + next * b.sd * b.sd)
    }

    fn posterior(&self, o: &Observed, allowed: &[bool; CLASSES]) -> [f64; CLASSES] {
        let mut log = [f64::NEG_INFINITY; CLASSES];
        for k in (0..CLASSES).filter(|&k| allowed[k] && self.prior[k] > 0.0) {
            let (e, log_sd) = self.residuals(o, k);
            let quadratic: f64 = (0..6).map(|a| e[a] * (0..6).map(|b| self.precision[a][b] * e[b]).sum::<f64>()).sum();
            log[k] = self.prior[k].ln() - log_sd - 0.5 * quadratic;
        }
        let top = log.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut p = log.map(|l| (l - top).exp());
        let total: f64 = p.iter().sum();
        p.iter_mut().for_each(|x| *x /= total);
        p
    }

    /// One EM step: posteriors with the current model, then weighted means and variances per
    /// (bin, role) and the mean posterior as the new prior.
    fn step(&self, observed: &[Observed], allowed: &[bool; CLASSES]) -> Mixture {
        // (Σw, Σwz, Σwz²) per bin and role.
        let mut sums = vec![[[0.0f64; 3]; 3]; self.roles.len()];
        let mut prior = [0.0; CLASSES];
        let mut counted = 0usize;
        let mut residual_products = [[0.0f64; 6]; 6];
        for o in observed.iter().filter(|o| !o.is_empty()) {
            let post = self.posterior(o, allowed);
            counted += 1;
            for k in 0..CLASSES {
                prior[k] += post[k];
                if post[k] > 1e-9 {
                    let (e, _) = self.residuals(o, k);
                    for a in 0..6 {
                        for b in 0..6 {
                            residual_products[a][b] += post[k] * e[a] * e[b];
                        }
                    }
                }
            }
            for &(t, z, bin, next) in o {
                let weights = [post[t], 1.0 - post[t] - post[CLASSES - 1], post[CLASSES - 1]];
                for (b, share) in [(bin, 1.0 - next), (bin + 1, next)] {
                    if share <= 0.0 {
                        continue;
                    }
                    for (r, w) in weights.into_iter().enumerate() {
                        let s = &mut sums[b][r];
                        s[0] += share * w;
                        s[1] += share * w * z;
                        s[2] += share * w * z * z;
                    }
                }
            }
        }
        let roles = self
            .roles
            .iter()
            .zip(&sums)
            .map(|(old, s)| {
                std::array::from_fn(|r| {
                    let [w, wz, wzz] = s[r];
                    if w < 1e-9 {
                        return old[r];
                    }
                    let mean = wz / w;
                    Normal::new(mean, (wzz / w - mean * mean).max(MIN_VARIANCE))
                })
            })
            .collect();
        let prior = if counted == 0 { self.prior } else { prior_over(allowed, &prior.map(|p| p / counted as f64)) };
        Mixture { roles, prior, precision: precision_of(&residual_products) }
    }
}

/// The inverse of the correlation matrix of `products` (Σ posterior · eₐ·e_b) over the traits
/// with residuals (others get zero rows), shrunk slightly toward independence so that a near
/// singular correlation (two traits measured by overlapping behaviour) stays invertible.
fn precision_of(products: &Matrix) -> Matrix {
    let known: Vec<usize> = (0..6).filter(|&a| products[a][a] > 1e-9).collect();
    let m = known.len();
    // Gauss–Jordan on [C | I] over the known traits.
    let mut a: Vec<Vec<f64>> = known
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let mut row: Vec<f64> = known
                .iter()
                .map(|&y| {
                    let correlation = products[x][y] / (products[x][x] * products[y][y]).sqrt();
                    if x == y { 1.0 } else { (1.0 - RESIDUAL_SHRINK) * correlation }
                })
                .collect();
            row.extend((0..m).map(|j| if i == j { 1.0 } else { 0.0 }));
            row
        })
        .collect();
    for col in 0..m {
        let pivot = (col..m).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs())).expect("rows left");
        a.swap(col, pivot);
        let p = a[col][col];
        if p.abs() < 1e-12 {
            return identity();
        }
        a[col].iter_mut().for_each(|v| *v /= p);
        for row in 0..m {
            if row != col {
                let f = a[row][col];
                let pivot_row = a[col].clone();
                a[row].iter_mut().zip(&pivot_row).for_each(|(v, q)| *v -= f * q);
            }
        }
    }
    let mut out = [[0.0; 6]; 6];
    for (i, &x) in known.iter().enumerate() {
        for (j, &y) in known.iter().enumerate() {
            out[x][y] = a[i][m + j];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(values: [f64; 6], confidence: f64) -> [TraitScore; 6] {
        std::array::from_fn(|t| TraitScore { trait_: Trait::ALL[t], score: Some(values[t]), confidence })
    }

    #[test]
    fn one_standing_out_trait_is_the_persona_and_an_even_profile_is_balanced() {
        // A shop of clear types: 40 of each persona, 80 balanced, at full confidence.
        let mut shop = Vec::new();
        for t in 0..6 {
            for i in 0..40 {
                let mut v = [0.2 + 0.004 * i as f64; 6];
                v[t] = 0.9 + 0.002 * i as f64;
                shop.push(scores(v, 0.8));
            }
        }
        for i in 0..80 {
            shop.push(scores([0.5 + 0.001 * i as f64; 6], 0.8));
        }
        let refs: Vec<&[TraitScore; 6]> = shop.iter().collect();
        let personas = assign_personas(&refs, 1, 200);
        for t in 0..6 {
            assert!(personas[t * 40..(t + 1) * 40].iter().all(|&p| p == Trait::ALL[t].persona()), "trait {t}: {personas:?}");
        }
        assert!(personas[240..].iter().all(|&p| p == Persona::Balanced));
    }

    #[test]
    fn precision_inverts_the_shrunk_correlation_of_the_known_traits() {
        // Traits 1 and 2 with residual products of correlation −0.6; the others unknown.
        let mut products = [[0.0; 6]; 6];
        products[1][1] = 4.0;
        products[2][2] = 9.0;
        products[1][2] = -0.6 * 6.0;
        products[2][1] = -0.6 * 6.0;
        let p = precision_of(&products);
        let r = -0.6 * (1.0 - RESIDUAL_SHRINK);
        let det = 1.0 - r * r;
        assert!((p[1][1] - 1.0 / det).abs() < 1e-9 && (p[2][2] - 1.0 / det).abs() < 1e-9, "{p:?}");
        assert!((p[1][2] + r / det).abs() < 1e-9 && (p[2][1] + r / det).abs() < 1e-9, "{p:?}");
        assert!(p[0].iter().chain(&p[3]).all(|&v| v == 0.0));
    }

    #[test]
    fn a_confidence_between_two_bin_centres_is_shared_between_them() {
        // 8 confidences 0.0–0.7 (the i-th at quantile (i + ½)/8), 4 bins: centres at the
        // quantiles 1/8, 3/8, 5/8, 7/8.
        let sorted: Vec<f64> = (0..8).map(|i| i as f64 / 10.0).collect();
        assert_eq!(bin_position(&sorted, 0.0, 4), (0, 0.0));
        let (bin, next) = bin_position(&sorted, 0.3, 4);
        assert!(bin == 1 && (next - 0.25).abs() < 1e-9, "{bin} {next}");
        let (bin, next) = bin_position(&sorted, 0.35, 4);
        assert!(bin == 1 && (next - 0.5).abs() < 1e-9, "{bin} {next}");
        assert_eq!(bin_position(&sorted, 0.7, 4), (2, 1.0));
        assert_eq!(bin_position(&sorted, 0.5, 1), (0, 0.0));
    }

    #[test]
    fn without_known_traits_everyone_is_balanced() {
        let unknown: [TraitScore; 6] =
            std::array::from_fn(|t| TraitScore { trait_: Trait::ALL[t], score: None, confidence: 0.0 });
        assert_eq!(assign_personas(&[&unknown, &unknown], 5, 50), vec![Persona::Balanced; 2]);
    }
}
