//! Bad input never panics: clear errors (exit code 2, naming the file) or quarantined rows
//! with reasons, and counts that reconcile.

mod common;
use common::*;
use std::io::Write;

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_input_error(args: &[&str], must_mention: &[&str]) {
    let out = xinli(args);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "exit code 2 for {args:?}; stderr: {err}");
    assert!(!err.contains("panicked"), "no panic: {err}");
    for needle in must_mention {
        assert!(err.contains(needle), "error mentions {needle:?}: {err}");
    }
}

#[test]
fn unreadable_files_are_one_clear_error_naming_the_file() {
    let dir = temp_dir("hostile-files");
    let out = dir.join("out");
    let out = out.to_str().unwrap();

    let binary = dir.join("binary/orders.csv");
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    std::fs::write(&binary, [0u8, 159, 146, 150, 0, 1, 2, 3, 255, 0]).unwrap();
    assert_input_error(&["analyze", binary.to_str().unwrap(), "--out", out], &["orders.csv"]);

    let truncated = dir.join("truncated/orders.csv.gz");
    std::fs::create_dir_all(truncated.parent().unwrap()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..2000 {
        writeln!(gz, "o{i},c{},2020-01-0{} 10:00:00,1,9.5", i % 50, 1 + i % 9).unwrap();
    }
    let bytes = gz.finish().unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert_input_error(&["analyze", truncated.to_str().unwrap(), "--out", out], &["orders.csv.gz"]);

    let missing = dir.join("missing/orders.csv");
    std::fs::create_dir_all(missing.parent().unwrap()).unwrap();
    std::fs::write(&missing, "order_id,customer_id,quantity\no1,c1,1\n").unwrap();
    assert_input_error(&["analyze", missing.to_str().unwrap(), "--out", out], &["orders.csv", "ordered_at"]);

    assert_input_error(&["analyze", dir.join("nope").to_str().unwrap(), "--out", out], &["nope"]);
    assert_input_error(&["analyze", missing.to_str().unwrap(), "--calibration-end", "someday", "--out", out], &["--calibration-end"]);
}

#[test]
fn bad_rows_are_quarantined_with_reasons_and_strict_stops_at_the_first() {
    let dir = temp_dir("hostile-rows");
    let shop = dir.join("shop");
    std::fs::create_dir_all(&shop).unwrap();
    let mut orders = String::from("\u{feff}order_id,customer_id,ordered_at,quantity,unit_price,note\n");
    for day in 1..=28 {
        for c in 0..6 {
            if (day + c) % 3 == 0 {
                orders.push_str(&format!("o{day}-{c},c{c},2021-02-{day:02} 09:00:00,2,{}.5,ok\n", 3 + c));
            }
        }
    }
    orders.push_str("bad1,c1,2021-02-30 10:00:00,1,5,x\n"); // no such date
    orders.push_str("bad2,c2,2021-02-03,one,5,x\n"); // bad number
    orders.push_str("order_id,customer_id,ordered_at,quantity,unit_price,note\n"); // repeated header
    orders.push_str("bad3,,2021-02-04,1,5,x\n"); // empty required id
    std::fs::write(shop.join("orders.csv"), &orders).unwrap();

    let out = dir.join("out");
    xinli_ok(&["analyze", shop.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    let mut quarantine = csv::Reader::from_path(out.join("quarantine.csv")).unwrap();
    assert_eq!(quarantine.headers().unwrap().iter().collect::<Vec<_>>(), ["file", "line", "column", "value", "reason"]);
    let entries: Vec<csv::StringRecord> = quarantine.records().map(Result::unwrap).collect();
    assert_eq!(entries.len(), 4, "{entries:?}");
    assert!(entries.iter().all(|e| !e[4].is_empty() && e[0].ends_with("orders.csv")));
    let summary = json(&out.join("summary.json"));
    let file = &summary["import"]["files"][0];
    assert_eq!(file["quarantined"], 4);
    let filtered: u64 = file["filtered"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(file["rows_read"].as_u64().unwrap(), file["accepted"].as_u64().unwrap() + 4 + filtered);

    let strict = xinli(&["analyze", shop.to_str().unwrap(), "--strict", "--out", out.to_str().unwrap()]);
    assert_eq!(strict.status.code(), Some(2));
    let err = stderr_of(&strict);
    assert!(err.contains("orders.csv") && err.contains("ordered_at") && err.contains("2021-02-30"), "{err}");
}
