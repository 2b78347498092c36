use std::collections::{HashMap, HashSet};
use xinli_core::{EventType, OrderStatus, Subject};
use xinli_sim::{read_truth, simulate, spearman, write_shop, SimConfig, PERSONAS, TRAITS};

fn small(seed: u64) -> SimConfig {
    SimConfig { customers: 1_500, products: 200, seed, ..SimConfig::default() }
}

#[test]
fn the_same_seed_gives_the_same_shop_and_another_seed_another() {
    let a = simulate(&small(7));
    let b = simulate(&small(7));
    assert_eq!(a.truth, b.truth);
    assert_eq!(a.shop.customers, b.shop.customers);
    assert_eq!(a.shop.products, b.shop.products);
    assert_eq!(a.shop.orders, b.shop.orders);
    assert_eq!(a.shop.events, b.shop.events);
    assert_eq!(a.shop.reviews, b.shop.reviews);
    let c = simulate(&small(8));
    assert_ne!(a.truth, c.truth);
    assert_ne!(a.shop.events.len(), c.shop.events.len());
}

#[test]
fn shapes_personas_sparsity_and_consistency() {
    let sim = simulate(&small(11));
    let shop = &sim.shop;
    assert_eq!(sim.truth.len(), 1_500);
    assert_eq!(shop.customers.len(), 1_500);
    assert_eq!(shop.products.len(), 200);
    for (t, c) in sim.truth.iter().zip(&shop.customers) {
        assert_eq!(t.customer_id, c.customer_id);
        assert!(t.sessions >= 1);
        assert!(t.traits.as_array().iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(PERSONAS.contains(&t.persona));
        let a = t.traits.as_array();
        let mut sorted = a;
        sorted.sort_by(|x, y| y.total_cmp(x));
        if t.persona == "balanced" {
            assert!(sorted[0] - sorted[1] < 0.15);
        } else {
            let k = PERSONAS.iter().position(|p| *p == t.persona).unwrap();
            assert_eq!(a[k], sorted[0]);
            assert!(sorted[0] - sorted[1] >= 0.25);
        }
    }
    // Personas: about 70 % planted, each of the six about equally often.
    let balanced = sim.truth.iter().filter(|t| t.persona == "balanced").count() as f64 / 1_500.0;
    assert!((balanced - 0.3).abs() < 0.05, "balanced share {balanced}");
    for p in &PERSONAS[..6] {
        let n = sim.truth.iter().filter(|t| t.persona == *p).count();
        assert!((120..=240).contains(&n), "{p}: {n}");
    }
    // Sparse share ≈ 10 %, and plenty of customers with ≥ 8 sessions.
    let sparse = sim.truth.iter().filter(|t| t.sessions <= 2).count() as f64 / 1_500.0;
    assert!((0.07..0.13).contains(&sparse), "sparse share {sparse}");
    let rich = sim.truth.iter().filter(|t| t.sessions >= 8).count() as f64 / 1_500.0;
    assert!(rich > 0.45, "share with ≥ 8 sessions {rich}");

    // Sessions: the truth's count, events sorted within a session, sessions never overlap.
    let mut sessions: HashMap<&str, Vec<(i64, EventType)>> = HashMap::new();
    let mut per_customer: HashMap<String, HashSet<&str>> = HashMap::new();
    for e in &shop.events {
        let Subject::Customer(c) = &e.subject else { panic!("anonymous event") };
        let sid = e.session_id.as_deref().expect("every event has a session");
        sessions.entry(sid).or_default().push((e.ts.unix_seconds(), e.event_type));
        per_customer.entry(c.to_string()).or_default().insert(sid);
        if let Some(p) = &e.properties {
            assert!(p.starts_with('{') && p.ends_with('}'), "{p}");
        }
    }
    for t in &sim.truth {
        assert_eq!(per_customer[t.customer_id.as_str()].len() as u32, t.sessions, "{}", t.customer_id);
    }
    for (sid, evs) in &sessions {
        assert!(evs.windows(2).all(|w| w[0].0 <= w[1].0), "session {sid} not sorted");
        assert_eq!(evs[0].1, EventType::PageView, "session {sid} starts with its arrival page");
    }

    // Orders reference existing products; each order line has its purchase event.
    let products: HashMap<String, f64> =
        shop.products.iter().map(|p| (p.product_id.to_string(), p.list_price.unwrap().get())).collect();
    let purchases: HashSet<(String, i64, String)> = shop
        .events
        .iter()
        .filter(|e| e.event_type == EventType::Purchase)
        .map(|e| {
            let props = e.properties.as_deref().unwrap();
            let order = props.split('"').nth(3).unwrap().to_string();
            (order, e.ts.unix_seconds(), e.product_id.as_ref().unwrap().to_string())
        })
        .collect();
    assert!(!shop.orders.is_empty());
    assert_eq!(purchases.len(), shop.orders.len());
    for o in &shop.orders {
        let p = o.product_id.as_ref().unwrap().to_string();
        let list = products[&p];
        assert_eq!(o.list_price.unwrap().get(), list);
        assert!(o.unit_price.get() <= list + 1e-9 && o.unit_price.get() > 0.0);
        assert!(purchases.contains(&(o.order_id.to_string(), o.ordered_at.unix_seconds(), p)));
    }
    let returned = shop.orders.iter().filter(|o| o.status == OrderStatus::Returned).count();
    assert!(returned > 0);
    assert!(!shop.reviews.is_empty());
    // Promotions, coupons and new arrivals all occur.
    assert!(shop.orders.iter().any(|o| o.coupon_code.is_some()));
    assert!(shop.orders.iter().any(|o| o.unit_price.get() < o.list_price.unwrap().get() && o.coupon_code.is_none()));
    for ty in [EventType::Search, EventType::ReviewRead, EventType::Compare, EventType::RemoveFromCart, EventType::Wishlist,
        EventType::CouponClaim, EventType::Share, EventType::ReferralSignup, EventType::SupportContact,
        EventType::ReturnRequest, EventType::Login, EventType::CheckoutStart, EventType::PaymentStart] {
        assert!(shop.events.iter().any(|e| e.event_type == ty), "no {ty:?}");
    }
}

#[test]
fn activity_is_independent_of_every_trait() {
    let sim = simulate(&SimConfig { customers: 5_000, products: 100, days: 60, ..SimConfig::default() });
    let sessions: Vec<f64> = sim.truth.iter().map(|t| t.sessions as f64).collect();
    for (k, name) in TRAITS.iter().enumerate() {
        let trait_values: Vec<f64> = sim.truth.iter().map(|t| t.traits.as_array()[k]).collect();
        let rho = spearman(&trait_values, &sessions);
        assert!(rho.abs() < 0.05, "{name}: {rho}");
    }
}

#[test]
fn written_shops_import_without_quarantine_and_truth_reads_back() {
    let sim = simulate(&SimConfig { customers: 300, products: 80, seed: 3, ..SimConfig::default() });
    let dir = std::env::temp_dir().join(format!("xinli-sim-roundtrip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_shop(&sim, &dir).unwrap();
    let outcome = xinli_ingest::import_dir(&dir, &xinli_ingest::ImportOptions::default()).unwrap();
    assert_eq!(outcome.summary.quarantined(), 0, "{:?}", outcome.quarantine.first());
    assert!(outcome.summary.filtered().is_empty());
    assert_eq!(outcome.summary.files.len(), 5);
    let shop = &outcome.shop;
    assert_eq!(shop.customers.len(), sim.shop.customers.len());
    assert_eq!(shop.products.len(), sim.shop.products.len());
    assert_eq!(shop.orders.len(), sim.shop.orders.len());
    assert_eq!(shop.events.len(), sim.shop.events.len());
    assert_eq!(shop.reviews.len(), sim.shop.reviews.len());
    assert_eq!(shop.orders, sim.shop.orders);
    assert_eq!(shop.events, sim.shop.events);
    let truth = read_truth(&dir.join("truth.csv")).unwrap();
    assert_eq!(truth.len(), sim.truth.len());
    for (a, b) in truth.iter().zip(&sim.truth) {
        assert_eq!(a.customer_id, b.customer_id);
        assert_eq!(a.persona, b.persona);
        assert_eq!(a.sessions, b.sessions);
        for (x, y) in a.traits.as_array().iter().zip(b.traits.as_array()) {
            assert!((x - y).abs() < 1e-4);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tiny_and_degenerate_configs_work() {
    for config in [
        SimConfig { customers: 0, ..SimConfig::default() },
        SimConfig { customers: 20, products: 1, categories: 5, days: 1, ..SimConfig::default() },
        SimConfig { customers: 20, products: 3, categories: 0, days: 0, sparse_share: 1.0, ..SimConfig::default() },
        SimConfig { customers: 50, products: 30, categories: 40, sparse_share: 0.0, ..SimConfig::default() },
    ] {
        let sim = simulate(&config);
        assert_eq!(sim.truth.len(), config.customers);
        assert!(sim.truth.iter().all(|t| t.sessions >= 1));
        if config.sparse_share == 1.0 {
            assert!(sim.truth.iter().all(|t| t.sessions <= 2));
        }
        if config.sparse_share == 0.0 {
            assert!(sim.truth.iter().all(|t| t.sessions >= 3));
        }
    }
}
