//! The dashboard's endpoints (`/api/dashboard/*`) against a real server, on SQLite and on
//! PostgreSQL: events through the tracking API, an analysis written back with the store's
//! API, then every page's aggregates, the member lists, the segment preview (by SQL and by
//! the evaluator) and the customer 360's bilingual reasons.

mod common;

use common::Harness;
use serde_json::{json, Value};
use xinli_serve::client::Response;
use xinli_store::{AnalysisOutput, ScoreInput, Store};

fn ok(r: std::io::Result<Response>) -> Value {
    let r = r.expect("request");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

const PERSONAS: [&str; 3] = ["price_sensitive", "info_seeker", "balanced"];

/// Six customers with orders and reviews, then the scores of an analysis of them.
fn shop(h: &Harness) {
    let mut sdk = h.sdk(&h.write);
    let mut batch = Vec::new();
    for c in 1..=6 {
        for k in 0..c {
            batch.push(json!({"type": "track", "userId": format!("u{c}"), "event": "Order Completed", "messageId": format!("o{c}-{k}"),
                "timestamp": format!("2024-0{}-1{k}T10:00:00Z", 1 + c % 5), "properties": {"order_id": format!("o{c}-{k}"), "total": 10 * c}}));
        }
        batch.push(json!({"type": "track", "userId": format!("u{c}"), "event": "Product Reviewed", "messageId": format!("r{c}"),
            "timestamp": "2024-03-02T10:00:00Z", "properties": {"rating": 1 + c % 5, "review_body": "arrived late"}}));
    }
    ok(sdk.post_json("/v1/batch", &json!({ "batch": batch })));

    let mut store: Store = h.store();
    let rows: Vec<ScoreInput> = (1..=6)
        .map(|c| {
            let id = format!("u{c}");
            let cid = store.raw_query("SELECT cid FROM identities WHERE kind = 'user' AND value = $1", &[id.as_str().into()]).unwrap()[0].int(0);
            let row = json!({"customer_id": id, "persona": PERSONAS[c % 3], "rfm_segment": if c > 3 { "Champions" } else { "At risk" },
                "rfm_r": 1 + c % 5, "rfm_f": 1 + c % 2, "rfm_m": 3, "value_tier": if c == 6 { "top" } else { "tail" },
                "journey_stage": "post_purchase", "clv": 100.0 * c as f64, "p_alive": c as f64 / 7.0, "churn_risk": 1.0 - c as f64 / 7.0,
                "expected_purchases": 0.5, "recency": 10.0 * c as f64, "frequency": c - 1, "T": 200.0, "orders": c, "total_spend": 10.0 * (c * c) as f64,
                "trait_price_sensitivity": c as f64 / 6.0, "trait_info_seeking": null, "trait_convenience": 0.5, "trait_trust_concern": 0.05,
                "trait_social_influence": 0.95, "trait_novelty_seeking": 1.0, "next_best_action": "win_back", "nba_reason": "no purchase for 1 day",
                "nba_reason_en": "no purchase for 1 day", "nba_reason_zh": "已 1 天未购买", "main_barrier": if c % 2 == 0 { json!("logistics") } else { Value::Null },
                "emotion": if c % 2 == 0 { "anger" } else { "joy" }, "satisfaction": 0.5});
            ScoreInput { cid, customer_id: format!("u{c}"), row: row.as_object().unwrap().clone() }
        })
        .collect();
    let report = json!({"monthly": [{"month": "2024-01", "revenue": 10.0}], "funnel": {"by_persona": {"steps": [{"event_type": "product_view", "users": 6}]}},
        "cohorts": {"cohorts": [{"month": "2024-01", "retention": [1.0, 0.5]}]}, "pareto": {"lorenz": [{"customer_share": 0.0, "value_share": 0.0}, {"customer_share": 1.0, "value_share": 1.0}]}});
    store
        .write_analysis(AnalysisOutput {
            run_id: None,
            source: "test".into(),
            as_of: Some("2024-06-30".into()),
            scores: Box::new(rows.into_iter().map(Ok)),
            evidence: Box::new(std::iter::empty()),
            recommendations: Box::new(std::iter::empty()),
            artifacts: vec![("dashboard".into(), report.to_string())],
        })
        .unwrap();
}

fn dashboard_endpoints(h: Harness) {
    shop(&h);
    let mut api = h.api(&h.analyst);
    assert_eq!(ok(api.get("/api/dashboard/me"))["role"], "analyst");

    let overview = ok(api.get("/api/dashboard/overview"));
    let k = &overview["kpis"];
    assert_eq!((k["customers"].as_i64(), k["active"].as_i64(), k["churn_risk"].as_i64()), (Some(6), Some(3), Some(3)), "{k}");
    assert_eq!(k["repeat_rate"].as_f64(), Some(5.0 / 6.0));
    assert_eq!(k["revenue"].as_f64(), Some(910.0));
    assert_eq!(k["clv"].as_f64(), Some(2100.0));
    let personas: i64 = overview["personas"].as_array().unwrap().iter().map(|p| p["customers"].as_i64().unwrap()).sum();
    assert_eq!(personas, 6);
    let cells: i64 = overview["rfm"].as_array().unwrap().iter().map(|c| c["customers"].as_i64().unwrap()).sum();
    assert_eq!(cells, 6);
    assert_eq!(overview["trends"][0]["month"], "2024-01");

    let psychology = ok(api.get("/api/dashboard/psychology"));
    for t in psychology["traits"].as_array().unwrap() {
        let binned: i64 = t["bins"].as_array().unwrap().iter().map(|b| b["customers"].as_i64().unwrap()).sum();
        assert_eq!(binned + t["unknown"].as_i64().unwrap(), 6, "{t}");
    }
    let info = psychology["traits"].as_array().unwrap().iter().find(|t| t["trait"] == "info_seeking").unwrap();
    assert_eq!(info["unknown"], 6);
    let novelty = psychology["traits"].as_array().unwrap().iter().find(|t| t["trait"] == "novelty_seeking").unwrap();
    assert_eq!(novelty["bins"][9]["customers"], 6, "1.0 falls in the last bin");
    let stake: f64 = psychology["persona_segments"].as_array().unwrap().iter().map(|r| r["value_at_stake"].as_f64().unwrap()).sum();
    let expected: f64 = (1..=6).map(|c| 100.0 * c as f64 * (1.0 - c as f64 / 7.0)).sum();
    assert!((stake - expected).abs() < 1e-6, "{stake} vs {expected}");
    assert!(psychology["persona_segments"].as_array().unwrap().iter().all(|r| r["action"] == "win_back"));
    assert_eq!(psychology["journey"], json!([{"stage": "post_purchase", "customers": 6}]));
    assert_eq!(psychology["barriers"], json!([{"barrier": "logistics", "customers": 3}]));
    assert_eq!(psychology["funnel"], json!([{"step": "product_view", "customers": 6}]));

    let value = ok(api.get("/api/dashboard/value"));
    let binned: i64 = value["clv_histogram"].as_array().unwrap().iter().map(|b| b["customers"].as_i64().unwrap()).sum();
    assert_eq!(binned, 6);
    let by_gap: i64 = value["p_alive_by_recency"].as_array().unwrap().iter().map(|b| b["customers"].as_i64().unwrap()).sum();
    assert_eq!(by_gap, 6);
    assert_eq!(value["value_tiers"][0]["tier"], "tail");
    assert_eq!(value["cohorts"]["rows"], json!(["2024-01"]));
    assert_eq!(value["pareto"].as_array().unwrap().len(), 2);

    let voice = ok(api.get("/api/dashboard/voice"));
    assert_eq!(voice["rating_by_month"][0]["month"], "2024-03");
    assert_eq!(voice["rating_by_month"][0]["reviews"], 6);
    assert_eq!(voice["rating_by_month"][0]["avg_rating"].as_f64(), Some((2 + 3 + 4 + 5 + 1 + 2) as f64 / 6.0));
    let ratings: i64 = voice["ratings"].as_array().unwrap().iter().map(|r| r["reviews"].as_i64().unwrap()).sum();
    assert_eq!(ratings, 6);
    assert_eq!(voice["emotions"].as_array().unwrap().len(), 2);
    assert_eq!(voice["complaints"].as_array().unwrap().len(), 3, "the ratings ≤ 2, without a complaint queue in the run");

    // Members: filtered, highest CLV first, paged.
    let page = ok(api.get("/api/dashboard/members?rfm_segment=Champions&limit=2&offset=1"));
    assert_eq!(page["total"], 3);
    let ids: Vec<&str> = page["members"].as_array().unwrap().iter().map(|m| m["customer_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["u5", "u4"]);
    let cell = ok(api.get("/api/dashboard/members?r=2&f=2"));
    assert_eq!(cell["members"][0]["customer_id"], "u1");
    assert_eq!(ok(api.get("/api/dashboard/members?persona=x%27%20OR%20%271%27%3D%271"))["total"], 0, "an injection-shaped filter is a value");

    // The segment preview: compiled to SQL, or evaluated here when it reads journey_stage.
    let sql = ok(api.post_json("/api/dashboard/segments/preview", &json!({"expression": "orders >= 4 and clv > 100", "limit": 2})));
    assert_eq!((sql["size"].as_i64(), sql["method"].as_str(), sql["exact"].as_bool()), (Some(3), Some("sql"), Some(true)), "{sql}");
    let first: Vec<&str> = sql["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(first.len() == 2 && first.iter().all(|m| ["u4", "u5", "u6"].contains(m)), "{first:?}");
    let scan = ok(api.post_json("/api/dashboard/segments/preview", &json!({"expression": "journey_stage = 'dormant' and orders >= 4"})));
    assert_eq!((scan["size"].as_i64(), scan["method"].as_str(), scan["exact"].as_bool()), (Some(3), Some("scan"), Some(true)), "{scan}");
    let quoted = ok(api.post_json("/api/dashboard/segments/preview", &json!({"expression": "persona = \"'; DROP TABLE profiles; --\""})));
    assert_eq!((quoted["size"].as_i64(), quoted["scanned"].as_i64()), (Some(0), Some(6)));
    let error = ok(api.post_json("/api/dashboard/segments/preview", &json!({"expression": "orders >"})));
    assert_eq!(error["error"]["column"], 9);

    // The customer 360 carries the reason in both languages.
    let c = ok(api.get("/api/customers/u2"));
    assert_eq!(c["scores"]["data"]["nba_reason_zh"], "已 1 天未购买");
    assert_eq!(c["scores"]["nba_reason"], "no purchase for 1 day");
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(crate::common::start(crate::common::sqlite(), |_| {})) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(crate::common::start(crate::common::postgres(), |_| {})) } )*
        }
    };
}

both_backends!(dashboard_endpoints);
