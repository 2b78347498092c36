//! `analyze` with the strategy step on a simulated shop: the four new customers.csv columns,
//! strategy.json, the report sections, and a bad playbook stopping the run with its position.

use std::path::PathBuf;
use xinli_analyze::{AnalyzeConfig, AnalyzeError, Silent, Source};
use xinli_sim::{simulate, write_shop, SimConfig};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xinli-analyze-strategy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn analyze_writes_next_best_actions_barriers_and_strategy() {
    let dir = scratch("run");
    let shop = dir.join("shop");
    std::fs::create_dir_all(&shop).unwrap();
    write_shop(&simulate(&SimConfig { customers: 1_500, seed: 8, ..SimConfig::default() }), &shop).unwrap();
    let mut config = AnalyzeConfig::new(Source::Directory(shop), dir.join("out"));
    config.lang = xinli_report::Lang::Zh;
    xinli_analyze::run(&config, &Silent).unwrap();

    let mut reader = csv::Reader::from_path(dir.join("out/customers.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let at = header.iter().position(|h| h == "next_best_action").unwrap();
    assert_eq!(&header[at..at + 4], ["next_best_action", "nba_reason", "main_barrier", "barrier_evidence"]);
    // Appended after them by the voice of the customer (xinli-text), then the texts in both languages.
    assert_eq!(
        &header[header.len() - 6..],
        ["emotion", "satisfaction", "nba_reason_zh", "nba_reason_en", "barrier_evidence_zh", "barrier_evidence_en"]
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (nba, reason, barrier, evidence) = (col("next_best_action"), col("nba_reason"), col("main_barrier"), col("barrier_evidence"));
    let (reason_zh, reason_en, evidence_zh, evidence_en) =
        (col("nba_reason_zh"), col("nba_reason_en"), col("barrier_evidence_zh"), col("barrier_evidence_en"));
    let mut actions = std::collections::HashMap::<String, usize>::new();
    let mut barriers = std::collections::HashMap::<String, usize>::new();
    let mut rows = 0;
    for r in reader.records() {
        let r = r.unwrap();
        rows += 1;
        // The default playbook ends with a catch-all rule: everyone gets an action and a reason.
        assert!(!r[nba].is_empty() && !r[reason].is_empty(), "{r:?}");
        assert!(!r[reason].contains('{'), "unfilled placeholder: {}", &r[reason]);
        // The report language's reason is the Chinese one; the English one says "1 day", not "1 days".
        assert_eq!((&r[reason], &r[evidence]), (&r[reason_zh], &r[evidence_zh]));
        let chinese = |t: &str| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        assert!(!r[reason_en].is_empty() && !chinese(&r[reason_en]) && !chinese(&r[evidence_en]), "{} / {}", &r[reason_en], &r[evidence_en]);
        for wrong in ["1 days", "after 1 orders", "1 times", "1 visits", "1 abandoned carts", "1 checkouts", "1 returned orders", "1 low ratings", "1 complaints"] {
            assert!(!r[reason_en].starts_with(wrong) && !r[reason_en].contains(&format!(" {wrong}")), "{}", &r[reason_en]);
        }
        assert_eq!(r[evidence_en].is_empty(), r[evidence].is_empty());
        *actions.entry(r[nba].to_string()).or_default() += 1;
        if !r[barrier].is_empty() {
            assert!(["quality", "price", "trust", "logistics", "service", "range"].contains(&&r[barrier]));
            assert!(!r[evidence].is_empty());
            *barriers.entry(r[barrier].to_string()).or_default() += 1;
        }
    }
    println!("{rows} customers; actions {actions:?}; barriers {barriers:?}");
    assert!(actions.len() >= 6, "{actions:?}");
    // Quality and logistics come from orders and reviews; the event-based barriers need the
    // shop's events in memory (see docs/strategy.md on streaming).
    assert!(barriers.contains_key("quality") && barriers.contains_key("logistics"), "{barriers:?}");

    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("out/strategy.json")).unwrap()).unwrap();
    let segments = json["segments"].as_array().unwrap();
    let sized: u64 = segments.iter().map(|s| s["customers"].as_u64().unwrap()).sum();
    assert_eq!(sized as usize, rows, "every customer is in one segment");
    let counted: u64 = json["actions"].as_array().unwrap().iter().map(|a| a["customers"].as_u64().unwrap()).sum();
    assert_eq!(counted as usize, rows);
    for s in segments {
        assert!(s["expected_loss"].as_f64().unwrap() <= s["clv"].as_f64().unwrap() + 1e-9);
    }
    let drivers = json["churn_drivers"]["drivers"].as_array().unwrap();
    assert!(drivers.len() >= 5, "{drivers:?}");
    for d in drivers {
        let rd = &d["risk_difference"];
        assert!(rd["low"].as_f64().unwrap() <= rd["estimate"].as_f64().unwrap() && rd["estimate"].as_f64().unwrap() <= rd["high"].as_f64().unwrap());
    }

    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    for needle in ["分群策略", "Strategy per segment", "购买障碍", "Churn drivers", "chart-forest"] {
        assert!(html.contains(needle), "report lacks {needle}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_playbook_stops_the_run_before_importing() {
    let dir = scratch("bad");
    let playbook = dir.join("playbook.toml");
    std::fs::write(
        &playbook,
        "[[action]]\nid = \"a\"\nname_zh = \"甲\"\nname_en = \"A\"\n\n[[rule]]\nid = \"r\"\nwhen = \"churn_risk >> 0.5\"\naction = \"a\"\nreason_zh = \"x\"\nreason_en = \"x\"\n",
    )
    .unwrap();
    // The shop does not exist: the playbook is checked first.
    let mut config = AnalyzeConfig::new(Source::Directory(dir.join("no-such-shop")), dir.join("out"));
    config.playbook = Some(playbook.clone());
    match xinli_analyze::run(&config, &Silent) {
        Err(AnalyzeError::Config(message)) => {
            assert!(message.contains(&format!("{}, line 8, column 21", playbook.display())), "{message}");
            assert!(message.contains("第 8 行第 21 列"), "{message}");
        }
        other => panic!("expected a playbook error, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
