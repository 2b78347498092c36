//! Real exports: UCI Online Retail (orders only, no list prices, no categories) and the Taobao
//! UserBehavior slice (events pv/cart/fav/buy only, no prices). Traits whose signals the data
//! lack must come out unknown; the others must carry evidence. Skipped (with a message) when
//! the shared data are not on this machine.

use std::path::Path;
use xinli_core::Timestamp;
use xinli_psych::{score_traits, Persona, Trait, TraitConfig, TraitTable};

fn summary(label: &str, table: &TraitTable) {
    println!("{label}: {} customers", table.customers.len());
    for cov in &table.coverage {
        let known = table.customers.iter().filter(|c| c.get(cov.trait_).score.is_some()).count();
        let mut conf: Vec<f64> = table.customers.iter().map(|c| c.get(cov.trait_).confidence).collect();
        conf.sort_by(f64::total_cmp);
        println!(
            "  {:<18} known for {known}; median confidence {:.2}; used {:?}",
            cov.trait_.name(),
            conf[conf.len() / 2],
            cov.signals_used
        );
    }
    let mut personas = std::collections::BTreeMap::new();
    for c in &table.customers {
        *personas.entry(c.persona.name()).or_insert(0) += 1;
    }
    println!("  personas {personas:?}");
    let (i, c) = table.customers.iter().enumerate().max_by_key(|(_, c)| c.orders).unwrap();
    println!("  customer {} ({} orders, {} sessions), persona {}:", c.customer_id, c.orders, c.sessions, c.persona.name());
    for t in &c.traits {
        println!("    {} = {:?} (confidence {:.2})", t.trait_.name(), t.score.map(|s| (s * 100.0).round() / 100.0), t.confidence);
        for e in &table.evidence(i, t.trait_) {
            println!("      {}\n      {}", e.text_en(), e.text_zh());
        }
    }
}

fn check_ranges(table: &TraitTable) {
    for (i, c) in table.customers.iter().enumerate() {
        for t in &c.traits {
            let evidence = table.evidence(i, t.trait_);
            assert!((0.0..=1.0).contains(&t.confidence), "{:?}", t);
            match t.score {
                Some(s) => assert!((0.0..=1.0).contains(&s) && !evidence.is_empty(), "{:?}", t),
                None => assert!(t.confidence == 0.0 && evidence.is_empty(), "{:?}", t),
            }
            for e in &evidence {
                assert!(e.value.is_finite() && e.shop_median.is_finite() && e.shrunk.is_finite(), "{e:?}");
            }
        }
    }
}

#[test]
fn online_retail_orders_only() {
    let path = Path::new("/work/shared/data/online_retail/online_retail.csv.gz");
    if !path.exists() {
        eprintln!("skipped: {} not found", path.display());
        return;
    }
    let shop = xinli_ingest::import_preset(xinli_ingest::Preset::OnlineRetail, &[path], &Default::default())
        .expect("imports")
        .shop;
    let table = score_traits(&shop, Timestamp::parse("2011-12-10").unwrap(), &TraitConfig::default());
    summary("Online Retail", &table);
    check_ranges(&table);
    assert_eq!(table.customers.len(), 4339, "customers with a completed line");
    for t in [Trait::InfoSeeking, Trait::TrustConcern, Trait::SocialInfluence] {
        assert!(table.customers.iter().all(|c| c.get(t).score.is_none()), "{} must be unknown without events", t.name());
    }
    for t in [Trait::PriceSensitivity, Trait::NoveltySeeking, Trait::Convenience] {
        let known = table.customers.iter().filter(|c| c.get(t).score.is_some()).count();
        assert_eq!(known, table.customers.len(), "{}", t.name());
    }
    let cov = |t: Trait| table.coverage.iter().find(|c| c.trait_ == t).unwrap();
    assert_eq!(cov(Trait::PriceSensitivity).signals_used, vec!["discount_line_share"]);
    assert!(cov(Trait::NoveltySeeking).signals_used.contains(&"new_arrival_line_share"));
    // A customer with one order line is shrunk to the shop and barely trusted.
    let thin = table.customers.iter().filter(|c| c.orders == 1).map(|c| c.get(Trait::PriceSensitivity).confidence);
    let thick = table.customers.iter().filter(|c| c.orders >= 20).map(|c| c.get(Trait::PriceSensitivity).confidence);
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    let (thin, thick) = (mean(thin.collect()), mean(thick.collect()));
    println!("  mean price confidence: 1 order {thin:.2}, ≥20 orders {thick:.2}");
    assert!(thin < thick);
}

#[test]
fn taobao_events_without_prices() {
    let path = Path::new("/work/shared/data/taobao_user_behavior/UserBehavior_20171126_0100-0310_slice.csv");
    if !path.exists() {
        eprintln!("skipped: {} not found", path.display());
        return;
    }
    let shop = xinli_ingest::import_preset(xinli_ingest::Preset::Taobao, &[path], &Default::default())
        .expect("imports")
        .shop;
    let table = score_traits(&shop, Timestamp::parse("2017-12-04").unwrap(), &TraitConfig::default());
    summary("Taobao slice", &table);
    check_ranges(&table);
    // No prices, coupons, payment, pages or referrals: those traits are unknown.
    for t in [Trait::PriceSensitivity, Trait::TrustConcern, Trait::SocialInfluence] {
        assert!(table.customers.iter().all(|c| c.get(t).score.is_none()), "{}", t.name());
    }
    assert!(table.customers.iter().all(|c| c.get(Trait::InfoSeeking).score.is_some()));
    assert!(table.customers.iter().any(|c| c.persona != Persona::Balanced));
}
