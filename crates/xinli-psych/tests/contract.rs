//! Behaviour on small hand-made shops: unknown traits stay unknown, thin customers are shrunk
//! and not trusted, shares (not counts) drive scores, the column names and the persona rule.

use xinli_core::{CustomerId, Event, EventType, Money, OrderId, OrderLine, ProductId, Quantity, Shop, Subject, Timestamp};
use xinli_psych::{persona, score_traits, Evidence, Persona, Trait, TraitConfig, TraitScore, TraitTable};

fn line(order: &str, customer: &str, day: i64, product: &str, paid: f64, list: f64) -> OrderLine {
    OrderLine {
        product_id: Some(ProductId::parse(product).unwrap()),
        list_price: Some(Money::new(list).unwrap()),
        ..OrderLine::new(
            OrderId::parse(order).unwrap(),
            CustomerId::parse(customer).unwrap(),
            Timestamp::parse("2024-01-01").unwrap().add_days(day),
            Quantity::new(1.0).unwrap(),
            Money::new(paid).unwrap(),
        )
    }
}

/// `n` orders of one line each; the first `k` bought at a discount.
fn customer(shop: &mut Shop, id: &str, n: usize, k: usize) {
    for i in 0..n {
        let paid = if i < k { 80.0 } else { 100.0 };
        shop.orders.push(line(&format!("{id}-{i}"), id, i as i64, &format!("p{}", i % 7), paid, 100.0));
    }
}

fn orders_only_shop() -> Shop {
    let mut shop = Shop::default();
    // A population with varied discount habits.
    for c in 0..60 {
        customer(&mut shop, &format!("c{c}"), 10, c % 11);
    }
    customer(&mut shop, "thin_deal", 1, 1);
    customer(&mut shop, "thick_deal", 40, 40);
    customer(&mut shop, "full_price", 40, 0);
    shop
}

/// A customer's price sensitivity and its evidence.
fn price_of(table: &TraitTable, id: &str) -> (TraitScore, Vec<Evidence>) {
    let i = table.customers.iter().position(|c| c.customer_id.as_str() == id).unwrap();
    (table.customers[i].get(Trait::PriceSensitivity).clone(), table.evidence(i, Trait::PriceSensitivity))
}

fn as_of() -> Timestamp {
    Timestamp::parse("2025-01-01").unwrap()
}

#[test]
fn traits_without_signals_are_unknown_never_invented() {
    let table = score_traits(&orders_only_shop(), as_of(), &TraitConfig::default());
    for (i, c) in table.customers.iter().enumerate() {
        for t in [Trait::InfoSeeking, Trait::TrustConcern, Trait::SocialInfluence] {
            let s = c.get(t);
            assert_eq!(s.score, None);
            assert_eq!(s.confidence, 0.0);
            assert!(table.evidence(i, t).is_empty());
        }
        assert!(c.get(Trait::PriceSensitivity).score.is_some());
        let evidence = table.evidence(i, Trait::PriceSensitivity);
        assert_eq!(evidence.len(), 1);
        assert_eq!(evidence[0].signal, "discount_line_share");
    }
    let price = table.coverage.iter().find(|c| c.trait_ == Trait::PriceSensitivity).unwrap();
    assert_eq!(price.signals_used, vec!["discount_line_share"]);
    assert!(price.signals_missing.contains(&"coupon_order_share"));
}

#[test]
fn thin_customers_are_shrunk_and_not_trusted() {
    let table = score_traits(&orders_only_shop(), as_of(), &TraitConfig::default());
    let (thin, thick, full) = (price_of(&table, "thin_deal"), price_of(&table, "thick_deal"), price_of(&table, "full_price"));
    // Both bought 100 % on discount, but one line is weak evidence.
    assert_eq!(thin.1[0].value, 1.0);
    assert_eq!(thick.1[0].value, 1.0);
    assert!(thin.1[0].shrunk < thick.1[0].shrunk);
    let (thin, thick_evidence, thick, full) = (thin.0, thick.1, thick.0, full.0);
    assert!(thin.score.unwrap() < thick.score.unwrap());
    assert!(thin.confidence < 0.5 * thick.confidence, "{} vs {}", thin.confidence, thick.confidence);
    assert!(full.score.unwrap() < 0.1 && thick.score.unwrap() > 0.9);
    assert!(thick_evidence[0].text_en().contains("100 %") && thick_evidence[0].text_zh().contains("全店中位数"));
}

#[test]
fn shares_not_counts_drive_the_score() {
    // The same habit (half the lines discounted) at 10 and at 40 orders: same observed share,
    // close scores; more evidence only raises confidence.
    let mut shop = orders_only_shop();
    customer(&mut shop, "half10", 10, 5);
    customer(&mut shop, "half40", 40, 20);
    let table = score_traits(&shop, as_of(), &TraitConfig::default());
    let ((a, a_evidence), (b, b_evidence)) = (price_of(&table, "half10"), price_of(&table, "half40"));
    assert_eq!(a_evidence[0].value, b_evidence[0].value);
    assert!((a.score.unwrap() - b.score.unwrap()).abs() < 0.15, "{:?} {:?}", a.score, b.score);
    assert!(b.confidence > a.confidence);
}

#[test]
fn events_unlock_event_traits_and_anonymous_visitors_are_ignored() {
    let mut shop = orders_only_shop();
    let t0 = Timestamp::parse("2024-03-01 10:00:00").unwrap();
    for c in 0..30 {
        for s in 0..4 {
            for k in 0..(1 + (c + s) % 5) {
                shop.events.push(Event {
                    ts: Timestamp::from_unix_seconds(t0.unix_seconds() + (s * 3600 + k * 30) as i64),
                    subject: Subject::Customer(CustomerId::parse(&format!("c{c}")).unwrap()),
                    session_id: None,
                    event_type: if k % 2 == 0 { EventType::ProductView } else { EventType::ReviewRead },
                    product_id: None,
                    category: None,
                    query: None,
                    value: None,
                    properties: Some(format!(r#"{{"via":"{}"}}"#, if c % 3 == 0 { "share" } else { "direct" })),
                    extra: Vec::new(),
                });
            }
        }
    }
    shop.events.push(Event {
        ts: t0,
        subject: Subject::Anonymous(CustomerId::parse("visitor").unwrap()),
        session_id: None,
        event_type: EventType::ProductView,
        product_id: None,
        category: None,
        query: None,
        value: None,
        properties: None,
        extra: Vec::new(),
    });
    let table = score_traits(&shop, as_of(), &TraitConfig::default());
    assert!(table.customers.iter().all(|c| c.customer_id.as_str() != "visitor"));
    let c0 = table.customers.iter().find(|c| c.customer_id.as_str() == "c0").unwrap();
    assert_eq!(c0.sessions, 4, "30-minute gap sessions");
    assert!(c0.get(Trait::InfoSeeking).score.is_some());
    assert!(c0.get(Trait::SocialInfluence).score.unwrap() > 0.6);
    assert!(c0.get(Trait::TrustConcern).score.is_none());
    // Customers without events still get the event traits, from the shop's prior, with no confidence.
    let thin = table.customers.iter().find(|c| c.customer_id.as_str() == "thin_deal").unwrap();
    assert_eq!(thin.get(Trait::InfoSeeking).confidence, 0.0);
}

#[test]
fn column_names() {
    let cols: Vec<&str> = Trait::ALL.iter().map(|t| t.column()).collect();
    assert_eq!(
        cols,
        ["trait_price_sensitivity", "trait_info_seeking", "trait_convenience", "trait_trust_concern", "trait_social_influence", "trait_novelty_seeking"]
    );
    for t in Trait::ALL {
        assert_eq!(t.confidence_column(), t.column().replacen("trait_", "confidence_", 1));
    }
}

#[test]
fn persona_model() {
    let scores = |s: [Option<f64>; 6], conf: f64| -> [TraitScore; 6] {
        std::array::from_fn(|i| TraitScore { trait_: Trait::ALL[i], score: s[i], confidence: conf })
    };
    // A shop where only convenience and novelty are known (like orders-only data): customers
    // with one of them standing out, and customers with both in the middle.
    let mut shop = Vec::new();
    for i in 0..60 {
        let low = 0.1 + 0.003 * i as f64;
        let high = 0.88 + 0.002 * i as f64;
        let middle = 0.45 + 0.002 * i as f64;
        shop.push(scores([None, None, Some(high), None, None, Some(low)], 0.6));
        shop.push(scores([None, None, Some(low), None, None, Some(high)], 0.6));
        shop.push(scores([None, None, Some(middle), None, None, Some(middle + 0.01)], 0.6));
    }
    let unknown = scores([None; 6], 0.0);
    shop.push(unknown);
    let refs: Vec<&[TraitScore; 6]> = shop.iter().collect();
    let personas = persona::assign_personas(&refs, 1, 200);
    assert_eq!(personas[0], Persona::ConvenienceSeeker);
    assert_eq!(personas[1], Persona::NoveltySeeker);
    assert_eq!(personas[2], Persona::Balanced);
    assert_eq!(personas[180], Persona::Balanced, "no known trait");
    // Only known traits can be personas.
    assert!(personas.iter().all(|p| matches!(p, Persona::ConvenienceSeeker | Persona::NoveltySeeker | Persona::Balanced)));
}

#[test]
fn empty_and_tiny_shops_do_not_panic() {
    let empty = score_traits(&Shop::default(), as_of(), &TraitConfig::default());
    assert!(empty.customers.is_empty());
    let mut one = Shop::default();
    customer(&mut one, "solo", 3, 1);
    let table = score_traits(&one, as_of(), &TraitConfig::default());
    assert_eq!(table.customers.len(), 1);
    for t in &table.customers[0].traits {
        assert!(t.score.is_none_or(|s| (0.0..=1.0).contains(&s)));
        assert!(t.confidence.is_finite());
    }
    // Everything after as_of is ignored.
    let before = score_traits(&orders_only_shop(), Timestamp::parse("2023-01-01").unwrap(), &TraitConfig::default());
    assert!(before.customers.is_empty());
}

#[test]
fn sessions_interleaved_within_a_customer_score_as_when_grouped() {
    // The fold keeps one record per run of a session's events and merges the runs at the end:
    // dealing each customer's sessions out round-robin (the first event of every session, then
    // the second ones, …) must change nothing.
    let config = xinli_sim::SimConfig { customers: 300, ..xinli_sim::SimConfig::default() };
    let sim = xinli_sim::simulate(&config);
    let as_of = config.start.add_days(config.days as i64 + 1);
    let grouped = score_traits(&sim.shop, as_of, &TraitConfig::default());
    let mut shop = sim.shop.clone();
    let mut interleaved = Vec::with_capacity(shop.events.len());
    for run in shop.events.chunk_by(|a, b| a.subject == b.subject) {
        let mut seen: std::collections::HashMap<Option<&str>, usize> = std::collections::HashMap::new();
        let mut ranked: Vec<(usize, &Event)> = run
            .iter()
            .map(|e| {
                let rank = seen.entry(e.session_id.as_deref()).or_insert(0);
                *rank += 1;
                (*rank, e)
            })
            .collect();
        ranked.sort_by_key(|(rank, _)| *rank);
        interleaved.extend(ranked.into_iter().map(|(_, e)| e.clone()));
    }
    assert_ne!(interleaved, shop.events, "the test must interleave something");
    shop.events = interleaved;
    assert_eq!(score_traits(&shop, as_of, &TraitConfig::default()), grouped);
}
