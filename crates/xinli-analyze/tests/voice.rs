//! `analyze` reads the voice of the customer: surveys beside the reviews (counted, bad rows
//! quarantined by file, line and column, scores in `satisfaction`), and what review texts say
//! about quality, logistics and service as barrier evidence.

use std::path::{Path, PathBuf};
use xinli_analyze::{AnalyzeConfig, Silent, Source};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xinli-analyze-voice-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Ten customers buying monthly through 2024; customer c1 wrote a 3-star review complaining
/// about delivery, c2 a 5-star one. c1 stops buying in the summer.
fn write_shop(dir: &Path) {
    let mut orders = String::from("order_id,customer_id,ordered_at,product_id,quantity,unit_price\n");
    for c in 0..10 {
        let months = if c == 1 { 6 } else { 12 };
        for m in 1..=months {
            orders.push_str(&format!("o{c}-{m},c{c},2024-{m:02}-{:02},p{},1,{}.5\n", 3 + c, m % 3, 10 + c));
        }
    }
    std::fs::write(dir.join("orders.csv"), orders).unwrap();
    std::fs::write(
        dir.join("reviews.csv"),
        "review_id,customer_id,product_id,ts,rating,title,text\n\
         r1,c1,p1,2024-05-10,3,Slow,物流太慢了，等了十天才到\n\
         r2,c2,p2,2024-05-11,5,Love it,Great quality and fast shipping\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("surveys.csv"),
        "customer_id,ts,score,scale,comment\n\
         c2,2024-06-01,10,10,very happy\n\
         c3,2024-06-01,2,10,meh\n\
         c4,2024-06-01,11,10,off the scale\n",
    )
    .unwrap();
}

fn column<'a>(header: &csv::StringRecord, row: &'a csv::StringRecord, name: &str) -> &'a str {
    &row[header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))]
}

#[test]
fn surveys_and_review_texts_reach_satisfaction_and_barriers() {
    let dir = scratch("run");
    let shop = dir.join("shop");
    std::fs::create_dir_all(&shop).unwrap();
    write_shop(&shop);
    let mut config = AnalyzeConfig::new(Source::Directory(shop), dir.join("out"));
    config.lang = xinli_report::Lang::En;
    xinli_analyze::run(&config, &Silent).unwrap();
    let out = dir.join("out");

    // The counts reconcile: 3 rows read = 2 answers + 1 quarantined, named by file, line, column.
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let surveys = &summary["surveys"];
    assert_eq!((surveys["rows_read"].as_u64(), surveys["answers"].as_u64(), surveys["quarantined"].as_u64()), (Some(3), Some(2), Some(1)), "{surveys}");
    let quarantine = std::fs::read_to_string(out.join("quarantine.csv")).unwrap();
    let bad = quarantine.lines().find(|l| l.contains("surveys.csv")).unwrap_or_else(|| panic!("{quarantine}"));
    assert!(bad.contains(",4,score,11,") && bad.contains("score outside 0–10"), "{bad}");

    let mut reader = csv::Reader::from_path(out.join("customers.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let row = |id: &str| rows.iter().find(|r| &r[0] == id).unwrap_or_else(|| panic!("no row {id}"));
    // c3 has only a survey: 2 on 0–10 → satisfaction 0.2. c2: 5 stars (1.0), text, survey 10 (1.0).
    assert_eq!(column(&header, row("c3"), "satisfaction"), "0.2");
    assert!(column(&header, row("c2"), "satisfaction").parse::<f64>().unwrap() > 0.9);
    // c1 lapsed after a 3-star review complaining about delivery: a review-based logistics barrier.
    let c1 = row("c1");
    assert_eq!(column(&header, c1, "main_barrier"), "logistics", "{c1:?}");
    let evidence = column(&header, c1, "barrier_evidence");
    assert!(evidence.contains("1 of 1 reviews complain about delivery"), "{evidence}");
    assert!(evidence.contains("1 complaint about quality, delivery or service in reviews"), "{evidence}");
    assert_eq!(column(&header, row("c5"), "main_barrier"), "");

    // The report's voice section shows the survey-based NPS.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("NPS"), "no NPS in the report");
    std::fs::remove_dir_all(&dir).unwrap();
}
