//! `xinli reviews` end to end on a small shop: files, columns, counts, the complaint queue order
//! and CSAT/NPS computed by hand.

use std::path::Path;
use xinli_text::run::{run, ReviewsConfig};
use xinli_text::SentimentModel;

fn write(dir: &Path, name: &str, body: &[u8]) {
    std::fs::write(dir.join(name), body).unwrap();
}

fn rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().iter().map(str::to_string).collect();
    (h, r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect())
}

#[test]
fn a_small_shop_end_to_end() {
    let root = std::env::temp_dir().join(format!("xinli-text-run-{}", std::process::id()));
    let shop = root.join("shop");
    std::fs::create_dir_all(&shop).unwrap();
    write(&shop, "products.csv", "product_id,category\np1,衣服\np2,水果\np3,Dresses\n".as_bytes());
    let reviews = "review_id,customer_id,product_id,ts,rating,text,language\n\
r1,c1,p1,2024-01-03,5,质量很好，物流也很快，很满意,zh\n\
r2,c2,p1,2024-01-10,1,质量太差了！！物流慢死了，我要退款，还要投诉,\n\
r3,c3,p2,2024-02-01,1,苹果烂了好几个，要求退货,zh\n\
r4,c4,p3,2024-02-05,5,\"Love it, fits true to size and shipping was fast!\",en\n\
r5,c5,p3,2024-02-06,4,\"Terrible quality, the fabric ripped after one wash. I want a refund.\",en\n\
r6,c1,p2,2024-02-07,,👍👍,\n\
r7,c6,p2,2024-02-08,9,rating out of range,en\n"
        .as_bytes();
    write(&shop, "reviews.csv", reviews);
    // A second reviews file exported in GBK (not valid UTF-8): decoded by the importer.
    let mut gbk = b"review_id,customer_id,product_id,ts,rating,text,language\nr8,c7,p2,2024-02-09,2,".to_vec();
    gbk.extend_from_slice(&[0xd6, 0xca, 0xc1, 0xbf, 0xb2, 0xee]); // 质量差
    gbk.extend_from_slice(b",zh\n");
    write(&shop, "reviews-gbk.csv", &gbk);
    write(&shop, "surveys.csv", b"customer_id,ts,score,scale,comment\nc1,2024-01-20,10,10,\nc2,2024-01-21,3,10,bad\nc3,2024-02-02,9,10,\nc4,2024-02-03,5,5,\nc5,2024-02-04,12,10,\n");
    write(&root, "customers.csv", b"customer_id,clv\nc2,10.5\nc3,500\nc5,80\n");
    let out = root.join("out");
    let config = ReviewsConfig {
        input: shop.clone(),
        out: out.clone(),
        customers: Some(root.join("customers.csv")),
        surveys: Vec::new(),
        import: Default::default(),
        lang: xinli_report::Lang::En,
    };
    let summary = run(&config, SentimentModel::embedded()).unwrap();
    // 8 review rows: 7 accepted, r7 quarantined (rating); 5 survey rows: 4 answers, 1 quarantined.
    let q = std::fs::read_to_string(out.join("quarantine.csv")).unwrap();
    assert_eq!(summary.reviews, 7, "{q}");
    assert_eq!(summary.survey_answers, 4);
    assert_eq!(summary.quarantined, 2);

    let (h, scored) = rows(&out.join("reviews_scored.csv"));
    assert_eq!(&h[..8], ["review_id", "language", "sentiment", "probability", "aspects", "emotion", "complaint", "severity"]);
    assert_eq!(scored.len(), 7);
    let by_id = |id: &str| scored.iter().find(|r| r[0] == id).unwrap().clone();
    let r1 = by_id("r1");
    assert_eq!((r1[1].as_str(), r1[2].as_str(), r1[6].as_str()), ("zh", "positive", "false"));
    assert!(r1[4].contains("quality:+") && r1[4].contains("logistics:+"), "{r1:?}");
    let r2 = by_id("r2");
    assert_eq!((r2[1].as_str(), r2[2].as_str(), r2[5].as_str(), r2[6].as_str(), r2[7].as_str()), ("zh", "negative", "anger", "true", "5"));
    assert!(r2[4].contains("logistics:-"), "{r2:?}");
    let r6 = by_id("r6");
    assert_eq!((r6[1].as_str(), r6[2].as_str(), r6[3].as_str()), ("", "positive", ""));
    let r8 = by_id("r8");
    assert_eq!((r8[2].as_str(), r8[4].as_str()), ("negative", "quality:-"));

    // Complaint queue: severity first, then CLV.
    let (_, complaints) = rows(&out.join("complaints.csv"));
    let order: Vec<&str> = complaints.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(order[0], "r2", "{complaints:?}");
    let sev: Vec<u8> = complaints.iter().map(|r| r[5].parse().unwrap()).collect();
    assert!(sev.windows(2).all(|w| w[0] >= w[1]), "{sev:?}");
    assert!(order.contains(&"r3") && order.contains(&"r5"), "{order:?}");

    // Satisfaction, shop-wide: ratings 5,1,1,5,4,2 (r6 has none) → 3 of 6 satisfied, plus the
    // 5-point survey answer 5 → CSAT 4/7; NPS answers 10, 3, 9 → (2 − 1)/3 = 33.3.
    let (sh, sat) = rows(&out.join("satisfaction.csv"));
    let all = sat.iter().find(|r| r[0] == "all" && r[2].is_empty()).unwrap();
    let col = |n: &str| sh.iter().position(|h| h == n).unwrap();
    assert_eq!(all[col("csat_answers")], "7");
    assert_eq!(all[col("csat")], format!("{:.4}", 4.0 / 7.0));
    assert_eq!(all[col("nps")], "33.3");
    // r5: 4 stars with negative text is a mismatch.
    assert_eq!(all[col("star_text_mismatches")], "1");

    let (ah, aspects) = rows(&out.join("aspects.csv"));
    assert_eq!(ah, ["scope", "key", "month", "aspect", "mentions", "positive", "negative", "share_negative"]);
    let p1_logistics = aspects.iter().find(|r| r[0] == "product" && r[1] == "p1" && r[2].is_empty() && r[3] == "logistics").unwrap();
    assert_eq!(&p1_logistics[4..], ["2", "1", "1", "0.5000"]);
    assert!(aspects.iter().any(|r| r[0] == "category" && r[1] == "衣服" && r[2] == "2024-01"));

    let (_, mentions) = rows(&out.join("aspect_mentions.csv"));
    for m in &mentions {
        let text = &review_text(&shop, &m[0]);
        let (s, e): (usize, usize) = (m[3].parse().unwrap(), m[4].parse().unwrap());
        assert_eq!(text.chars().skip(s).take(e - s).collect::<String>(), m[5], "span of {m:?}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Voice of the customer") && html.contains("顾客之声") && html.contains("<svg"));
    let (_, q) = rows(&out.join("quarantine.csv"));
    assert_eq!(q.len(), 2);
    std::fs::remove_dir_all(&root).unwrap();
}

fn review_text(shop: &Path, id: &str) -> String {
    if id == "r8" {
        return "质量差".into();
    }
    let bytes = std::fs::read(shop.join("reviews.csv")).unwrap();
    let mut r = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    for rec in r.byte_records() {
        let rec = rec.unwrap();
        if &rec[0] == id.as_bytes() {
            return String::from_utf8_lossy(&rec[5]).into_owned();
        }
    }
    panic!("no review {id}");
}
