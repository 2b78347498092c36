//! `xinli recommend` end to end on a simulated shop: lists for every customer with bilingual
//! reasons, persona re-ranking from `xinli analyze`'s customers.csv, the category cap, the
//! serving index, the offline evaluation, and a bad customers.csv named by line and column.

use std::collections::HashMap;
use std::process::{Command, Output};

fn xinli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xinli")).args(args).output().expect("run xinli")
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn recommend_writes_lists_index_and_evaluation() {
    let dir = std::env::temp_dir().join(format!("xinli-recommend-cli-{}", std::process::id()));
    let (shop, analysis, recs, eval) = (dir.join("shop"), dir.join("analysis"), dir.join("recs"), dir.join("eval"));
    let p = |p: &std::path::Path| p.to_str().unwrap().to_string();
    ok(xinli(&["simulate", "--customers", "800", "--seed", "5", "--out", &p(&shop)]));
    ok(xinli(&["analyze", &p(&shop), "--out", &p(&analysis), "-q"]));
    let customers_csv = p(&analysis.join("customers.csv"));
    let stdout = ok(xinli(&["recommend", &p(&shop), "--customers", &customers_csv, "--max-per-category", "3", "--basket", "p001,p002", "--out", &p(&recs)]));
    assert!(stdout.contains("lists"), "{stdout}");

    let mut reader = csv::Reader::from_path(recs.join("recommendations.csv")).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(headers, ["customer_id", "rank", "product_id", "product_name", "category", "score", "reason_code", "reason_en", "reason_zh"]);
    let mut per_list: HashMap<(String, String), usize> = HashMap::new();
    let mut lists: HashMap<String, usize> = HashMap::new();
    for row in reader.records() {
        let row = row.unwrap();
        assert!(!row[7].is_empty() && !row[8].is_empty(), "a reason in both languages: {row:?}");
        *lists.entry(row[0].to_string()).or_default() += 1;
        *per_list.entry((row[0].to_string(), row[4].to_string())).or_default() += 1;
    }
    let simulated = std::fs::read_to_string(shop.join("customers.csv")).unwrap().lines().count() - 1;
    assert_eq!(lists.len(), simulated, "every customer, cold-start ones included, gets a list");
    assert!(lists.values().all(|&n| n == 10));
    assert!(per_list.values().all(|&n| n <= 3), "category cap");
    for file in ["cold_start.csv", "similar_items.csv", "bought_together.csv", "recommend.index", "recommend_summary.json"] {
        assert!(recs.join(file).metadata().unwrap().len() > 0, "{file}");
    }
    assert_eq!(std::fs::read_to_string(recs.join("cold_start.csv")).unwrap().lines().count(), 11);

    let stdout = ok(xinli(&["recommend", &p(&shop), "--evaluate", "--split-date", "2024-05-20", "--customers", &customers_csv, "--lang", "zh", "--out", &p(&eval)]));
    assert!(stdout.contains("blend_persona"), "{stdout}");
    let evaluation: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(eval.join("evaluation.json")).unwrap()).unwrap();
    let models: Vec<&str> = evaluation["metrics"].as_array().unwrap().iter().map(|m| m["model"].as_str().unwrap()).collect();
    assert!(models.contains(&"popularity") && models.contains(&"blend") && models.contains(&"ease"), "{models:?}");
    let html = std::fs::read_to_string(eval.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("离线评估"));

    // A bad cell names the file, line and column; exit code 2.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "customer_id,persona,trait_price_sensitivity\nc1,price_sensitive,0.5\nc2,price_sensitive,high\n").unwrap();
    let out = xinli(&["recommend", &p(&shop), "--customers", &p(&bad), "--out", &p(&recs)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3") && err.contains("trait_price_sensitivity"), "{err}");
    let out = xinli(&["recommend", &p(&shop), "--evaluate", "--out", &p(&eval)]);
    assert_eq!(out.status.code(), Some(2), "--evaluate needs --split-date");
    std::fs::remove_dir_all(&dir).ok();
}
