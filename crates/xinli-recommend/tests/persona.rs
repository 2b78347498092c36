//! Persona-aware re-ranking on a simulated shop with planted traits: the personas from
//! `xinli analyze`'s customers.csv move each list toward what the persona responds to, the
//! hit rate does not fall by more than 5 % relative, and filters and the diversity guard hold.

use foldhash::{HashMap, HashMapExt};
use xinli_psych::Persona;
use xinli_recommend::{read_profiles, recommend, InteractionConfig, ModelConfig, Profile, Recommender, RerankConfig, Scratch, Split};

#[test]
fn persona_reranking_moves_lists_and_keeps_hit_rate() {
    let dir = std::env::temp_dir().join(format!("xinli-rec-persona-{}", std::process::id()));
    let shop_dir = dir.join("shop");
    let config = xinli_sim::SimConfig { customers: 3000, seed: 11, ..Default::default() };
    let sim = xinli_sim::simulate(&config);
    xinli_sim::write_shop(&sim, &shop_dir).unwrap();
    let split_at = config.start.add_days(150);
    let mut analyze = xinli_analyze::AnalyzeConfig::new(xinli_analyze::Source::Directory(shop_dir.clone()), dir.join("analysis"));
    analyze.calibration_end = Some(split_at.add_days(-1));
    xinli_analyze::run(&analyze, &xinli_analyze::Silent).expect("analysis runs");
    let profiles = read_profiles(&dir.join("analysis/customers.csv")).expect("customers.csv reads");
    assert!(profiles.values().any(|p| p.persona == Persona::PriceSensitive));

    let shop = xinli_ingest::import_dir(&shop_dir, &Default::default()).unwrap().shop;
    let split = Split::new(&shop, split_at, &InteractionConfig::default());
    let rec = Recommender::fit(&split.data, &ModelConfig::default());
    let rerank = RerankConfig::default();
    let without = xinli_recommend::run::evaluate_reranked(&rec, &split, &rerank, &HashMap::new(), 10, "filtered");
    let with = xinli_recommend::run::evaluate_reranked(&rec, &split, &rerank, &profiles, 10, "persona");
    eprintln!("{without:?}\n{with:?}");
    assert!(split.test.customers.len() > 300);
    assert!(with.hit_rate >= 0.95 * without.hit_rate, "HR {} vs {}", with.hit_rate, without.hit_rate);

    // Mean of an item feature over the lists of one persona's customers, with and without profiles.
    let data = &split.data;
    let catalog = &data.catalog;
    let mut scratch = Scratch::new(catalog.len());
    let mut mean_feature = |persona: Persona, use_profile: bool, feature: &dyn Fn(u32, u32) -> f64| {
        let (mut sum, mut n) = (0.0, 0usize);
        for u in 0..data.customers.len() as u32 {
            let Some(profile) = profiles.get(&data.customers[u as usize]).filter(|p| p.persona == persona) else { continue };
            let profile: Option<&Profile> = use_profile.then_some(profile);
            for r in recommend(&rec, Some(u), profile, &rerank, 10, &mut scratch) {
                sum += feature(u, r.item);
                n += 1;
            }
        }
        assert!(n > 0, "no {persona:?} customers");
        sum / n as f64
    };
    let discount = |_: u32, i: u32| catalog.discount(i).unwrap_or(0.0);
    let rating = |_: u32, i: u32| catalog.rating[i as usize].unwrap_or(0.0);
    let recent = |_: u32, i: u32| f64::from(catalog.recent_buyers[i as usize]);
    let novel = |u: u32, i: u32| {
        let bought: Vec<Option<u32>> = data.orders.row(u).0.iter().map(|&j| catalog.category[j as usize]).collect();
        f64::from(u8::from(data.is_new_arrival(i) || !bought.contains(&catalog.category[i as usize])))
    };
    let checks: [(Persona, &dyn Fn(u32, u32) -> f64, &str); 4] = [
        (Persona::PriceSensitive, &discount, "discount"),
        (Persona::InfoSeeker, &rating, "rating"),
        (Persona::SociallyInfluenced, &recent, "recent buyers"),
        (Persona::NoveltySeeker, &novel, "new arrivals or unexplored categories"),
    ];
    for (persona, feature, name) in checks {
        let before = mean_feature(persona, false, feature);
        let after = mean_feature(persona, true, feature);
        eprintln!("{persona:?}: {name} {before:.3} → {after:.3}");
        assert!(after > before, "{persona:?}: {name} {before} → {after}");
    }

    // Filters and the diversity guard.
    let mut strict = RerankConfig { max_per_category: 2, ..RerankConfig::default() };
    let first = recommend(&rec, Some(0), None, &strict, 10, &mut scratch);
    strict.excluded.insert(first[0].item);
    strict.out_of_stock.insert(first[1].item);
    for u in 0..200u32 {
        let list = recommend(&rec, Some(u), profiles.get(&data.customers[u as usize]), &strict, 10, &mut scratch);
        assert_eq!(list.len(), 10, "customer {u} gets a full list");
        assert!(list.iter().all(|r| r.item != first[0].item && r.item != first[1].item));
        let mut per_category: HashMap<u32, usize> = HashMap::new();
        for r in &list {
            if let Some(c) = catalog.category[r.item as usize] {
                *per_category.entry(c).or_default() += 1;
            }
            let text = r.reason.text(catalog);
            assert!(!text.en.is_empty() && !text.zh.is_empty());
        }
        assert!(per_category.values().all(|&c| c <= 2), "{per_category:?}");
    }
    let bought_once = RerankConfig { rebuy_share: 2.0, ..RerankConfig::default() };
    for u in 0..200u32 {
        let history = data.orders.row(u).0;
        assert!(recommend(&rec, Some(u), None, &bought_once, 10, &mut scratch).iter().all(|r| history.binary_search(&r.item).is_err()));
    }
    std::fs::remove_dir_all(&dir).ok();
}
