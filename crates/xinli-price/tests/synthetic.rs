//! Known elasticities: weekly demand Q = A·(P/B)^ε·season·noise with exogenous price changes.

use xinli_core::{Category, CustomerId, Money, OrderId, OrderLine, OrderStatus, ProductId, Quantity, Shop, Timestamp};
use xinli_price::{estimate, ElasticityConfig, Estimator, NotIdentified, Verdict};

/// splitmix64 with Box–Muller normals: no dependency, fixed seeds.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn line(order: String, at: Timestamp, product: &str, category: Option<&str>, q: f64, price: f64, status: OrderStatus) -> OrderLine {
    OrderLine {
        product_id: Some(ProductId::parse(product).unwrap()),
        category: category.map(|c| Category::parse(c).unwrap()),
        status,
        ..OrderLine::new(OrderId::parse(&order).unwrap(), CustomerId::parse("c1").unwrap(), at, Quantity::new(q).unwrap(), Money::new(price).unwrap())
    }
}

const CHEAP: f64 = -0.6;
const PREMIUM: f64 = -1.8;

/// 50 products (25 per category), noise sd 0.15 on the log scale, price levels 0.6–1.3 of a
/// base price held 2–6 weeks each, 104 weeks from Monday 2022-01-03; about 10 % of weeks
/// without sales (dropped at random, independent of price). Each week's units are split over
/// two orders at the same price, plus a cancelled line and a free line that must be ignored.
fn shop(seed: u64) -> (Shop, Vec<(String, f64)>) {
    let mut rng = Rng(seed);
    let start = Timestamp::parse("2022-01-03").unwrap().day_index();
    let mut orders = Vec::new();
    let mut truth = Vec::new();
    let levels = [0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3];
    for i in 0..50 {
        let (cat, eps) = if i < 25 { ("cheap", CHEAP) } else { ("premium", PREMIUM) };
        let id = format!("p{i:02}");
        truth.push((id.clone(), eps));
        let base = 2.0 + 48.0 * rng.uniform();
        let scale = 50.0 + 250.0 * rng.uniform();
        let mut level = 1.0;
        let mut weeks_left = 0;
        for w in 0..104i64 {
            if weeks_left == 0 {
                level = levels[(rng.uniform() * levels.len() as f64) as usize % levels.len()];
                weeks_left = 2 + (rng.uniform() * 5.0) as i64;
            }
            weeks_left -= 1;
            let day = start + 7 * w;
            let at = Timestamp::from_unix_seconds((day + 2) * 86_400 + 3600 * 10);
            let doy_angle = 2.0 * std::f64::consts::PI * ((w * 7 + 2 + 3) % 365) as f64 / 365.25;
            let season = (0.3 * doy_angle.sin() + 0.15 * doy_angle.cos()).exp();
            let noise = (0.15 * rng.normal()).exp();
            let price = base * level;
            let q = scale * level.powf(eps) * season * noise;
            if rng.uniform() < 0.1 {
                continue;
            }
            let first = q * 0.4;
            orders.push(line(format!("{id}-{w}-a"), at, &id, Some(cat), first, price, OrderStatus::Completed));
            orders.push(line(format!("{id}-{w}-b"), at, &id, Some(cat), q - first, price, OrderStatus::Completed));
            orders.push(line(format!("{id}-{w}-c"), at, &id, Some(cat), 1000.0, price * 0.1, OrderStatus::Cancelled));
            orders.push(line(format!("{id}-{w}-d"), at, &id, Some(cat), 1.0, 0.0, OrderStatus::Completed));
        }
    }
    // A product at one fixed price, and one sold in only five weeks.
    for w in 0..30i64 {
        let at = Timestamp::from_unix_seconds((start + 7 * w + 1) * 86_400);
        orders.push(line(format!("fixed-{w}"), at, "fixed", Some("other"), 10.0 + w as f64, 4.0, OrderStatus::Completed));
        if w < 5 {
            orders.push(line(format!("rare-{w}"), at, "rare", Some("other"), 3.0, 4.0 + w as f64, OrderStatus::Completed));
        }
    }
    (Shop { orders, ..Shop::default() }, truth)
}

#[test]
fn recovers_known_elasticities() {
    let mut covered = 0;
    let mut total = 0;
    for seed in [1u64, 2, 3, 4] {
        let (shop, truth) = shop(seed);
        let report = estimate(&shop, &ElasticityConfig::default());
        assert!(report.lines_zero_price > 0 && report.lines_not_completed > 0);
        for (id, eps) in &truth {
            let p = report.products.iter().find(|p| p.product_id.as_str() == id).unwrap();
            let e = p.result.as_ref().expect("identified");
            total += 1;
            if e.lower <= *eps && *eps <= e.upper {
                covered += 1;
            }
            assert!(e.price_min < e.price_max && e.r2 > 0.0 && e.r2 <= 1.0);
        }
        let fixed = report.products.iter().find(|p| p.product_id.as_str() == "fixed").unwrap();
        assert!(matches!(fixed.result, Err(NotIdentified::TooFewDistinctPrices { .. })), "{:?}", fixed.result);
        assert_eq!(fixed.verdict(), Verdict::NotIdentified);
        let rare = report.products.iter().find(|p| p.product_id.as_str() == "rare").unwrap();
        assert!(matches!(rare.result, Err(NotIdentified::TooFewPeriods { have: 5, .. })));

        assert_eq!(report.categories.len(), 3);
        let other = report.categories.iter().find(|c| c.category.as_ref().unwrap().as_str() == "other").unwrap();
        assert!(matches!(other.result, Err(NotIdentified::TooFewProducts { have: 1, need: 5 })), "{:?}", other.result);
        for c in report.categories.iter().filter(|c| c.category.as_ref().unwrap().as_str() != "other") {
            let e = c.result.as_ref().unwrap();
            let name = c.category.as_ref().unwrap().as_str().to_string();
            let want = if name == "cheap" { CHEAP } else { PREMIUM };
            println!(
                "seed {seed} {name}: ε = {:.3} (SE {:.3}, [{:.3}, {:.3}]), {} cells, {} products, within R² {:.2}, {:?}",
                e.elasticity, e.se, e.lower, e.upper, e.cells, e.products, e.r2, e.verdict
            );
            assert!((e.elasticity - want).abs() <= 0.05, "{name}: {} vs {want}", e.elasticity);
            // The pooled interval's coverage is a 95 % property (CR1 with 25 clusters runs a
            // little short), not asserted per seed; over seeds 1–16 it missed in 3 of 32.
            assert_eq!(e.verdict, if name == "cheap" { Verdict::Inelastic } else { Verdict::Elastic });
        }
        let all = report.overall.result.as_ref().unwrap();
        assert!(all.elasticity < CHEAP && all.elasticity > PREMIUM);
        assert_eq!(report.overall.products_with_variation, 51); // "rare" has 5 cells at 5 prices
    }
    let share = covered as f64 / total as f64;
    println!("per-product 95 % intervals covering the true ε: {covered}/{total} = {share:.3}");
    assert!((0.90..=0.99).contains(&share), "coverage {share}");
}

impl Rng {
    fn poisson(&mut self, lambda: f64) -> u64 {
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.uniform();
        while p > limit {
            k += 1;
            p *= self.uniform();
        }
        k
    }
}

/// Slow movers: Poisson weekly counts with mean A·(P/B)^ε·season, A in 1.5–6, so many weeks
/// sell nothing. Price regimes last 4–8 weeks.
fn slow_shop(seed: u64) -> Shop {
    let mut rng = Rng(seed);
    let start = Timestamp::parse("2022-01-03").unwrap().day_index();
    let mut orders = Vec::new();
    let levels = [0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3];
    for i in 0..50 {
        let (cat, eps) = if i < 25 { ("cheap", CHEAP) } else { ("premium", PREMIUM) };
        let id = format!("s{i:02}");
        let base = 2.0 + 48.0 * rng.uniform();
        let scale = 1.5 + 4.5 * rng.uniform();
        let (mut level, mut weeks_left) = (1.0f64, 0);
        for w in 0..104i64 {
            if weeks_left == 0 {
                level = levels[(rng.uniform() * levels.len() as f64) as usize % levels.len()];
                weeks_left = 4 + (rng.uniform() * 5.0) as i64;
            }
            weeks_left -= 1;
            let at = Timestamp::from_unix_seconds((start + 7 * w + 2) * 86_400);
            let angle = 2.0 * std::f64::consts::PI * ((w * 7 + 5) % 365) as f64 / 365.25;
            let lambda = scale * level.powf(eps) * (0.3 * angle.sin() + 0.15 * angle.cos()).exp();
            let q = rng.poisson(lambda);
            if q > 0 {
                orders.push(line(format!("{id}-{w}"), at, &id, Some(cat), q as f64, base * level, OrderStatus::Completed));
            }
        }
    }
    Shop { orders, ..Shop::default() }
}

#[test]
fn ppml_handles_slow_movers_with_zero_weeks() {
    let ppml = ElasticityConfig { estimator: Estimator::Ppml, ..ElasticityConfig::default() };
    let (mut worst_ppml, mut worst_ols) = (0.0f64, 0.0f64);
    for seed in [11u64, 12, 13] {
        let shop = slow_shop(seed);
        let a = estimate(&shop, &ppml);
        let b = estimate(&shop, &ElasticityConfig::default());
        for (c, o) in a.categories.iter().zip(&b.categories) {
            let name = c.category.as_ref().unwrap().as_str();
            let want = if name == "cheap" { CHEAP } else { PREMIUM };
            let (e, f) = (c.result.as_ref().unwrap(), o.result.as_ref().unwrap());
            println!(
                "seed {seed} {name} (true {want}): PPML ε = {:.3} [{:.3}, {:.3}] ({} cells + {} zero weeks); log-OLS ε = {:.3} [{:.3}, {:.3}]",
                e.elasticity, e.lower, e.upper, e.cells, e.zero_cells, f.elasticity, f.lower, f.upper
            );
            assert!(e.zero_cells > 0 && f.zero_cells == 0);
            worst_ppml = worst_ppml.max((e.elasticity - want).abs());
            worst_ols = worst_ols.max((f.elasticity - want).abs());
        }
        let identified = a.products.iter().filter(|p| p.result.is_ok()).count();
        let covered = a
            .products
            .iter()
            .filter_map(|p| p.result.as_ref().ok().map(|e| (p, e)))
            .filter(|(p, e)| {
                let want = if p.category.as_ref().unwrap().as_str() == "cheap" { CHEAP } else { PREMIUM };
                e.lower <= want && want <= e.upper
            })
            .count();
        println!("seed {seed}: PPML per-product intervals covering the truth {covered}/{identified}");
        assert!(identified >= 40 && covered as f64 >= 0.85 * identified as f64);
    }
    println!("largest pooled error: PPML {worst_ppml:.3}, log-OLS {worst_ols:.3}");
    assert!(worst_ppml <= 0.1, "PPML pooled error {worst_ppml}");
}
