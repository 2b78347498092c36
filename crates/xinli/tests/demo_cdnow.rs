//! `xinli demo` and `analyze --preset cdnow` on the CDNOW sample reproduce the published
//! BG/NBD and Gamma-Gamma results (Fader, Hardie & Lee 2005).

mod common;
use common::*;
use std::collections::HashMap;

const CONTRACT_COLUMNS: [&str; 16] = [
    "customer_id", "first_purchase", "last_purchase", "frequency", "recency", "T", "monetary",
    "rfm_r", "rfm_f", "rfm_m", "rfm_segment", "p_alive", "expected_purchases",
    "expected_next_order", "clv", "churn_risk",
];

#[test]
fn demo_reproduces_the_published_cdnow_fit_and_writes_every_output() {
    let out = temp_dir("demo");
    let stdout = xinli_ok(&["demo", "--out", out.to_str().unwrap(), "--quiet", "--no-serve"]);
    assert!(stdout.is_empty(), "--quiet prints nothing: {stdout}");
    for file in ["customers.csv", "models.json", "validation.json", "summary.json", "quarantine.csv", "report.html"] {
        assert!(out.join(file).is_file(), "{file} written");
    }

    // The calibration summary equals the published one to 2 decimals, customer by customer.
    let (header, rows) = customers_csv(&out);
    assert_eq!(&header[..16], &CONTRACT_COLUMNS, "contract columns first, in order");
    let (id, x, tx, t) = (column(&header, "customer_id"), column(&header, "frequency"), column(&header, "recency"), column(&header, "T"));
    let ours: HashMap<&str, (f64, f64, f64)> =
        rows.iter().map(|r| (r[id].as_str(), (r[x].parse().unwrap(), r[tx].parse().unwrap(), r[t].parse().unwrap()))).collect();
    let mut published = csv::Reader::from_path(shared_data("cdnow/cdnow_customers_summary.csv")).unwrap();
    let mut checked = 0;
    for record in published.records() {
        let r = record.unwrap();
        let (fx, ftx, ft) = ours[&r[0]];
        let expect = |v: &str| v.parse::<f64>().unwrap();
        assert!((fx - expect(&r[1])).abs() < 0.005, "x of {}", &r[0]);
        assert!((ftx - expect(&r[2])).abs() < 0.005, "t_x of {}: {ftx} vs {}", &r[0], &r[2]);
        assert!((ft - expect(&r[3])).abs() < 0.005, "T of {}: {ft} vs {}", &r[0], &r[3]);
        checked += 1;
    }
    assert_eq!(checked, 2357);
    assert_eq!(rows.len(), 2357);

    let models = json(&out.join("models.json"));
    let bg = &models["bgnbd"];
    for (name, expected) in [("r", 0.2426), ("alpha", 4.4136), ("a", 0.7929), ("b", 2.4259)] {
        let got = bg[name].as_f64().unwrap();
        assert!(within(got, expected, 0.001), "BG/NBD {name} = {got}, published {expected}");
    }
    assert_eq!(bg["converged"], true);
    assert_eq!(bg["n_customers"], 2357);
    let gg = &models["gamma_gamma"];
    for (name, expected) in [("p", 6.2496), ("q", 3.7442), ("v", 15.4435)] {
        let got = gg[name].as_f64().unwrap();
        assert!(within(got, expected, 0.001), "Gamma-Gamma {name} = {got}, published {expected}");
    }
    assert_eq!(gg["n_customers"], 946);
    assert_eq!(models["time_unit"], "weeks");
    assert_eq!(models["calibration_end"], "1997-09-30");
    assert!(models["selected_model"].is_string());

    let validation = json(&out.join("validation.json"));
    assert!(validation["actual_total"].as_f64().unwrap() > 0.0);
    assert!(validation["auc_churn_risk"].as_f64().unwrap() > 0.6);

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"), "the report makes no network requests");
    for section in ["RFM", "Cohort", "Pareto", "P(alive)", "holdout"] {
        assert!(html.to_lowercase().contains(&section.to_lowercase()), "report has {section}");
    }
}

#[test]
fn conditional_expectation_matches_the_paper_for_a_known_customer() {
    // Customer 1 of the CDNOW summary has x=2, t_x=30.43, T=38.86: E[Y(39)] = 1.226 (lifetimes,
    // Fader-Hardie). With a 39-week horizon, expected_purchases is that expectation.
    let out = temp_dir("cdnow39");
    let input = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/cdnow_sample/CDNOW_sample.txt");
    xinli_ok(&[
        "analyze", input.to_str().unwrap(), "--preset", "cdnow", "--time-unit", "weeks",
        "--calibration-end", "1997-09-30", "--horizon", "39w", "--model", "bgnbd", "--out", out.to_str().unwrap(), "--quiet",
    ]);
    let (header, rows) = customers_csv(&out);
    let row = rows.iter().find(|r| r[0] == "1").expect("customer 1");
    let expected: f64 = row[column(&header, "expected_purchases")].parse().unwrap();
    assert!((expected - 1.226).abs() < 0.002, "E[Y(39) | 2, 30.43, 38.86] = {expected}");
}
