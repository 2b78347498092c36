//! A generative simulator of an online shop whose customers carry **planted psychological
//! traits**, written in xinli's canonical format (data contract v1) with a truth file. Tests and
//! the demo use it to check that trait scores recover what was planted.
//!
//! # The generative story
//!
//! Every random draw comes from an in-crate xoshiro256++ stream keyed by `(seed, entity,
//! purpose)`, so a [`SimConfig`] always gives the same shop, and a customer's traits, activity
//! and behaviour come from three separate streams.
//!
//! ## 1. Catalogue
//!
//! `categories` categories (named `apparel`, `skincare`, `tea`, …; at most one per product), each
//! with a base price (log-normal, median ¥80). `products` products (at least one), each with a
//! category (every category has at least one), a list price (category base × log-normal noise),
//! a brand, an average rating in 2.5–5 (`2.5 + 2.5·Beta(4,2)`, one decimal), a Zipf popularity
//! (exponent 0.8 over a random order: the bestsellers), a launch date (70 % launched 1–30 months
//! before `start`; 30 % are **new arrivals** launched during the period, invisible before and
//! "new" for 60 days) and, for 60 % of products, a **periodic promotion**: every 28 days, from a
//! per-product phase, a 5–9 day window with a 10–40 % discount.
//!
//! ## 2. Traits and personas
//!
//! Six traits in [0, 1] ([`TraitVector`], order of [`TRAITS`]). 70 % of customers get a
//! planted **persona**: one trait, drawn uniformly, is dominant (`0.70 + 0.28·Beta(2,2)`) and
//! the five others are low to middling (`0.05 + 0.40·Beta(2,2.5)`), so the dominant trait is
//! always ≥ 0.25 above every other. The other 30 % are **balanced**: all six traits in
//! `0.30 + 0.35·Beta(2,2)`, redrawn until the top two differ by less than 0.15.
//! `persona` in the truth is the dominant trait's persona name, or `balanced` ([`PERSONAS`]).
//!
//! Each customer also draws, per behaviour, a **nuisance factor** `exp(0.3·N(0,1))` that scales
//! that behaviour's rate: two customers with the same trait do not behave identically, and no
//! single signal is a perfect code for a trait.
//!
//! The customer record (`customers.csv`) has a sign-up date, gender, city and consents drawn
//! without regard to traits, and an `acquisition_channel` ∝ organic 0.35, search 0.25, social
//! `0.10+0.3o`, referral `0.05+0.3o`, ads `0.15+0.2p`.
//!
//! ## 3. Activity (independent of traits)
//!
//! The number of sessions is drawn from its own stream, independently of the traits: with
//! probability `sparse_share` (default 0.1) the customer is **sparse** with 1 or 2 sessions;
//! otherwise `round(exp(ln 9 + 0.75·N(0,1)))` clamped to 3–150 (median 9; with the defaults about
//! 55 % of all customers have ≥ 8). The first session falls in the first half of the period, the
//! others uniformly after it, at 08:00–24:00 (evening-heavy); sessions never overlap (≥ 10 min apart). Sign-up precedes the first session.
//!
//! ## 4. A session: the decision journey (need → search → compare → purchase → review)
//!
//! Probabilities below are before the customer's nuisance factor and are clamped to [0, 0.97].
//! `p i c s o n` are price sensitivity, information seeking, convenience, trust concern, social
//! influence and novelty seeking.
//!
//! | step | events | dependence on traits |
//! |---|---|---|
//! | arrival | `page_view {"page", "via", "channel"}` | `via` ∝ share `0.03+0.6o`, referral `0.02+0.25o`, search `0.25+0.35i`, recommendation `0.25`, campaign `0.08+0.35p`, direct `0.3+0.4c` (a share lands on a popular product, then viewed); channel app / mini_program with `0.15+0.7c`, else web |
//! | post-purchase (from the previous session) | `page_view return_policy`, `return_request`; reviews in `reviews.csv` | see purchase |
//! | login | `login` | 35 %, no trait |
//! | reassurance | `page_view` return_policy / security / faq / shipping / privacy / about_us | repeated while a draw `< 0.03+0.5s` (≤ 4); plus 6 % faq/shipping for everyone |
//! | deals | `page_view promotions`, `coupon_claim` | `0.05+0.45p`, `0.03+0.45p` |
//! | discovery pages | `page_view new_arrivals` (then a `product_view` of a new arrival when the pick is one), `page_view bestsellers` | `0.03+0.5n`, `0.03+0.35o` |
//! | reorder (needs a past purchase) | `page_view order_history`, `product_view`, straight to checkout | `0.03+0.55c`: a past product bought again, few steps |
//! | need / search | `search {query}` | Poisson mean `0.2+2.0i` |
//! | browse | `product_view` (value = shown price) | 1 + Poisson `(0.6+5i)(1−0.5c)` views in a focal category: a favourite one, or a random one with `0.10+0.8n` |
//! | product choice | | 8 candidates (4 drawn ∝ popularity, 4 uniformly in the category), then weighted by `exp(2.2o·popularity z)`, `1+10p·discount/0.25` if on promotion, `(category base / price)^(1.5p)`, `1+20n²` if launched in the last 60 days, `exp(2.5s·(rating−4.2))`, `1−0.9n` if bought before |
//! | evaluate | `review_read`, `share`, `wishlist`, `compare`, `support_contact` | per view `0.04+0.6i+0.1s`, `0.01+0.12o`, `0.03+0.1n+0.05p`; per session (≥ 2 views) `0.05+0.7i`; `0.02+0.2s` |
//! | intent | | `0.28·(1+0.3c)`, × `(1+0.8p)` if the item is discounted or a coupon is held, else × `(1−0.6p)`; without intent 12 % still add to cart and leave |
//! | cart | `add_to_cart` (a 2nd viewed item with 25 %), `remove_from_cart` | cart skipped ("buy now", `checkout_start {"buy_now":true}`, one item) with `0.05+0.65c`; the 2nd item removed with 10 %; 15 % of carts abandoned |
//! | checkout | `checkout_start`, `payment_start {"method"}` | `cod` with `0.02+0.55s`, else alipay / wechat / card by a personal preference |
//! | trust abandonment | (session ends at `payment_start`) | `0.04+0.4s` |
//! | purchase | `purchase {"order_id"}` per order line + `OrderLine` (same ts, product, order) | unit price = list × (1 − promotion) × (1 − coupon); a claimed coupon is used with 90 %, else a code with `0.02+0.25p`; quantity 2 with `0.05+0.2p` on promotion |
//! | after | `share {"after":"purchase"}`, `referral_signup` | `0.03+0.45o`, per session `0.01+0.15o` |
//! | post-purchase (next session) | `return_request`, order status `returned`; a review | return `0.02+0.18s`; review `0.05+0.3o+0.1i`, rating near the product's, zh or en text |
//!
//! Inter-event gaps are 3 s plus an exponential with mean `(15 + 50(1−c) + 20i)` seconds × a
//! nuisance factor (convenience-seekers are quick). Session ids are `<customer>-s<k>`; every event has a customer id.
//!
//! # Output
//!
//! [`simulate`] returns the [`Shop`] (customers, products, orders, events, reviews) and one
//! [`CustomerTruth`] per customer; [`write_shop`] writes the canonical CSV files (through
//! `xinli_ingest::write_canonical`) and `truth.csv` (read back with [`read_truth`]). 50,000
//! customers (about 5 million events) take about three seconds of CPU in release mode
//! (`cargo run --release -p xinli-sim --example simulate -- 50000 [seed] [out dir]`).
//!
//! ```
//! use xinli_sim::{simulate, spearman, SimConfig};
//!
//! let sim = simulate(&SimConfig { customers: 200, seed: 7, ..SimConfig::default() });
//! assert_eq!(sim.truth.len(), sim.shop.customers.len());
//! // Activity was drawn independently of the traits.
//! let sessions: Vec<f64> = sim.truth.iter().map(|t| t.sessions as f64).collect();
//! let price: Vec<f64> = sim.truth.iter().map(|t| t.traits.price_sensitivity).collect();
//! assert!(spearman(&price, &sessions).abs() < 0.2);
//! ```

mod generate;
mod rng;

use std::io;
use std::path::Path;
use xinli_core::{CustomerId, Shop, Timestamp};

pub use generate::{simulate, simulate_in_parts};

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    pub customers: usize,
    pub products: usize,
    pub categories: usize,
    /// Length of the observed period in days, from `start`.
    pub days: u32,
    pub start: Timestamp,
    pub seed: u64,
    /// Share of customers with very little data (1–2 sessions).
    pub sparse_share: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            customers: 2_000,
            products: 400,
            categories: 12,
            days: 180,
            start: Timestamp::parse("2024-01-01").expect("valid date"),
            seed: 42,
            sparse_share: 0.1,
        }
    }
}

/// The six trait names, in [`TraitVector::as_array`] order (also the truth file's columns).
pub const TRAITS: [&str; 6] =
    ["price_sensitivity", "info_seeking", "convenience", "trust_concern", "social_influence", "novelty_seeking"];

/// Persona names: the persona of each trait in [`TRAITS`] order, then `balanced`.
pub const PERSONAS: [&str; 7] = [
    "price_sensitive",
    "info_seeker",
    "convenience_seeker",
    "trust_seeker",
    "socially_influenced",
    "novelty_seeker",
    "balanced",
];

/// A customer's planted traits, each in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TraitVector {
    /// 价格敏感
    pub price_sensitivity: f64,
    /// 信息获取
    pub info_seeking: f64,
    /// 便捷
    pub convenience: f64,
    /// 安全感
    pub trust_concern: f64,
    /// 社交/口碑
    pub social_influence: f64,
    /// 个性化/求新
    pub novelty_seeking: f64,
}

impl TraitVector {
    /// The traits in [`TRAITS`] order.
    pub fn as_array(&self) -> [f64; 6] {
        [
            self.price_sensitivity,
            self.info_seeking,
            self.convenience,
            self.trust_concern,
            self.social_influence,
            self.novelty_seeking,
        ]
    }
    pub fn from_array(a: [f64; 6]) -> Self {
        TraitVector {
            price_sensitivity: a[0],
            info_seeking: a[1],
            convenience: a[2],
            trust_concern: a[3],
            social_influence: a[4],
            novelty_seeking: a[5],
        }
    }
}

/// What was planted in one customer.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerTruth {
    pub customer_id: CustomerId,
    pub traits: TraitVector,
    /// One of [`PERSONAS`].
    pub persona: &'static str,
    /// Number of sessions generated (distinct `session_id`s in the events).
    pub sessions: u32,
}

/// A simulated shop and its truth, one entry per customer in `shop.customers` order.
#[derive(Clone, Debug)]
pub struct SimulatedShop {
    pub shop: Shop,
    pub truth: Vec<CustomerTruth>,
}

/// Writes the canonical files (`customers.csv`, `products.csv`, `orders.csv`, `events.csv`,
/// `reviews.csv`) and `truth.csv` (customer_id, the six traits, persona, sessions) into `dir`.
/// `xinli_ingest::import_dir` reads the directory and only warns about `truth.csv`.
pub fn write_shop(sim: &SimulatedShop, dir: &Path) -> io::Result<()> {
    xinli_ingest::write_canonical(&sim.shop, dir)?;
    let mut w = csv::Writer::from_path(dir.join("truth.csv"))?;
    write_truth_header(&mut w)?;
    write_truth_rows(&mut w, &sim.truth)?;
    w.flush()
}

/// What [`write_shop_in_parts`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub customers: usize,
    pub order_lines: usize,
    pub events: usize,
    pub parts: usize,
}

/// Simulates and writes the shop part by part ([`simulate_in_parts`]): with more customers than
/// `part_size` the files are `orders-0001.csv`, `events-0001.csv`, … (one shop to
/// `xinli_ingest::import_dir`), else the names of [`write_shop`]. Memory stays that of one part;
/// `progress` hears the customers written so far.
pub fn write_shop_in_parts(config: &SimConfig, dir: &Path, part_size: usize, mut progress: impl FnMut(usize)) -> io::Result<Written> {
    std::fs::create_dir_all(dir)?;
    let single = config.customers <= part_size;
    let mut truth = csv::Writer::from_path(dir.join("truth.csv"))?;
    write_truth_header(&mut truth)?;
    let mut written = Written::default();
    simulate_in_parts(config, part_size, |part| {
        written.parts += 1;
        let suffix = if single { String::new() } else { format!("-{:04}", written.parts) };
        xinli_ingest::write_canonical_part(&part.shop, dir, &suffix)?;
        write_truth_rows(&mut truth, &part.truth)?;
        written.customers += part.truth.len();
        written.order_lines += part.shop.orders.len();
        written.events += part.shop.events.len();
        progress(written.customers);
        Ok::<(), io::Error>(())
    })?;
    truth.flush()?;
    Ok(written)
}

fn write_truth_header(w: &mut csv::Writer<std::fs::File>) -> io::Result<()> {
    let mut header = vec!["customer_id"];
    header.extend(TRAITS);
    header.extend(["persona", "sessions"]);
    w.write_record(&header)?;
    Ok(())
}

fn write_truth_rows(w: &mut csv::Writer<std::fs::File>, truth: &[CustomerTruth]) -> io::Result<()> {
    for t in truth {
        let mut row = vec![t.customer_id.to_string()];
        row.extend(t.traits.as_array().iter().map(|v| format!("{v:.4}")));
        row.push(t.persona.to_string());
        row.push(t.sessions.to_string());
        w.write_record(&row)?;
    }
    Ok(())
}

/// Reads a `truth.csv` written by [`write_shop`].
pub fn read_truth(path: &Path) -> io::Result<Vec<CustomerTruth>> {
    let bad = |msg: String| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {msg}", path.display()));
    let mut r = csv::Reader::from_path(path)?;
    let mut out = Vec::new();
    for record in r.records() {
        let record = record?;
        if record.len() != 9 {
            return Err(bad(format!("expected 9 fields, found {}", record.len())));
        }
        let customer_id = CustomerId::parse(&record[0]).map_err(|e| bad(e.to_string()))?;
        let mut traits = [0.0; 6];
        for (k, v) in traits.iter_mut().enumerate() {
            *v = record[k + 1].parse().map_err(|_| bad(format!("bad trait value {:?}", &record[k + 1])))?;
        }
        let persona = PERSONAS
            .iter()
            .find(|p| **p == &record[7])
            .ok_or_else(|| bad(format!("unknown persona {:?}", &record[7])))?;
        let sessions = record[8].parse().map_err(|_| bad(format!("bad sessions {:?}", &record[8])))?;
        out.push(CustomerTruth { customer_id, traits: TraitVector::from_array(traits), persona, sessions });
    }
    Ok(out)
}

/// Spearman rank correlation (average ranks for ties); 0 when either side is constant.
/// Provided for tests of trait scorers against the truth.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "spearman: lengths differ");
    let rx = ranks(x);
    let ry = ranks(y);
    pearson(&rx, &ry)
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_uses_average_ranks() {
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(ranks(&[5.0, 1.0, 5.0]), vec![2.5, 1.0, 2.5]);
    }
}
