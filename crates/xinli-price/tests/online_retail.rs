//! UCI Online Retail: per-product and pooled elasticities have sane signs and intervals.
//!
//! Online Retail has no category column, so the figures are per product (StockCode) and pooled
//! over all products. Non-merchandise codes (POST, DOT, M, BANK CHARGES, AMAZONFEE, …: every
//! StockCode not starting with a digit) are dropped first: their "prices" are fees.

use std::path::Path;
use xinli_price::{estimate, ElasticityConfig, Estimator, PriceMeasure, Seasonality, Verdict};

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[test]
fn online_retail_elasticities_are_sane() {
    let path = Path::new("/work/shared/data/online_retail/online_retail.csv.gz");
    if !path.exists() {
        eprintln!("skipped: {} not found", path.display());
        return;
    }
    let mut shop = xinli_ingest::import_preset(xinli_ingest::Preset::OnlineRetail, &[path], &Default::default())
        .expect("import")
        .shop;
    let before = shop.orders.len();
    shop.orders.retain(|l| {
        l.product_id.as_ref().is_some_and(|p| p.as_str().starts_with(|c: char| c.is_ascii_digit()))
    });
    println!("order lines {before}, merchandise lines {}", shop.orders.len());

    for (name, config) in [
        ("weekly, Fourier(2) per product, month dummies pooled", ElasticityConfig::default()),
        (
            "weekly, median line price (posted-price proxy)",
            ElasticityConfig { price: PriceMeasure::MedianLine, ..ElasticityConfig::default() },
        ),
        (
            "weekly, PPML (unsold weeks between first and last sale as zeros)",
            ElasticityConfig { estimator: Estimator::Ppml, ..ElasticityConfig::default() },
        ),
        (
            "monthly (30-day periods), no per-product seasonality",
            ElasticityConfig {
                period_days: 30,
                product_seasonality: Seasonality::None,
                min_periods: 8,
                min_dof: 4,
                ..ElasticityConfig::default()
            },
        ),
    ] {
        let report = estimate(&shop, &config);
        println!("\n== {name}");
        println!(
            "lines used {}, not completed {}, zero price {}; products with cells {}",
            report.lines_used,
            report.lines_not_completed,
            report.lines_zero_price,
            report.products.len()
        );
        for (v, n) in report.verdict_counts() {
            println!("  {:<15} {n}", v.name());
        }
        let mut eps: Vec<f64> =
            report.products.iter().filter_map(|p| p.result.as_ref().ok()).map(|e| e.elasticity).collect();
        eps.sort_by(f64::total_cmp);
        let identified = eps.len();
        let negative = eps.iter().filter(|e| **e < 0.0).count();
        println!(
            "identified {identified}; ε quantiles 5/25/50/75/95 %: {:.2} {:.2} {:.2} {:.2} {:.2}; negative {negative} ({:.0} %)",
            quantile(&eps, 0.05),
            quantile(&eps, 0.25),
            quantile(&eps, 0.5),
            quantile(&eps, 0.75),
            quantile(&eps, 0.95),
            100.0 * negative as f64 / identified as f64
        );
        let median_se = {
            let mut se: Vec<f64> =
                report.products.iter().filter_map(|p| p.result.as_ref().ok()).map(|e| e.se).collect();
            se.sort_by(f64::total_cmp);
            quantile(&se, 0.5)
        };
        println!("median product SE {median_se:.2}");
        let o = &report.overall;
        let e = o.result.as_ref().expect("overall elasticity identified");
        println!(
            "pooled: ε = {:.3} (SE {:.3}, 95 % [{:.3}, {:.3}]), {} cells (+{} zero), {} products ({} with price variation), within R² {:.3}, prices {:.2}–{:.2}, within sd ln P {:.3}, {}",
            e.elasticity, e.se, e.lower, e.upper, e.cells, e.zero_cells, e.products, o.products_with_variation, e.r2, e.price_min, e.price_max, e.log_price_sd, e.verdict.name()
        );

        // Sane: every identified interval is finite and ordered around its estimate; most
        // products and the pooled figure slope downwards.
        for p in &report.products {
            if let Ok(e) = &p.result {
                assert!(e.lower.is_finite() && e.upper.is_finite() && e.lower < e.elasticity && e.elasticity < e.upper);
                assert!(e.se > 0.0 && e.r2 >= 0.0 && e.r2 <= 1.0 + 1e-9);
                assert!(e.price_min > 0.0 && e.price_min < e.price_max);
            }
        }
        assert!(identified >= 100, "only {identified} products identified");
        assert!(negative as f64 >= 0.8 * identified as f64);
        assert!(quantile(&eps, 0.5) < 0.0);
        assert!(e.upper < 0.0, "pooled interval should exclude 0");
        assert_ne!(e.verdict, Verdict::UpwardSloping);
        assert!(report.categories.is_empty());
    }
}
