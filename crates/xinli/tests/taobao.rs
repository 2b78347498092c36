//! `xinli analyze` on the two-hour Taobao slice: nobody buys twice in two hours, so no
//! transaction model can be fitted. The analysis degrades instead of failing: every other
//! output is written, the model columns are empty and models.json says why.

mod common;
use common::*;

#[test]
fn analyze_without_a_transaction_model() {
    let data = shared_data("taobao_user_behavior/UserBehavior_20171126_0100-0310_slice.csv");
    let out = temp_dir("taobao-no-model");
    let args = ["analyze", data.to_str().unwrap(), "--preset", "taobao", "--out", out.to_str().unwrap(), "--quiet"];
    xinli_ok(&args);

    let models = json(&out.join("models.json"));
    assert_eq!(models["selected_model"], "none", "{models}");
    let reason = models["selection_reason"].as_str().unwrap();
    assert!(reason.starts_with("no transaction model could be fitted"), "{reason}");
    assert!(models["bgnbd"]["error"].is_string(), "{models}");

    let (header, rows) = customers_csv(&out);
    // 66,454 users in the slice; every one who bought or browsed has a row.
    assert_eq!(rows.len(), 66_454);
    let buyers: Vec<&Vec<String>> = rows.iter().filter(|r| !r[column(&header, "frequency")].is_empty()).collect();
    assert!(!buyers.is_empty());
    for model_column in ["p_alive", "expected_purchases", "expected_next_order", "clv"] {
        let c = column(&header, model_column);
        assert!(rows.iter().all(|r| r[c].is_empty()), "{model_column} should be empty without a model");
    }
    // What does not need the model is there: RFM for the buyers, traits, stages, actions.
    let (rfm, persona, stage, action) = (
        column(&header, "rfm_segment"),
        column(&header, "persona"),
        column(&header, "journey_stage"),
        column(&header, "next_best_action"),
    );
    assert!(buyers.iter().all(|r| !r[rfm].is_empty()));
    assert!(rows.iter().all(|r| !r[persona].is_empty() && !r[stage].is_empty()));
    assert!(rows.iter().filter(|r| !r[action].is_empty()).count() > rows.len() / 2);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("No transaction model could be fitted"));
    assert!(out.join("strategy.json").exists() && out.join("evidence.csv").exists());
    let _ = std::fs::remove_dir_all(&out);
}
