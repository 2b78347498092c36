//! A deliberately naive trait scorer (rates per session / per opportunity, averaged as
//! percentile ranks) used to check that the planted traits are recoverable from behaviour
//! alone and that rates do not track activity.

use std::collections::{HashMap, HashSet};
use xinli_core::{EventType, Shop, Subject};

#[derive(Default, Clone)]
struct Acc {
    sessions: HashSet<String>,
    n: HashMap<&'static str, f64>,
    cats: HashMap<String, f64>,
    bought: Vec<String>,
}

impl Acc {
    fn add(&mut self, k: &'static str, v: f64) {
        *self.n.entry(k).or_default() += v;
    }
    fn get(&self, k: &str) -> f64 {
        self.n.get(k).copied().unwrap_or(0.0)
    }
}

fn percentiles(v: &[Option<f64>]) -> Vec<f64> {
    let known: Vec<f64> = v.iter().flatten().copied().collect();
    let mean = if known.is_empty() { 0.0 } else { known.iter().sum::<f64>() / known.len() as f64 };
    let filled: Vec<f64> = v.iter().map(|x| x.unwrap_or(mean)).collect();
    let mut idx: Vec<usize> = (0..filled.len()).collect();
    idx.sort_by(|&a, &b| filled[a].total_cmp(&filled[b]));
    let mut r = vec![0.0; filled.len()];
    for (rank, &k) in idx.iter().enumerate() {
        r[k] = rank as f64 / filled.len().max(1) as f64;
    }
    r
}

/// One feature's percentiles: (trait, feature index, value per customer).
pub type FeatureValues = (usize, usize, Vec<f64>);
type Feature = Box<dyn Fn(&Acc) -> Option<(f64, f64)>>;

/// Scores (customer order of `customers`), one `[f64; 6]` per customer, and each feature's
/// percentiles `(trait, feature, values)`.
pub fn score(shop: &Shop, customers: &[String]) -> (Vec<[f64; 6]>, Vec<FeatureValues>) {
    let index: HashMap<&str, usize> = customers.iter().enumerate().map(|(k, c)| (c.as_str(), k)).collect();
    let mut acc = vec![Acc::default(); customers.len()];
    let launched: HashMap<String, i64> = shop
        .products
        .iter()
        .map(|p| (p.product_id.to_string(), p.launched_at.map_or(0, |t| t.unix_seconds())))
        .collect();
    let info: HashMap<String, (f64, f64)> = shop
        .products
        .iter()
        .map(|p| (p.product_id.to_string(), (p.list_price.map_or(0.0, |m| m.get()), p.avg_rating.unwrap_or(4.0))))
        .collect();
    let mut previous: Option<(&str, i64)> = None;
    for e in &shop.events {
        let Subject::Customer(c) = &e.subject else { continue };
        let a = &mut acc[index[c.as_str()]];
        let sid = e.session_id.as_deref().unwrap_or("");
        if let Some((s, t)) = previous {
            if s == sid {
                a.add("gap", -((e.ts.unix_seconds() - t) as f64).min(600.0));
                a.add("gaps", 1.0);
            }
        }
        previous = Some((sid, e.ts.unix_seconds()));
        a.sessions.insert(e.session_id.clone().unwrap_or_default());
        let props = e.properties.as_deref().unwrap_or("");
        match e.event_type {
            EventType::PageView => {
                for (needle, key) in [
                    (r#""via":"share""#, "via_social"),
                    (r#""via":"referral""#, "via_social"),
                    (r#""via":"campaign""#, "via_campaign"),
                    (r#""via":"direct""#, "via_direct"),
                    (r#""channel":"app""#, "mobile"),
                    (r#""channel":"mini_program""#, "mobile"),
                    (r#""page":"promotions""#, "promo_page"),
                    (r#""page":"new_arrivals""#, "new_page"),
                    (r#""page":"bestsellers""#, "best_page"),
                    (r#""page":"security""#, "trust_page"),
                    (r#""page":"return_policy""#, "trust_page"),
                    (r#""page":"privacy""#, "trust_page"),
                    (r#""page":"about_us""#, "trust_page"),
                ] {
                    if props.contains(needle) {
                        a.add(key, 1.0);
                    }
                }
            }
            EventType::ProductView => {
                a.add("views", 1.0);
                let p = e.product_id.as_ref().map(|p| p.to_string()).unwrap_or_default();
                let (list, rating) = info[&p];
                if e.value.unwrap_or(list) < list - 1e-9 {
                    a.add("discounted_view", 1.0);
                }
                if e.ts.unix_seconds() - launched[&p] < 60 * 86_400 {
                    a.add("new_view", 1.0);
                }
                a.add("rating_sum", rating - 4.0);
                *a.cats.entry(e.category.as_ref().map(|c| c.to_string()).unwrap_or_default()).or_default() += 1.0;
            }
            EventType::Search => a.add("search", 1.0),
            EventType::ReviewRead => a.add("review_read", 1.0),
            EventType::Compare => a.add("compare", 1.0),
            EventType::CouponClaim => a.add("coupon_claim", 1.0),
            EventType::Share => a.add("share", 1.0),
            EventType::ReferralSignup => a.add("referral", 1.0),
            EventType::SupportContact => a.add("support", 1.0),
            EventType::CheckoutStart => {
                a.add("checkout", 1.0);
                if props.contains("buy_now") {
                    a.add("buy_now", 1.0);
                }
            }
            EventType::PaymentStart => {
                a.add("payment", 1.0);
                if props.contains("cod") {
                    a.add("cod", 1.0);
                }
            }
            EventType::Purchase => {
                a.add("purchase", 1.0);
                let p = e.product_id.as_ref().map(|p| p.to_string()).unwrap_or_default();
                if e.ts.unix_seconds() - launched.get(&p).copied().unwrap_or(0) < 60 * 86_400 {
                    a.add("new_buy", 1.0);
                }
                if a.bought.contains(&p) {
                    a.add("repeat", 1.0);
                }
                a.bought.push(p);
            }
            EventType::ReturnRequest => a.add("return", 1.0),
            _ => {}
        }
    }
    let mut purchases_per_order: HashMap<String, usize> = HashMap::new();
    for o in &shop.orders {
        let a = &mut acc[index[o.customer_id.as_str()]];
        a.add("lines", 1.0);
        if o.unit_price.get() < o.list_price.map_or(0.0, |m| m.get()) - 1e-9 {
            a.add("discounted", 1.0);
        }
        *purchases_per_order.entry(o.order_id.to_string()).or_default() += 1;
    }
    // (count, exposure); shrunk below towards the population rate by two pseudo-exposures.
    let rate = |a: &Acc, k: &str, per: f64| if per > 0.0 { Some((a.get(k), per)) } else { None };
    let feature_sets: [Vec<Feature>; 6] = [
        vec![
            Box::new(move |a| rate(a, "discounted", a.get("lines"))),
            Box::new(move |a| rate(a, "coupon_claim", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "discounted_view", a.get("views"))),
            Box::new(move |a| rate(a, "promo_page", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "via_campaign", a.sessions.len() as f64)),
        ],
        vec![
            Box::new(move |a| rate(a, "views", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "review_read", a.get("views"))),
            Box::new(move |a| rate(a, "compare", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "search", a.sessions.len() as f64)),
        ],
        vec![
            Box::new(move |a| rate(a, "mobile", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "buy_now", a.get("checkout"))),
            Box::new(move |a| rate(a, "via_direct", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "repeat", a.get("purchase"))),
            Box::new(move |a| rate(a, "gap", a.get("gaps"))),
        ],
        vec![
            Box::new(move |a| rate(a, "trust_page", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "cod", a.get("payment"))),
            Box::new(move |a| rate(a, "rating_sum", a.get("views"))),
            Box::new(move |a| rate(a, "support", a.sessions.len() as f64)),
            Box::new(move |a| if a.get("payment") > 0.0 { Some((a.get("payment") - a.get("purchase").min(a.get("payment")), a.get("payment"))) } else { None }),
        ],
        vec![
            Box::new(move |a| rate(a, "via_social", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "share", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "referral", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "best_page", a.sessions.len() as f64)),
        ],
        vec![
            Box::new(move |a| rate(a, "new_page", a.sessions.len() as f64)),
            Box::new(move |a| rate(a, "new_buy", a.get("purchase"))),
            Box::new(move |a| rate(a, "new_view", a.get("views"))),
            Box::new(move |a| {
                let total: f64 = a.cats.values().sum();
                if total <= 0.0 {
                    return None;
                }
                let mut v: Vec<f64> = a.cats.values().copied().collect();
                v.sort_by(|x, y| y.total_cmp(x));
                Some((total - v.iter().take(2).sum::<f64>(), total))
            }),
        ],
    ];
    let mut out = vec![[0.0; 6]; customers.len()];
    let mut per_feature = Vec::new();
    for (tr, features) in feature_sets.iter().enumerate() {
        for (fi, f) in features.iter().enumerate() {
            let raw: Vec<Option<(f64, f64)>> = acc.iter().map(f).collect();
            let (sc, se) = raw.iter().flatten().fold((0.0, 0.0), |(c, e), (x, y)| (c + x, e + y));
            let pop = if se > 0.0 { sc / se } else { 0.0 };
            let values: Vec<Option<f64>> = raw.iter().map(|r| r.map(|(c, e)| (c + 2.0 * pop) / (e + 2.0))).collect();
            let pct = percentiles(&values);
            for (k, p) in pct.iter().enumerate() {
                out[k][tr] += p / features.len() as f64;
            }
            per_feature.push((tr, fi, pct));
        }
    }
    (out, per_feature)
}
