//! `xinli import` writes the canonical format that `xinli analyze` reads back unchanged, and
//! `gen-transactions` draws shops the pipeline analyses.

mod common;
use common::*;

#[test]
fn imported_canonical_files_analyse_exactly_like_the_original_export() {
    let dir = temp_dir("roundtrip");
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/cdnow_sample/CDNOW_sample.txt");
    let canonical = dir.join("canonical");
    xinli_ok(&["import", sample.to_str().unwrap(), "--preset", "cdnow", "--out", canonical.to_str().unwrap(), "--quiet"]);
    let summary = json(&canonical.join("summary.json"));
    assert_eq!(summary["files"][0]["rows_read"], 6919);
    assert_eq!(summary["files"][0]["accepted"], 6919);

    let args = ["--time-unit", "weeks", "--calibration-end", "1997-09-30", "--model", "bgnbd", "--quiet"];
    let from_preset = dir.join("from-preset");
    let from_canonical = dir.join("from-canonical");
    let mut a = vec!["analyze", sample.to_str().unwrap(), "--preset", "cdnow", "--out", from_preset.to_str().unwrap()];
    a.extend(args);
    xinli_ok(&a);
    let mut b = vec!["analyze", canonical.to_str().unwrap(), "--out", from_canonical.to_str().unwrap()];
    b.extend(args);
    xinli_ok(&b);
    assert_eq!(customers_csv(&from_preset), customers_csv(&from_canonical), "same customers.csv either way");
}

#[test]
fn generated_shops_are_canonical_orders_the_pipeline_analyses() {
    let dir = temp_dir("generated");
    let orders = dir.join("orders.csv.gz");
    xinli_ok(&["gen-transactions", "--customers", "3000", "--seed", "11", "--weeks", "104", "--out", orders.to_str().unwrap()]);
    let out = dir.join("out");
    xinli_ok(&["analyze", orders.to_str().unwrap(), "--time-unit", "weeks", "--model", "bgnbd", "--out", out.to_str().unwrap(), "--quiet"]);
    let (_, rows) = customers_csv(&out);
    assert_eq!(rows.len(), 3000, "every simulated customer buys at least once");
    let models = json(&out.join("models.json"));
    let r = models["bgnbd"]["r"].as_f64().unwrap();
    let alpha = models["bgnbd"]["alpha"].as_f64().unwrap();
    // 3,000 customers: a loose check that the fit sees the generating process (r=0.25, α=4).
    assert!((0.15..0.40).contains(&r) && (2.0..7.0).contains(&alpha), "r {r}, alpha {alpha}");

    let bad = xinli(&["gen-transactions", "--customers", "10", "--params", "r=-1"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn simulated_psychology_shops_import_cleanly_and_analyse() {
    let dir = temp_dir("simulate");
    let shop = dir.join("shop");
    xinli_ok(&["simulate", "--customers", "400", "--seed", "5", "--out", shop.to_str().unwrap()]);
    for file in ["customers.csv", "products.csv", "orders.csv", "events.csv", "truth.csv"] {
        assert!(shop.join(file).is_file(), "{file}");
    }
    let out = dir.join("out");
    xinli_ok(&["analyze", shop.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    let summary = json(&out.join("summary.json"));
    for file in summary["import"]["files"].as_array().unwrap() {
        assert_eq!(file["quarantined"], 0, "{file}");
        assert_eq!(file["rows_read"], file["accepted"], "{file}");
    }
    let (_, rows) = customers_csv(&out);
    assert_eq!(rows.len(), 400, "one row per simulated customer, buyers or not");
    let bad = xinli(&["simulate", "--sparse-share", "2", "--out", dir.join("x").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
}
