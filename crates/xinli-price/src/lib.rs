//! Price elasticity of demand per product and per category, from a shop's own order lines.
//!
//! # Method
//!
//! 1. **Cells.** Completed order lines with a product, a positive quantity and a positive unit
//!    price are aggregated into (product, period) cells — weekly by default (Monday-based
//!    weeks): `Q` = total quantity, `P` = quantity-weighted mean unit price *paid*
//!    (revenue / units). Cancelled and returned lines, lines without a product and free lines
//!    (price 0) are left out and counted in [`ElasticityReport`].
//! 2. **Per product.** Ordinary least squares of `ln Q` on `ln P`, an intercept and the
//!    seasonality controls ([`Seasonality`]; by default two harmonics of the annual cycle, i.e.
//!    four sine/cosine columns, so a product needs few periods) over the product's cells.
//!    The slope `ε` is the elasticity. Standard errors are heteroskedasticity-robust (HC1) and
//!    intervals use Student-t quantiles with `n − p` degrees of freedom.
//! 3. **Pooled (per category and over all products).** The same regression with product fixed
//!    effects — within-product demeaning of every column (Frisch–Waugh–Lovell), so only
//!    within-product price variation identifies `ε` — and month-of-year dummies by default.
//!    Standard errors are clustered by product (CR1, `G/(G−1)·(n−1)/(n−p)`), intervals use
//!    `t` with `G − 1` degrees of freedom. `R²` is the *within* R².
//!
//! 4. **Options.** [`PriceMeasure::MedianLine`] uses the median line price of the period
//!    (a posted-price proxy) instead of revenue / units. [`Estimator::Ppml`] replaces log-OLS
//!    by Poisson pseudo-maximum likelihood over every period from a product's first to its
//!    last sale, unsold periods as `Q = 0` at the carried-forward price (fixed effects
//!    concentrated out exactly; robust or clustered errors as above).
//!
//! # Identification rules (see [`ElasticityConfig`])
//!
//! A product is estimated only with at least `min_periods` cells (default 12), at least
//! `min_distinct_prices` distinct cell prices (default 3; prices equal within 0.5 % count once)
//! and a standard deviation of `ln P` across its cells of at least `min_log_price_sd` (default
//! 0.05, i.e. roughly a 5 % coefficient of variation of the price), and `n − p ≥ min_dof`
//! (default 5) residual degrees of freedom. A pooled estimate needs at least `min_products`
//! (default 5) products that each pass the price-variation rules (≥ 2 cells, the distinct-price
//! and the `ln P` spread rules) — fewer clusters make clustered errors unreliable. Products
//! that fail the per-product rules but have at least two cells still enter the pooled model:
//! they help estimate the seasonality, and whatever within-product price variation they have
//! counts.
//!
//! # Verdict (see [`Verdict`])
//!
//! With the 95 % interval `[lo, hi]` (level configurable): **elastic** when `hi < −1` (the
//! whole interval lies beyond −1, so `|ε| > 1` with confidence); **inelastic** when `lo > −1`
//! and `lo ≤ 0` (the interval excludes −1 from above: `|ε| < 1`, or a slope not distinguishable
//! from zero); **upward sloping** when `lo > 0` (demand rising with price — not a demand curve;
//! almost always endogenous pricing, see below); **unclear** when the interval contains −1;
//! **not identified** when the rules above are not met.
//!
//! # What the numbers mean, honestly
//!
//! These are *observational* elasticities. Prices are not set at random: promotions are timed
//! with demand, prices fall when stock must go, and business customers earn quantity discounts,
//! so `ε` mixes the demand response with the pricing rule. Quantity-tier pricing (lower unit
//! prices for bigger orders, as in UCI Online Retail) pushes `ε` strongly negative: a week with
//! one large wholesale order has both a high `Q` and a low mean `P`. Weekly aggregation only
//! partly averages this out. Periods without sales are **missing**, not zero (`ln 0` is
//! undefined, and the price of an unsold week is not observed): the estimate is conditional on
//! selling, a selection bias that flattens the curve at high prices (weeks where a high price
//! killed demand are dropped). [`Estimator::Ppml`] keeps unsold weeks inside a product's
//! selling span as zeros (at an assumed, carried-forward price); weeks before the first and
//! after the last sale stay out (the product may not have been listed). Treat the figures as descriptive associations that rank
//! products by price response, not as causal effects; a price experiment is the way to get
//! the causal figure.

mod linalg;

use chrono::Datelike;
use std::collections::HashMap;
use xinli_core::{Category, OrderStatus, ProductId, Shop, Timestamp};

/// Seasonality controls added to every regression.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Seasonality {
    /// No controls (an intercept, or fixed effects, only).
    None,
    /// `harmonics` sine/cosine pairs of the annual cycle (2 harmonics = 4 columns), evaluated at
    /// the middle of each period. Smooth and cheap in degrees of freedom.
    Fourier { harmonics: usize },
    /// One dummy per calendar month of the period's middle day (January the reference).
    MonthOfYear,
}

impl Seasonality {
    fn columns(self, mid_day: i64) -> Vec<f64> {
        let date = Timestamp::from_unix_seconds(mid_day * 86_400).date();
        match self {
            Seasonality::None => Vec::new(),
            Seasonality::Fourier { harmonics } => {
                let angle = 2.0 * std::f64::consts::PI * (date.ordinal0() as f64 + 0.5) / 365.25;
                (1..=harmonics)
                    .flat_map(|h| [(h as f64 * angle).sin(), (h as f64 * angle).cos()])
                    .collect()
            }
            Seasonality::MonthOfYear => {
                let m = date.month0() as usize;
                (1..12).map(|k| if k == m { 1.0 } else { 0.0 }).collect()
            }
        }
    }
}

/// The price of a (product, period) cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceMeasure {
    /// Revenue / units: the mean unit price actually paid, weighted by units. A single large
    /// order at a quantity-tier discount pulls it down in exactly the period its units push
    /// `Q` up.
    QuantityWeightedMean,
    /// The median unit price over the period's order lines, unweighted: closer to the posted
    /// price most orders saw, less driven by one big discounted order.
    MedianLine,
}

/// How the regression is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// OLS of `ln Q` on `ln P` over the periods with sales (zero periods cannot be logged and
    /// are left out: estimates are conditional on selling).
    LogOls,
    /// Poisson pseudo-maximum likelihood, `E[Q] = exp(α + ε ln P + season)`, over every period
    /// from a product's first to its last sale, unsold periods included as `Q = 0` at the last
    /// observed price (carried forward — the price of an unsold period is not observed; this
    /// assumes it did not change). Consistent under heteroskedasticity of the multiplicative
    /// error, where log-OLS is not; the fixed effects are concentrated out exactly. `R²` is the
    /// squared correlation of `Q` and the fitted mean.
    Ppml,
}

/// Settings of [`estimate`]. The defaults are the documented rules.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ElasticityConfig {
    /// Period length in days (7 = Monday-based weeks).
    pub period_days: u32,
    /// How a cell's price is measured.
    pub price: PriceMeasure,
    /// Log-OLS (default) or PPML.
    pub estimator: Estimator,
    /// Seasonality of the per-product regressions.
    pub product_seasonality: Seasonality,
    /// Seasonality of the pooled (category, all-products) regressions.
    pub pooled_seasonality: Seasonality,
    /// Minimum cells (periods with sales) for a product estimate.
    pub min_periods: usize,
    /// Minimum distinct cell prices (within 0.5 %) for a product to count as having price
    /// variation.
    pub min_distinct_prices: usize,
    /// Minimum standard deviation of `ln P` across a product's cells (≈ coefficient of variation
    /// of the price).
    pub min_log_price_sd: f64,
    /// Minimum residual degrees of freedom of a product regression.
    pub min_dof: usize,
    /// Minimum products with price variation (clusters) for a pooled estimate.
    pub min_products: usize,
    /// Confidence level of the intervals.
    pub level: f64,
}

impl Default for ElasticityConfig {
    fn default() -> Self {
        ElasticityConfig {
            period_days: 7,
            price: PriceMeasure::QuantityWeightedMean,
            estimator: Estimator::LogOls,
            product_seasonality: Seasonality::Fourier { harmonics: 2 },
            pooled_seasonality: Seasonality::MonthOfYear,
            min_periods: 12,
            min_distinct_prices: 3,
            min_log_price_sd: 0.05,
            min_dof: 5,
            min_products: 5,
            level: 0.95,
        }
    }
}

/// How an estimate reads (rules in the crate documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval lies below −1.
    Elastic,
    /// The whole interval lies above −1 (and does not lie wholly above 0).
    Inelastic,
    /// The interval contains −1.
    Unclear,
    /// The whole interval lies above 0: quantity rises with price (endogenous pricing).
    UpwardSloping,
    /// Not enough periods or price variation to estimate.
    NotIdentified,
}

impl Verdict {
    pub fn from_interval(lower: f64, upper: f64) -> Verdict {
        if upper < -1.0 {
            Verdict::Elastic
        } else if lower > 0.0 {
            Verdict::UpwardSloping
        } else if lower > -1.0 {
            Verdict::Inelastic
        } else {
            Verdict::Unclear
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Elastic => "elastic",
            Verdict::Inelastic => "inelastic",
            Verdict::Unclear => "unclear",
            Verdict::UpwardSloping => "upward_sloping",
            Verdict::NotIdentified => "not_identified",
        }
    }
}

/// Why an elasticity could not be estimated.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum NotIdentified {
    TooFewPeriods { have: usize, need: usize },
    TooFewDistinctPrices { have: usize, need: usize },
    TooLittlePriceVariation { log_price_sd: f64, need: f64 },
    TooFewDegreesOfFreedom { have: usize, need: usize },
    TooFewProducts { have: usize, need: usize },
    /// The price was collinear with the controls (or the fit failed numerically).
    Collinear,
}

/// One elasticity estimate.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    /// The slope of `ln Q` on `ln P`.
    pub elasticity: f64,
    /// Robust standard error (HC1 per product, clustered by product when pooled).
    pub se: f64,
    pub lower: f64,
    pub upper: f64,
    /// Degrees of freedom of the t quantile.
    pub dof: f64,
    /// Cells (product-periods with sales) in the regression.
    pub cells: usize,
    /// Periods without sales included as zeros (PPML only; 0 for log-OLS).
    pub zero_cells: usize,
    /// Products in the regression (1 for a product estimate).
    pub products: usize,
    /// R² (within-product R² for pooled estimates).
    pub r2: f64,
    /// Lowest and highest cell price (mean unit price paid in a period).
    pub price_min: f64,
    pub price_max: f64,
    /// Standard deviation of `ln P` (within products for pooled estimates).
    pub log_price_sd: f64,
    pub verdict: Verdict,
}

/// The elasticity of one product.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProductElasticity {
    pub product_id: ProductId,
    pub category: Option<Category>,
    /// Periods with sales.
    pub cells: usize,
    pub distinct_prices: usize,
    pub units: f64,
    pub result: Result<Estimate, NotIdentified>,
}

/// A pooled elasticity: one category, or every product (`category = None`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PooledElasticity {
    pub category: Option<Category>,
    /// Products with at least two cells (entering the fixed-effects regression).
    pub products: usize,
    /// Of those, products passing the price-variation rules.
    pub products_with_variation: usize,
    pub result: Result<Estimate, NotIdentified>,
}

impl ProductElasticity {
    pub fn verdict(&self) -> Verdict {
        self.result.as_ref().map_or(Verdict::NotIdentified, |e| e.verdict)
    }
}

impl PooledElasticity {
    pub fn verdict(&self) -> Verdict {
        self.result.as_ref().map_or(Verdict::NotIdentified, |e| e.verdict)
    }
}

/// Everything [`estimate`] found.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ElasticityReport {
    pub config: ElasticityConfig,
    /// Order lines aggregated into cells.
    pub lines_used: usize,
    /// Lines left out: not completed / no product / non-positive quantity / price 0.
    pub lines_not_completed: usize,
    pub lines_without_product: usize,
    pub lines_non_positive_quantity: usize,
    pub lines_zero_price: usize,
    /// One entry per product with at least one cell, in product-id order.
    pub products: Vec<ProductElasticity>,
    /// One entry per named category, in category order.
    pub categories: Vec<PooledElasticity>,
    /// All products pooled (product fixed effects).
    pub overall: PooledElasticity,
}

impl ElasticityReport {
    /// Products per verdict.
    pub fn verdict_counts(&self) -> Vec<(Verdict, usize)> {
        let all = [
            Verdict::Elastic,
            Verdict::Inelastic,
            Verdict::Unclear,
            Verdict::UpwardSloping,
            Verdict::NotIdentified,
        ];
        all.into_iter().map(|v| (v, self.products.iter().filter(|p| p.verdict() == v).count())).collect()
    }
}

/// One (product, period) cell.
#[derive(Clone, Copy, Debug)]
struct Cell {
    period: i64,
    units: f64,
    /// The cell's price under the configured [`PriceMeasure`].
    price: f64,
}

impl Cell {
    fn price(&self) -> f64 {
        self.price
    }
}

/// A cell while lines are being added.
struct Building {
    period: i64,
    units: f64,
    revenue: f64,
    prices: Vec<f64>,
}

struct ProductCells {
    id: ProductId,
    category: Option<Category>,
    cells: Vec<Cell>,
    building: Vec<Building>,
}

fn distinct_prices(cells: &[Cell]) -> usize {
    let mut logs: Vec<f64> = cells.iter().map(|c| c.price().ln()).collect();
    logs.sort_by(f64::total_cmp);
    let mut count = 0;
    let mut last = f64::NEG_INFINITY;
    for v in logs {
        if v - last > 0.005 {
            count += 1;
            last = v;
        }
    }
    count
}

fn sd(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}

fn mid_day(period: i64, period_days: u32) -> i64 {
    // Period p covers days [p·d − 3, p·d − 3 + d): Monday-based for d = 7 (1970-01-01 was a Thursday).
    period * period_days as i64 - 3 + period_days as i64 / 2
}

/// Estimates product, category and overall elasticities from the shop's completed order lines.
pub fn estimate(shop: &Shop, config: &ElasticityConfig) -> ElasticityReport {
    let period_days = config.period_days.max(1);
    let product_category: HashMap<&ProductId, &Category> =
        shop.products.iter().filter_map(|p| p.category.as_ref().map(|c| (&p.product_id, c))).collect();
    let mut index: HashMap<&ProductId, usize> = HashMap::new();
    let mut products: Vec<ProductCells> = Vec::new();
    let mut cell_index: HashMap<(usize, i64), usize> = HashMap::new();
    let (mut used, mut not_completed, mut no_product, mut non_positive, mut zero_price) = (0, 0, 0, 0, 0);
    for line in &shop.orders {
        if line.status != OrderStatus::Completed {
            not_completed += 1;
            continue;
        }
        let Some(pid) = line.product_id.as_ref() else {
            no_product += 1;
            continue;
        };
        let q = line.quantity.get();
        if q <= 0.0 {
            non_positive += 1;
            continue;
        }
        let price = line.unit_price.get();
        if price <= 0.0 {
            zero_price += 1;
            continue;
        }
        used += 1;
        let p = *index.entry(pid).or_insert_with(|| {
            let category = line.category.clone().or_else(|| product_category.get(pid).map(|c| (*c).clone()));
            products.push(ProductCells { id: pid.clone(), category, cells: Vec::new(), building: Vec::new() });
            products.len() - 1
        });
        if products[p].category.is_none() {
            products[p].category = line.category.clone();
        }
        let period = (line.ordered_at.day_index() + 3).div_euclid(period_days as i64);
        let slot = *cell_index.entry((p, period)).or_insert_with(|| {
            products[p].building.push(Building { period, units: 0.0, revenue: 0.0, prices: Vec::new() });
            products[p].building.len() - 1
        });
        let cell = &mut products[p].building[slot];
        cell.units += q;
        cell.revenue += q * price;
        if config.price == PriceMeasure::MedianLine {
            cell.prices.push(price);
        }
    }
    products.sort_by(|a, b| a.id.cmp(&b.id));
    for p in &mut products {
        let mut building = std::mem::take(&mut p.building);
        building.sort_by_key(|c| c.period);
        p.cells = building
            .into_iter()
            .map(|mut b| {
                let price = match config.price {
                    PriceMeasure::QuantityWeightedMean => b.revenue / b.units,
                    PriceMeasure::MedianLine => {
                        b.prices.sort_by(f64::total_cmp);
                        let m = b.prices.len();
                        if m % 2 == 1 {
                            b.prices[m / 2]
                        } else {
                            (b.prices[m / 2 - 1] + b.prices[m / 2]) / 2.0
                        }
                    }
                };
                Cell { period: b.period, units: b.units, price }
            })
            .collect();
    }

    let product_results: Vec<ProductElasticity> = products
        .iter()
        .map(|p| ProductElasticity {
            product_id: p.id.clone(),
            category: p.category.clone(),
            cells: p.cells.len(),
            distinct_prices: distinct_prices(&p.cells),
            units: p.cells.iter().map(|c| c.units).sum(),
            result: product_estimate(&p.cells, config),
        })
        .collect();

    let mut categories: Vec<Category> = products.iter().filter_map(|p| p.category.clone()).collect();
    categories.sort();
    categories.dedup();
    let category_results = categories
        .into_iter()
        .map(|c| {
            let members: Vec<&ProductCells> = products.iter().filter(|p| p.category.as_ref() == Some(&c)).collect();
            pooled(Some(c), &members, config)
        })
        .collect();
    let all: Vec<&ProductCells> = products.iter().collect();
    let overall = pooled(None, &all, config);
    ElasticityReport {
        config: config.clone(),
        lines_used: used,
        lines_not_completed: not_completed,
        lines_without_product: no_product,
        lines_non_positive_quantity: non_positive,
        lines_zero_price: zero_price,
        products: product_results,
        categories: category_results,
        overall,
    }
}

fn has_variation(cells: &[Cell], config: &ElasticityConfig) -> bool {
    let logs: Vec<f64> = cells.iter().map(|c| c.price().ln()).collect();
    cells.len() >= 2 && distinct_prices(cells) >= config.min_distinct_prices && sd(&logs) >= config.min_log_price_sd
}

fn product_estimate(cells: &[Cell], config: &ElasticityConfig) -> Result<Estimate, NotIdentified> {
    let n = cells.len();
    if n < config.min_periods {
        return Err(NotIdentified::TooFewPeriods { have: n, need: config.min_periods });
    }
    let distinct = distinct_prices(cells);
    if distinct < config.min_distinct_prices {
        return Err(NotIdentified::TooFewDistinctPrices { have: distinct, need: config.min_distinct_prices });
    }
    let log_p: Vec<f64> = cells.iter().map(|c| c.price().ln()).collect();
    let log_price_sd = sd(&log_p);
    if log_price_sd < config.min_log_price_sd {
        return Err(NotIdentified::TooLittlePriceVariation { log_price_sd, need: config.min_log_price_sd });
    }
    if config.estimator == Estimator::Ppml {
        return product_ppml(cells, log_price_sd, config);
    }
    let y: Vec<f64> = cells.iter().map(|c| c.units.ln()).collect();
    let season: Vec<Vec<f64>> =
        cells.iter().map(|c| config.product_seasonality.columns(mid_day(c.period, config.period_days.max(1)))).collect();
    let s = season.first().map_or(0, |r| r.len());
    let mut x = vec![log_p.clone(), vec![1.0; n]];
    for j in 0..s {
        x.push(season.iter().map(|r| r[j]).collect());
    }
    let fit = linalg::ols(&y, &x, 0, None).ok_or(NotIdentified::Collinear)?;
    if !fit.kept[0] || !fit.kept[1] {
        return Err(NotIdentified::Collinear);
    }
    let dof = n - fit.rank.min(n);
    if dof < config.min_dof {
        return Err(NotIdentified::TooFewDegreesOfFreedom { have: dof, need: config.min_dof });
    }
    let mean_y = y.iter().sum::<f64>() / n as f64;
    let sst: f64 = y.iter().map(|v| (v - mean_y).powi(2)).sum();
    let ssr: f64 = fit.residuals.iter().map(|e| e * e).sum();
    let r2 = if sst > 0.0 { 1.0 - ssr / sst } else { 0.0 };
    finish(fit.beta[0], fit.cov[0][0], dof as f64, n, 0, 1, r2, cells.iter(), log_price_sd, config)
}

#[allow(clippy::too_many_arguments)]
fn finish<'a>(
    elasticity: f64,
    variance: f64,
    dof: f64,
    cells: usize,
    zero_cells: usize,
    products: usize,
    r2: f64,
    all_cells: impl Iterator<Item = &'a Cell>,
    log_price_sd: f64,
    config: &ElasticityConfig,
) -> Result<Estimate, NotIdentified> {
    let se = variance.max(0.0).sqrt();
    if !elasticity.is_finite() || !se.is_finite() || se <= 0.0 {
        return Err(NotIdentified::Collinear);
    }
    let t = linalg::t_quantile(0.5 + config.level.clamp(0.5, 0.999) / 2.0, dof);
    let (lower, upper) = (elasticity - t * se, elasticity + t * se);
    let (mut price_min, mut price_max) = (f64::INFINITY, f64::NEG_INFINITY);
    for c in all_cells {
        price_min = price_min.min(c.price());
        price_max = price_max.max(c.price());
    }
    Ok(Estimate {
        elasticity,
        se,
        lower,
        upper,
        dof,
        cells,
        zero_cells,
        products,
        r2,
        price_min,
        price_max,
        log_price_sd,
        verdict: Verdict::from_interval(lower, upper),
    })
}

fn pooled(category: Option<Category>, members: &[&ProductCells], config: &ElasticityConfig) -> PooledElasticity {
    let members: Vec<&ProductCells> = members.iter().copied().filter(|p| p.cells.len() >= 2).collect();
    let with_variation = members.iter().filter(|p| has_variation(&p.cells, config)).count();
    let result = if with_variation < config.min_products {
        Err(NotIdentified::TooFewProducts { have: with_variation, need: config.min_products })
    } else {
        match config.estimator {
            Estimator::LogOls => pooled_fit(&members, config),
            Estimator::Ppml => pooled_ppml(&members, config),
        }
    };
    PooledElasticity { category, products: members.len(), products_with_variation: with_variation, result }
}

fn pooled_fit(members: &[&ProductCells], config: &ElasticityConfig) -> Result<Estimate, NotIdentified> {
    let period_days = config.period_days.max(1);
    let n: usize = members.iter().map(|p| p.cells.len()).sum();
    let s = config.pooled_seasonality.columns(0).len();
    let mut y = Vec::with_capacity(n);
    let mut x: Vec<Vec<f64>> = vec![Vec::with_capacity(n); 1 + s];
    let mut groups = Vec::with_capacity(n);
    for (g, p) in members.iter().enumerate() {
        let m = p.cells.len() as f64;
        let ly: Vec<f64> = p.cells.iter().map(|c| c.units.ln()).collect();
        let lp: Vec<f64> = p.cells.iter().map(|c| c.price().ln()).collect();
        let season: Vec<Vec<f64>> =
            p.cells.iter().map(|c| config.pooled_seasonality.columns(mid_day(c.period, period_days))).collect();
        let my = ly.iter().sum::<f64>() / m;
        let mp = lp.iter().sum::<f64>() / m;
        let ms: Vec<f64> = (0..s).map(|j| season.iter().map(|r| r[j]).sum::<f64>() / m).collect();
        for i in 0..p.cells.len() {
            y.push(ly[i] - my);
            x[0].push(lp[i] - mp);
            for j in 0..s {
                x[1 + j].push(season[i][j] - ms[j]);
            }
            groups.push(g as u32);
        }
    }
    let log_price_sd = (x[0].iter().map(|v| v * v).sum::<f64>() / (n - members.len()).max(1) as f64).sqrt();
    let fit = linalg::ols(&y, &x, members.len(), Some(&groups)).ok_or(NotIdentified::Collinear)?;
    if !fit.kept[0] {
        return Err(NotIdentified::Collinear);
    }
    let sst: f64 = y.iter().map(|v| v * v).sum();
    let ssr: f64 = fit.residuals.iter().map(|e| e * e).sum();
    let r2 = if sst > 0.0 { 1.0 - ssr / sst } else { 0.0 };
    let dof = (members.len() - 1) as f64;
    finish(fit.beta[0], fit.cov[0][0], dof, n, 0, members.len(), r2, members.iter().flat_map(|p| p.cells.iter()), log_price_sd, config)
}

/// Every period from the first to the last cell: unsold periods get `Q = 0` at the last
/// observed price.
fn with_zeros(cells: &[Cell]) -> Vec<Cell> {
    let mut out = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            let prev = cells[i - 1];
            for period in prev.period + 1..c.period {
                out.push(Cell { period, units: 0.0, price: prev.price });
            }
        }
        out.push(*c);
    }
    out
}

fn squared_correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    if saa > 0.0 && sbb > 0.0 {
        sab * sab / (saa * sbb)
    } else {
        0.0
    }
}

fn design(rows: &[Cell], seasonality: Seasonality, period_days: u32) -> Vec<Vec<f64>> {
    let season: Vec<Vec<f64>> = rows.iter().map(|c| seasonality.columns(mid_day(c.period, period_days))).collect();
    let s = seasonality.columns(0).len();
    let mut x = vec![rows.iter().map(|c| c.price.ln()).collect::<Vec<f64>>()];
    for j in 0..s {
        x.push(season.iter().map(|r| r[j]).collect());
    }
    x
}

fn product_ppml(cells: &[Cell], log_price_sd: f64, config: &ElasticityConfig) -> Result<Estimate, NotIdentified> {
    let rows = with_zeros(cells);
    let n = rows.len();
    let y: Vec<f64> = rows.iter().map(|c| c.units).collect();
    let x = design(&rows, config.product_seasonality, config.period_days.max(1));
    let fit = linalg::ppml(&y, &x, &vec![0; n]).ok_or(NotIdentified::Collinear)?;
    if !fit.kept[0] || !fit.converged {
        return Err(NotIdentified::Collinear);
    }
    let rank = fit.kept.iter().filter(|k| **k).count() + 1;
    let dof = n.saturating_sub(rank);
    if dof < config.min_dof {
        return Err(NotIdentified::TooFewDegreesOfFreedom { have: dof, need: config.min_dof });
    }
    let r2 = squared_correlation(&y, &fit.mu);
    finish(fit.beta[0], fit.cov[0][0], dof as f64, cells.len(), n - cells.len(), 1, r2, cells.iter(), log_price_sd, config)
}

fn pooled_ppml(members: &[&ProductCells], config: &ElasticityConfig) -> Result<Estimate, NotIdentified> {
    let period_days = config.period_days.max(1);
    let mut y = Vec::new();
    let mut x: Vec<Vec<f64>> = Vec::new();
    let mut groups = Vec::new();
    let mut within = Vec::new();
    let mut cells = 0;
    for (g, p) in members.iter().enumerate() {
        let rows = with_zeros(&p.cells);
        cells += p.cells.len();
        let d = design(&rows, config.pooled_seasonality, period_days);
        if x.is_empty() {
            x = vec![Vec::new(); d.len()];
        }
        for (j, col) in d.into_iter().enumerate() {
            x[j].extend(col);
        }
        y.extend(rows.iter().map(|c| c.units));
        groups.extend(vec![g as u32; rows.len()]);
        let lp: Vec<f64> = p.cells.iter().map(|c| c.price.ln()).collect();
        let m = lp.iter().sum::<f64>() / lp.len() as f64;
        within.extend(lp.into_iter().map(|v| v - m));
    }
    let log_price_sd = (within.iter().map(|v| v * v).sum::<f64>() / (within.len() - members.len()).max(1) as f64).sqrt();
    let fit = linalg::ppml(&y, &x, &groups).ok_or(NotIdentified::Collinear)?;
    if !fit.kept[0] || !fit.converged {
        return Err(NotIdentified::Collinear);
    }
    let r2 = squared_correlation(&y, &fit.mu);
    let n = y.len();
    finish(
        fit.beta[0],
        fit.cov[0][0],
        (members.len() - 1) as f64,
        cells,
        n - cells,
        members.len(),
        r2,
        members.iter().flat_map(|p| p.cells.iter()),
        log_price_sd,
        config,
    )
}
