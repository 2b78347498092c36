//! Barriers and churn drivers on simulated shops with planted situations.
//!
//! `xinli-sim` plants traits, not barriers (its deliveries are late at random, about half of
//! them). [`plant`] is a small generator of barrier situations on top of a simulated shop: for
//! a chosen customer it adds what each barrier looks like in the canonical data —
//! * logistics: every order promised in 2 days and delivered in 6;
//! * quality: two orders returned (status and a `return_request`) and two 1-star reviews;
//! * service: three `complaint` events in the customer's own sessions;
//! * trust: visits that reach `payment_start` and stop, as many as the customer's orders (at
//!   least three): they leave at the payment step at least as often as they pay;
//! * price: visits that put a full-price item in the cart and leave, as many as the customer's
//!   orders (at least three);
//! * range: three visits that search and view only a category with one product, and leave.

use std::collections::HashMap;
use xinli_core::{
    Category, CustomerId, Event, EventType, OrderId, OrderStatus, Product, ProductId, Review, ReviewId, Shop, Subject,
    Timestamp,
};
use xinli_sim::{simulate, SimConfig, SimulatedShop};
use xinli_strategy::stats::{newcombe_difference, Z95};
use xinli_strategy::{barriers, churn_drivers, collect, Barrier, BarrierConfig};

const DAY: i64 = 86_400;

fn sim(customers: usize, seed: u64) -> (SimulatedShop, Timestamp) {
    let config = SimConfig { customers, seed, ..SimConfig::default() };
    let end = config.start.add_days(config.days as i64);
    (simulate(&config), end)
}

fn event(customer: &CustomerId, ts: i64, session: &str, kind: EventType, product: Option<(&ProductId, &Category, f64)>) -> Event {
    Event {
        ts: Timestamp::from_unix_seconds(ts),
        subject: Subject::Customer(customer.clone()),
        session_id: Some(session.to_string()),
        event_type: kind,
        product_id: product.map(|p| p.0.clone()),
        category: product.map(|p| p.1.clone()),
        query: None,
        value: product.map(|p| p.2),
        properties: None,
        extra: Vec::new(),
    }
}

/// A popular product with its category and list price.
fn any_product(shop: &Shop) -> (ProductId, Category, f64) {
    let p = shop.products.iter().find(|p| p.category.is_some() && p.list_price.is_some()).expect("a priced product");
    (p.product_id.clone(), p.category.clone().unwrap(), p.list_price.unwrap().get())
}

/// Plants `barrier` on `customer`; added visits are one a day from 40 days before `end`.
fn plant(shop: &mut Shop, customer: &CustomerId, barrier: Barrier, end: Timestamp) {
    let base = end.unix_seconds() - 40 * DAY;
    let (pid, cat, price) = any_product(shop);
    let orders: std::collections::HashSet<&OrderId> = shop.orders.iter().filter(|l| &l.customer_id == customer).map(|l| &l.order_id).collect();
    let as_often_as_orders = orders.len().max(3) as i64;
    let visit = |k: i64| (base + k * DAY + 12 * 3_600, format!("{customer}-planted-{k}"));
    match barrier {
        Barrier::Logistics => {
            for line in shop.orders.iter_mut().filter(|l| &l.customer_id == customer) {
                let at = line.ordered_at.unix_seconds();
                line.promised_delivery_at = Some(Timestamp::from_unix_seconds(at + 2 * DAY));
                line.delivered_at = Some(Timestamp::from_unix_seconds(at + 6 * DAY));
            }
        }
        Barrier::Quality => {
            let mut orders: Vec<OrderId> = shop.orders.iter().filter(|l| &l.customer_id == customer).map(|l| l.order_id.clone()).collect();
            orders.dedup();
            for (k, order) in orders.iter().take(2).enumerate() {
                let mut product = None;
                for line in shop.orders.iter_mut().filter(|l| &l.order_id == order) {
                    line.status = OrderStatus::Returned;
                    product = line.product_id.clone();
                }
                let (ts, session) = visit(k as i64);
                shop.events.push(event(customer, ts, &session, EventType::ReturnRequest, None));
                shop.reviews.push(Review {
                    review_id: ReviewId::parse(&format!("{customer}-planted-review-{k}")).unwrap(),
                    customer_id: Some(customer.clone()),
                    product_id: product,
                    ts: Timestamp::from_unix_seconds(ts),
                    rating: Some(1),
                    text: "质量很差".into(),
                    language: None,
                    extra: Vec::new(),
                });
            }
        }
        Barrier::Service => {
            let sessions: Vec<(i64, String)> = shop
                .events
                .iter()
                .filter(|e| e.subject == Subject::Customer(customer.clone()))
                .filter_map(|e| Some((e.ts.unix_seconds() + 1, e.session_id.clone()?)))
                .collect();
            let mut used: Vec<&(i64, String)> = Vec::new();
            for s in &sessions {
                if !used.iter().any(|u| u.1 == s.1) {
                    used.push(s);
                }
            }
            for (ts, session) in used.iter().rev().take(3) {
                shop.events.push(event(customer, *ts, session, EventType::Complaint, None));
            }
        }
        Barrier::Trust => {
            for k in 0..as_often_as_orders {
                let (ts, s) = visit(k);
                let item = Some((&pid, &cat, price));
                shop.events.push(event(customer, ts, &s, EventType::ProductView, item));
                shop.events.push(event(customer, ts + 60, &s, EventType::CheckoutStart, item));
                shop.events.push(event(customer, ts + 90, &s, EventType::PaymentStart, None));
            }
        }
        Barrier::Price => {
            for k in 0..as_often_as_orders {
                let (ts, s) = visit(k);
                let item = Some((&pid, &cat, price));
                shop.events.push(event(customer, ts, &s, EventType::ProductView, item));
                shop.events.push(event(customer, ts + 60, &s, EventType::AddToCart, item));
            }
        }
        Barrier::Range => {
            let thin_cat = Category::parse("antiques").unwrap();
            let thin_pid = ProductId::parse("antique-vase").unwrap();
            if !shop.products.iter().any(|p| p.product_id == thin_pid) {
                shop.products.push(Product {
                    product_id: thin_pid.clone(),
                    category: Some(thin_cat.clone()),
                    list_price: None,
                    launched_at: None,
                    brand: None,
                    avg_rating: None,
                    extra: Vec::new(),
                });
            }
            for k in 0..3 {
                let (ts, s) = visit(k);
                shop.events.push(Event { query: Some("古董花瓶".into()), ..event(customer, ts, &s, EventType::Search, None) });
                shop.events.push(event(customer, ts + 30, &s, EventType::ProductView, Some((&thin_pid, &thin_cat, 500.0))));
            }
        }
    }
}

/// Customers with at least `orders` orders, in shop order.
fn buyers(shop: &Shop, orders: usize) -> Vec<CustomerId> {
    let mut count: HashMap<&CustomerId, std::collections::HashSet<&OrderId>> = HashMap::new();
    for l in &shop.orders {
        count.entry(&l.customer_id).or_default().insert(&l.order_id);
    }
    shop.customers.iter().map(|c| &c.customer_id).filter(|c| count.get(c).is_some_and(|o| o.len() >= orders)).cloned().collect()
}

#[test]
fn planted_barriers_are_recovered() {
    let (mut sim, end) = sim(3_000, 11);
    let candidates = buyers(&sim.shop, 4);
    let per_barrier = 40;
    assert!(candidates.len() >= per_barrier * 6, "{} candidates", candidates.len());
    let mut planted: HashMap<CustomerId, Barrier> = HashMap::new();
    for (i, c) in candidates.iter().take(per_barrier * 6).enumerate() {
        let b = Barrier::ALL[i % 6];
        plant(&mut sim.shop, c, b, end);
        planted.insert(c.clone(), b);
    }
    // 100 days after the end every buyer has lapsed, so every buyer is stalled and gets a
    // barrier when one stands out.
    let as_of = end.add_days(100);
    let table = collect(&sim.shop, as_of);
    assert!(table.thin_categories.contains(&"antiques".to_string()), "{:?}", table.thin_categories);
    let (rates, found) = barriers(&table, &BarrierConfig::default());
    let mut hits: HashMap<Barrier, (usize, usize)> = HashMap::new();
    let mut background: HashMap<Barrier, usize> = HashMap::new();
    let mut unplanted = 0;
    for (id, f) in table.customer_ids.iter().zip(&found) {
        match planted.get(id) {
            Some(&b) => {
                assert!(f.stalls.contains(&"lapsed"), "{id}: {:?}", f.stalls);
                let h = hits.entry(b).or_default();
                h.1 += 1;
                h.0 += (f.barrier == Some(b)) as usize;
            }
            None if f.stalled() => {
                unplanted += 1;
                if let Some(b) = f.barrier {
                    *background.entry(b).or_default() += 1;
                }
            }
            None => {}
        }
    }
    for b in Barrier::ALL {
        let (hit, n) = hits[&b];
        let recall = hit as f64 / n as f64;
        let base = *background.get(&b).unwrap_or(&0) as f64 / unplanted as f64;
        println!("{:<10} recovered {hit}/{n} = {recall:.2}; among {unplanted} unplanted stalled customers {base:.3}; shop rate {:.3}", b.name(), rates.rate(b));
        assert!(recall >= 0.8, "{}: {hit}/{n}", b.name());
        assert!(recall > 3.0 * base, "{}: planted {recall:.2} vs background {base:.2}", b.name());
    }
    // The evidence says what happened, in both languages.
    let i = table.customer_ids.iter().position(|c| planted.get(c) == Some(&Barrier::Logistics)).unwrap();
    assert!(found[i].evidence_en.contains("delivered after the promised date"), "{}", found[i].evidence_en);
    assert!(found[i].evidence_zh.contains("晚于承诺送达"), "{}", found[i].evidence_zh);
}

#[test]
fn stalls_are_detected_at_the_end_of_the_period() {
    let (mut sim, end) = sim(600, 5);
    let candidates = buyers(&sim.shop, 3);
    let (price, trust, quality, late) = (&candidates[0], &candidates[1], &candidates[2], &candidates[3]);
    plant(&mut sim.shop, price, Barrier::Price, end);
    plant(&mut sim.shop, trust, Barrier::Trust, end);
    plant(&mut sim.shop, quality, Barrier::Quality, end);
    plant(&mut sim.shop, late, Barrier::Logistics, end);
    let table = collect(&sim.shop, end);
    let index = table.index();
    let (_, found) = barriers(&table, &BarrierConfig::default());
    let get = |c: &CustomerId| &found[index[c.as_str()]];
    assert!(get(price).stalls.contains(&"abandoned_cart"));
    assert_eq!(get(price).barrier, Some(Barrier::Price));
    assert!(get(trust).stalls.contains(&"abandoned_payment"));
    assert_eq!(get(trust).barrier, Some(Barrier::Trust));
    assert!(get(quality).stalls.contains(&"returned") && get(quality).stalls.contains(&"rated_low"));
    assert_eq!(get(quality).barrier, Some(Barrier::Quality));
    let s = &table.signals[index[quality.as_str()]];
    assert!(s.returned_orders >= 2 && s.low_reviews >= 2, "{s:?}");
    // Late deliveries alone are not a stall: a customer who keeps buying has no main barrier.
    if get(late).stalls.is_empty() {
        assert_eq!(get(late).barrier, None);
        assert!(get(late).evidence_en.is_empty());
    }
}

#[test]
fn planted_trust_concern_shows_as_trust_barrier() {
    // The simulator makes trust seekers abandon at the payment step more often (0.04 + 0.4·s):
    // among stalled customers, trust is the main barrier far more often for them.
    let (sim, end) = sim(3_000, 3);
    let table = collect(&sim.shop, end);
    let index = table.index();
    let (_, found) = barriers(&table, &BarrierConfig::default());
    let (mut seekers, mut seekers_trust, mut others, mut others_trust) = (0u64, 0u64, 0u64, 0u64);
    for t in &sim.truth {
        let Some(&i) = index.get(t.customer_id.as_str()) else { continue };
        if !found[i].stalled() {
            continue;
        }
        let trust = (found[i].barrier == Some(Barrier::Trust)) as u64;
        if t.persona == "trust_seeker" {
            seekers += 1;
            seekers_trust += trust;
        } else {
            others += 1;
            others_trust += trust;
        }
    }
    let d = newcombe_difference(seekers_trust, seekers, others_trust, others, Z95);
    println!(
        "trust barrier: trust seekers {seekers_trust}/{seekers}, others {others_trust}/{others}: difference {:+.3} [{:+.3}, {:+.3}]",
        d.estimate, d.low, d.high
    );
    assert!(d.low > 0.0, "{d:?}");
}

#[test]
fn planted_churn_driver_leads_with_an_interval_above_zero() {
    // Customers who returned an order before the cutoff stop buying: their later orders are
    // removed. The `returned` factor must come out first with a risk difference above zero.
    let (mut sim, end) = sim(3_000, 21);
    let horizon = 60;
    let cutoff = end.add_days(-horizon);
    let before = collect(&sim.shop, cutoff);
    let returners: std::collections::HashSet<String> = before
        .customer_ids
        .iter()
        .zip(&before.signals)
        .filter(|(_, s)| s.returned_orders > 0)
        .map(|(c, _)| c.to_string())
        .collect();
    assert!(returners.len() >= 30, "{}", returners.len());
    sim.shop.orders.retain(|l| !(l.ordered_at > cutoff && returners.contains(l.customer_id.as_str())));
    let drivers = churn_drivers(&sim.shop, end, horizon).expect("a cohort");
    for d in &drivers.drivers {
        println!(
            "{:<18} {:>5}/{:<5} vs {:>5}/{:<5} RD {:+.3} [{:+.3}, {:+.3}]  lnOR {:+.2} [{:+.2}, {:+.2}]",
            d.factor, d.exposed_churned, d.exposed, d.unexposed_churned, d.unexposed,
            d.risk_difference.estimate, d.risk_difference.low, d.risk_difference.high,
            d.log_odds_ratio.estimate, d.log_odds_ratio.low, d.log_odds_ratio.high
        );
    }
    let top = &drivers.drivers[0];
    assert_eq!(top.factor, "returned");
    assert!(top.risk_difference.low > 0.0 && top.log_odds_ratio.low > 0.0 && top.significant());
    assert_eq!(top.exposed_churned, top.exposed, "every returner churned");
    assert_eq!(drivers.cohort, drivers.drivers[0].exposed + drivers.drivers[0].unexposed);
    assert!(drivers.churned > 0 && drivers.churned < drivers.cohort);
    // Sorted by the size of the effect.
    for w in drivers.drivers.windows(2) {
        assert!(w[0].risk_difference.estimate.abs() >= w[1].risk_difference.estimate.abs());
    }
}
