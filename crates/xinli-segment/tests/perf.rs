//! Performance sanity: a million records evaluate (no timing assertion; the time is printed).
use xinli_segment::*;

struct Row {
    price: f64,
    churn: f64,
    segment: &'static str,
    age: Option<f64>,
}

impl Record for Row {
    fn get(&self, field: &str) -> Value<'_> {
        match field {
            "trait_price_sensitivity" => Value::Number(self.price),
            "churn_risk" => Value::Number(self.churn),
            "rfm_segment" => Value::Text(self.segment),
            "age" => self.age.map_or(Value::Null, Value::Number),
            _ => Value::Null,
        }
    }
}

#[test]
fn a_million_records() {
    const SEGS: [&str; 4] = ["At risk", "Can't lose", "Champions", "Lost"];
    let rows: Vec<Row> = (0..1_000_000u64)
        .map(|i| {
            let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            Row {
                price: (h >> 11) as f64 / (1u64 << 53) as f64,
                churn: ((h >> 7) % 1000) as f64 / 1000.0,
                segment: SEGS[(h % 4) as usize],
                age: (i % 5 != 0).then_some((20 + i % 50) as f64),
            }
        })
        .collect();
    let seg = Segment::new(
        "s",
        r#"trait_price_sensitivity > 0.7 and churn_risk > 0.5 and rfm_segment in ["At risk", "Can't lose"] and (age between 25 and 45 or age is null)"#,
        "",
    );
    let start = std::time::Instant::now();
    let m = evaluate(&seg, &rows).unwrap();
    let elapsed = start.elapsed();
    eprintln!("1e6 records: {} members in {elapsed:?}", m.size);
    assert_eq!(m.total, 1_000_000);
    let expect = rows
        .iter()
        .filter(|r| {
            r.price > 0.7
                && r.churn > 0.5
                && (r.segment == "At risk" || r.segment == "Can't lose")
                && r.age.is_none_or(|a| (25.0..=45.0).contains(&a))
        })
        .count();
    assert_eq!(m.size, expect);
    assert!(expect > 10_000);
}

#[test]
fn a_large_csv() {
    let mut csv = String::from("customer_id,clv,churn_risk,rfm_segment,orders\n");
    for i in 0..200_000u32 {
        let seg = ["At risk", "Champions", "Lost"][(i % 3) as usize];
        let clv = if i % 7 == 0 {
            String::new()
        } else {
            format!("{}", i % 1500)
        };
        csv.push_str(&format!(
            "c{i},{clv},{},{seg},{}\n",
            (i % 100) as f64 / 100.0,
            i % 9
        ));
    }
    let start = std::time::Instant::now();
    let t = CsvTable::from_reader(csv.as_bytes()).unwrap();
    let loaded = start.elapsed();
    let (compiled, sizes) = t.tag_sizes(&TagTree::default_tree()).unwrap();
    eprintln!(
        "200k-row CSV: load {loaded:?}, {} tags in {:?}",
        compiled.len(),
        start.elapsed() - loaded
    );
    assert_eq!(sizes.total, 200_000);
    assert_eq!(sizes.tags[compiled.find("rfm_lost").unwrap()], 200_000 / 3);
}
