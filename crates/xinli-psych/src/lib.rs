//! Customer psychology: six trait scores per customer.
//!
//! [`score_traits`] turns a [`Shop`] into a [`TraitTable`]: for every customer with a completed
//! (or returned) order line or an identified event up to `as_of`, six [`TraitScore`]s —
//! price sensitivity (价格敏感), information seeking (信息获取), convenience (便捷), trust
//! concern (安全感/信任), social influence (社交/口碑) and novelty seeking (个性化/求新) — each a
//! shop percentile in [0, 1] with a confidence in [0, 1] and the evidence behind it, plus a
//! [`Persona`].
//!
//! How (details and justification in `docs/psychology.md`):
//! 1. **One pass** over order lines and one streaming pass over events ([`TraitFold`]) fills per-customer, per-order and
//!    per-session accumulators (counts only; no per-event storage, no index of sessions).
//! 2. Every signal ([`signals::SIGNALS`]) is a **share** (k of n), a **rate** (x per exposure)
//!    or a **category spread**: rates and shares, never raw counts, so the score measures the
//!    trait and not how active the customer is.
//! 3. Each signal is **shrunk toward the shop** by empirical Bayes (beta-binomial,
//!    gamma-Poisson, Dirichlet-multinomial; priors by the method of moments, [`shrink`]); the
//!    signal's credibility n/(n+κ) is the customer's confidence in it.
//! 4. A signal is **present** only when the shop's data hold it (someone used a coupon, some
//!    event carries `properties.via`, …). A trait with no present primary signal is unknown
//!    (`score: None`, confidence 0) — supporting signals (best sellers, top-rated products,
//!    returns, written reviews) never make a trait known alone; otherwise the trait uses the
//!    present signals only, and [`TraitTable::coverage`] says which.
//! 5. Each shrunken signal becomes the customer's **shop percentile** (oriented: high = more of
//!    the trait); the trait's score is the percentile of the weighted mean of those percentiles,
//!    so scores are uniform on [0, 1] within a shop and comparable across shops and traits.
//!    Confidence is the weighted mean credibility of the present signals.
//! 6. **Persona**: the most probable class (one per trait, or `balanced`) under a mixture model
//!    of the trait scores fitted by EM on the shop itself, whose normals depend on each score's
//!    confidence, so thin customers are judged by their evidence ([`persona`]).

mod accumulate;
pub mod persona;
pub mod shrink;
pub mod signals;
mod traits;

pub use traits::{CustomerTraits, Evidence, Persona, Trait, TraitCoverage, TraitScore, TraitTable};

use accumulate::Accumulated;
use shrink::{plug_in_entropy, BetaPrior, DirichletPrior, GammaPrior};
use signals::{Kind, N_SIGNALS, SIGNALS};
use xinli_core::{Shop, Timestamp};

/// Settings of [`score_traits`].
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TraitConfig {
    /// A purchase within this many days of the product's launch is a new arrival.
    pub new_arrival_days: i64,
    /// Events without a `session_id` start a new session after this many minutes of silence.
    pub session_gap_minutes: i64,
    /// A line is "below the regular price" when unit_price < regular × (1 − tolerance).
    pub discount_tolerance: f64,
    /// A product is trending in a week when it is among this top share of that week's products
    /// by order lines (and sold on at least 2 lines).
    pub trending_top_share: f64,
    /// A product is top-rated when its `avg_rating` is at or above this quantile of the shop's
    /// rated products.
    pub top_rated_quantile: f64,
    /// Persona model: confidence bins per trait (each with its own normals per role; a customer's
    /// normals are interpolated between the two bins nearest their confidence).
    pub persona_confidence_bins: usize,
    /// Persona model: EM iterations at most (it stops earlier once the class shares settle).
    pub persona_max_iterations: usize,
}

impl Default for TraitConfig {
    fn default() -> Self {
        TraitConfig {
            new_arrival_days: 30,
            session_gap_minutes: 30,
            discount_tolerance: 0.01,
            trending_top_share: 0.1,
            top_rated_quantile: 0.75,
            persona_confidence_bins: 8,
            persona_max_iterations: 200,
        }
    }
}

/// Scores the six traits of every customer active up to `as_of` (records after it are ignored).
pub fn score_traits(shop: &Shop, as_of: Timestamp, config: &TraitConfig) -> TraitTable {
    let mut fold = TraitFold::new(shop, as_of, config);
    for e in &shop.events {
        fold.observe(e);
    }
    fold.finish(shop)
}

/// [`score_traits`] with the events streamed: `new` reads the shop without its events,
/// `observe` takes each event, `finish` scores (see the `accumulate` module).
pub struct TraitFold(accumulate::TraitFold);

impl TraitFold {
    pub fn new(shop: &Shop, as_of: Timestamp, config: &TraitConfig) -> TraitFold {
        TraitFold(accumulate::TraitFold::new(shop, as_of, config))
    }
    pub fn observe(&mut self, event: &xinli_core::Event) {
        self.0.observe(event);
    }
    /// `shop` supplies the reviews; its `events` are not read again.
    pub fn finish(self, shop: &Shop) -> TraitTable {
        let config = self.0.config().clone();
        finish(self.0.finish(shop), &config)
    }
}

/// A signal's prior, fitted on the shop.
#[derive(Clone, Debug, PartialEq)]
enum Prior {
    Share(BetaPrior),
    Rate(GammaPrior),
    Spread(DirichletPrior),
}

/// One signal fitted on the shop: the prior, every customer's percentile and the shop's median.
/// A customer's shrunken value, credibility and observed value are recomputed from their counts
/// when needed (they are cheap and exact), so a million customers' evidence is not kept.
#[derive(Clone, Debug, PartialEq)]
struct Fitted {
    prior: Prior,
    percentile: Vec<f64>,
    shop_median: f64,
}

/// One customer's view of one signal.
struct Observed {
    shrunk: f64,
    credibility: f64,
    /// Observed value (None without observations).
    raw: Option<f64>,
    /// Trials, exposure or items behind `raw`.
    observations: f64,
}

fn category_counts(c: &accumulate::CustomerAcc, s: usize) -> &[(u32, u32)] {
    if s == signals::PURCHASE_SPREAD { &c.purchase_categories } else { &c.view_categories }
}

impl Prior {
    fn observe(&self, s: usize, c: &accumulate::CustomerAcc) -> Observed {
        let (x, n) = (c.x[s] as f64, c.n[s] as f64);
        match self {
            Prior::Share(prior) => Observed { shrunk: prior.posterior_mean(x, n), credibility: prior.credibility(n), raw: (n > 0.0).then(|| x / n), observations: n },
            Prior::Rate(prior) => Observed { shrunk: prior.posterior_mean(x, n), credibility: prior.credibility(n), raw: (n > 0.0).then(|| x / n), observations: n },
            Prior::Spread(prior) => {
                let counts = category_counts(c, s);
                let n: f64 = counts.iter().map(|x| x.1 as f64).sum();
                Observed {
                    shrunk: prior.posterior_entropy(counts),
                    credibility: prior.credibility(n),
                    raw: (n > 0.0).then(|| plug_in_entropy(counts)),
                    observations: n,
                }
            }
        }
    }
}

fn fit_signal(acc: &Accumulated, s: usize) -> Option<Fitted> {
    if !acc.present[s] {
        return None;
    }
    let pairs = acc.customers.iter().map(|c| (c.x[s] as f64, c.n[s] as f64));
    let prior = match SIGNALS[s].kind {
        Kind::Share => Prior::Share(BetaPrior::fit(pairs)?),
        Kind::Rate => Prior::Rate(GammaPrior::fit(pairs)?),
        Kind::Spread => Prior::Spread(DirichletPrior::fit(acc.n_categories, acc.customers.iter().map(|c| category_counts(c, s)))?),
    };
    let (shrunk, mut observed): (Vec<f64>, Vec<f64>) = {
        let mut shrunk = Vec::with_capacity(acc.customers.len());
        let mut observed = Vec::new();
        for c in &acc.customers {
            let o = prior.observe(s, c);
            shrunk.push(o.shrunk);
            observed.extend(o.raw);
        }
        (shrunk, observed)
    };
    let percentile = percentiles(&shrunk);
    let shop_median = median(&mut observed);
    Some(Fitted { prior, percentile, shop_median })
}

fn finish(acc: Accumulated, config: &TraitConfig) -> TraitTable {
    let n_customers = acc.customers.len();
    let fitted: Vec<Option<Fitted>> = (0..N_SIGNALS).map(|s| fit_signal(&acc, s)).collect();

    let mut coverage = Vec::new();
    let mut coverage_used: Vec<Vec<usize>> = Vec::new();
    // Per trait: combined score (None when unknown) and confidence, per customer.
    let mut trait_scores: Vec<Option<Vec<f64>>> = Vec::new();
    let mut trait_conf: Vec<Vec<f64>> = Vec::new();
    for t in Trait::ALL {
        let members: Vec<usize> = (0..N_SIGNALS).filter(|&s| SIGNALS[s].trait_ == t).collect();
        let mut used: Vec<usize> = members.iter().copied().filter(|&s| fitted[s].is_some()).collect();
        if used.iter().all(|&s| SIGNALS[s].supporting) {
            used.clear();
        }
        coverage.push(TraitCoverage {
            trait_: t,
            signals_used: used.iter().map(|&s| SIGNALS[s].id).collect(),
            signals_missing: members.iter().filter(|s| !used.contains(s)).map(|&s| SIGNALS[s].id).collect(),
        });
        coverage_used.push(used.clone());
        if used.is_empty() {
            trait_scores.push(None);
            trait_conf.push(vec![0.0; n_customers]);
            continue;
        }
        let total_weight: f64 = used.iter().map(|&s| SIGNALS[s].weight).sum();
        let mut combined = vec![0.0; n_customers];
        let mut conf = vec![0.0; n_customers];
        for &s in &used {
            let f = fitted[s].as_ref().expect("used signals are fitted");
            let w = SIGNALS[s].weight / total_weight;
            for (i, c) in acc.customers.iter().enumerate() {
                combined[i] += w * probit(f.percentile[i]);
                conf[i] += w * f.prior.observe(s, c).credibility;
            }
        }
        trait_scores.push(Some(percentiles(&combined)));
        trait_conf.push(conf);
    }

    let mut customers = Vec::with_capacity(n_customers);
    for (i, c) in acc.customers.iter().enumerate() {
        let traits: [TraitScore; 6] = std::array::from_fn(|ti| {
            let score = trait_scores[ti].as_ref().map(|v| v[i]);
            TraitScore { trait_: Trait::ALL[ti], score, confidence: if score.is_some() { trait_conf[ti][i] } else { 0.0 } }
        });
        customers.push(CustomerTraits {
            customer_id: acc.ids[i].clone(),
            traits,
            persona: Persona::Balanced,
            sessions: c.sessions,
            orders: c.orders,
        });
    }
    let all: Vec<&[TraitScore; 6]> = customers.iter().map(|c| &c.traits).collect();
    let personas = persona::assign_personas(&all, config.persona_confidence_bins, config.persona_max_iterations);
    for (c, p) in customers.iter_mut().zip(personas) {
        c.persona = p;
    }
    let evidence = EvidenceSource { fitted, used: coverage_used, counts: acc.customers };
    TraitTable { customers, coverage, evidence }
}

/// What [`TraitTable::evidence`] makes the evidence lines of: the fitted signals, the signals
/// each trait uses, and every customer's counts (same order as the table's customers).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EvidenceSource {
    fitted: Vec<Option<Fitted>>,
    used: Vec<Vec<usize>>,
    counts: Vec<accumulate::CustomerAcc>,
}

impl EvidenceSource {
    /// The evidence of customer `i` (index into the table's customers) for trait `t`, one line
    /// per signal the trait uses; empty when the trait is unknown.
    pub(crate) fn lines(&self, i: usize, t: Trait) -> Vec<Evidence> {
        let c = &self.counts[i];
        self.used[t.index()]
            .iter()
            .filter_map(|&s| {
                let f = self.fitted[s].as_ref()?;
                let o = f.prior.observe(s, c);
                Some(Evidence {
                    signal: SIGNALS[s].id,
                    value: o.raw.unwrap_or(o.shrunk),
                    observed: o.raw.is_some(),
                    shop_median: f.shop_median,
                    shrunk: o.shrunk,
                    observations: o.observations,
                    successes: c.x[s] as f64,
                    percentile: f.percentile[i],
                })
            })
            .collect()
    }
}

impl Evidence {
    fn def(&self) -> &'static signals::SignalDef {
        SIGNALS.iter().find(|d| d.id == self.signal).expect("evidence names a known signal")
    }

    /// The evidence as one English line, e.g. "71 % of order lines bought below the regular
    /// price (5 of 7 order lines); shop median 22 %". Written on demand: a million customers'
    /// 31 lines each would otherwise sit in memory twice (zh and en).
    pub fn text_en(&self) -> String {
        let (def, v, x, n, shrunk, median) = (self.def(), self.value, self.successes, self.observations, self.shrunk, self.shop_median);
        match (self.observed, def.kind) {
            (false, Kind::Share) => format!("{} {} (shop typical; no {} observed); shop median {}", pct(shrunk), def.what_en, def.unit_en, pct(median)),
            (false, _) => format!("{}: no {} observed, the shop's typical {:.2} assumed; shop median {:.2}", def.what_en, def.unit_en, shrunk, median),
            (true, Kind::Share) => format!("{} {} ({} of {} {}); shop median {}", pct(v), def.what_en, num(x), num(n), def.unit_en, pct(median)),
            (true, Kind::Rate) => format!("{:.2} {} ({} over {} {}); shop median {:.2}", v, def.what_en, num(x), num(n), def.unit_en, median),
            (true, Kind::Spread) => format!("{} {:.2} over {} {} (shrunk {:.2}); shop median {:.2}", def.what_en, v, num(n), def.unit_en, shrunk, median),
        }
    }

    /// The evidence as one Chinese line (see [`Evidence::text_en`]).
    pub fn text_zh(&self) -> String {
        let (def, v, x, n, shrunk, median) = (self.def(), self.value, self.successes, self.observations, self.shrunk, self.shop_median);
        match (self.observed, def.kind) {
            (false, Kind::Share) => format!("{} {}（无{}观测，采用全店典型值）；全店中位数 {}", def.what_zh, pct(shrunk), def.unit_zh, pct(median)),
            (false, _) => format!("{}：无{}观测，采用全店典型值 {:.2}；全店中位数 {:.2}", def.what_zh, def.unit_zh, shrunk, median),
            (true, Kind::Share) => format!("{} {}（{} {}中 {}）；全店中位数 {}", def.what_zh, pct(v), num(n), def.unit_zh, num(x), pct(median)),
            (true, Kind::Rate) => format!("{} {:.2}（{} {}共 {} 次）；全店中位数 {:.2}", def.what_zh, v, num(n), def.unit_zh, num(x), median),
            (true, Kind::Spread) => format!("{} {:.2}（{} {}，收缩后 {:.2}）；全店中位数 {:.2}", def.what_zh, v, num(n), def.unit_zh, shrunk, median),
        }
    }
}

/// Φ⁻¹(p), Acklam's rational approximation (relative error < 1.2e-9), for p in (0, 1).
pub fn probit(p: f64) -> f64 {
    const A: [f64; 6] = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.38357751867269e+02, -3.066479806614716e+01, 2.506628277459239e+00];
    const B: [f64; 5] = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
    const C: [f64; 6] = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
    const D: [f64; 4] = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let low = 0.02425;
    if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -probit(1.0 - p)
    }
}

fn pct(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}

fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 { format!("{}", v.round() as i64) } else { format!("{v:.1}") }
}

/// Mid-rank percentiles in (0, 1): (midrank − ½)/N, ties share their mean rank.
pub fn percentiles(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.5; n];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // 1-based ranks start+1 ..= end; midrank = (start + 1 + end) / 2
        let p = ((start + 1 + end) as f64 / 2.0 - 0.5) / n as f64;
        for &k in &order[start..end] {
            out[k] = p;
        }
        start = end;
    }
    out
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_unstable_by(f64::total_cmp);
    let m = values.len() / 2;
    if values.len() % 2 == 1 { values[m] } else { 0.5 * (values[m - 1] + values[m]) }
}
