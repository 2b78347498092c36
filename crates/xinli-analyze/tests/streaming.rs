//! Streaming events gives exactly what folding the events kept in memory gives: traits,
//! personas, journey stages, funnel and barrier signals, for a canonical directory whose events
//! are split over several files (as `xinli simulate` writes a large shop).

use std::path::PathBuf;
use xinli_analyze::events::EventFolds;
use xinli_analyze::{AnalyzeConfig, Source};
use xinli_ingest::{import_dir, ImportOptions};
use xinli_sim::{write_shop_in_parts, SimConfig};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xinli-analyze-streaming-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn streamed_events_equal_events_in_memory() {
    let dir = scratch("parts");
    let shop_dir = dir.join("shop");
    let written = write_shop_in_parts(&SimConfig { customers: 1_200, seed: 11, ..SimConfig::default() }, &shop_dir, 500, |_| {}).unwrap();
    assert_eq!(written.parts, 3, "1,200 customers in parts of 500");
    assert!(shop_dir.join("events-0003.csv").is_file());
    let config = AnalyzeConfig::new(Source::Directory(shop_dir.clone()), dir.join("out"));

    // Streamed: the importer hands each event to the folds and keeps none.
    let streamed_folds = EventFolds::new(&config);
    let options = ImportOptions { event_sink: Some(streamed_folds.clone()), ..ImportOptions::default() };
    let streamed_import = import_dir(&shop_dir, &options).unwrap();
    drop(options);
    assert!(streamed_import.shop.events.is_empty());
    assert_eq!(streamed_import.summary.records["events"], written.events as u64, "streamed events are counted");
    let streamed = EventFolds::take(streamed_folds, &streamed_import.shop).unwrap();

    // In memory: the same folds over shop.events.
    let kept_import = import_dir(&shop_dir, &ImportOptions::default()).unwrap();
    assert_eq!(kept_import.shop.events.len(), written.events);
    let kept = EventFolds::take(EventFolds::new(&config), &kept_import.shop).unwrap();

    assert_eq!(streamed.events, kept.events);
    assert_eq!(streamed.traits, kept.traits);
    assert_eq!(streamed.journeys, kept.journeys);
    assert_eq!(streamed.funnel.users, kept.funnel.users);
    let as_of = streamed.purchases.calibration_end;
    let s = streamed.signals.tables(&streamed_import.shop, &[as_of]).pop().unwrap();
    let k = kept.signals.tables(&kept_import.shop, &[as_of]).pop().unwrap();
    assert_eq!(s.thin_categories, k.thin_categories);
    assert_eq!(s.customer_ids, k.customer_ids);
    let differing = s.signals.iter().zip(&k.signals).position(|(a, b)| a != b);
    assert!(differing.is_none(), "signals of {:?} differ: {:?} vs {:?}", differing.map(|i| &s.customer_ids[i]), differing.map(|i| &s.signals[i]), differing.map(|i| &k.signals[i]));
    // And the batch entry points agree with the folds.
    assert_eq!(kept.traits, xinli_psych::score_traits(&kept_import.shop, as_of, &xinli_psych::TraitConfig::default()));
    assert!(streamed.traits.customers.len() >= 1_000);
}
