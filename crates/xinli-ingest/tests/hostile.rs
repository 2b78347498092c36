//! Hostile input: every file here is generated inside the test.

mod common;
use common::*;
use std::io::Read;
use xinli_ingest::{import_dir, import_file, import_preset, ImportError, ImportOptions, Kind, Preset, FUZZ_TARGETS};

const ORDERS_HEADER: &str = "order_id,customer_id,ordered_at,quantity,unit_price\n";

fn orders(dir: &TempDir, name: &str, body: &[u8]) -> Result<xinli_ingest::ImportOutcome, ImportError> {
    let p = dir.write(name, body);
    import_file(&p, Kind::Orders, &ImportOptions::default())
}

#[test]
fn binary_files_are_one_clear_error() {
    let dir = TempDir::new("binary");
    let mut bytes = b"order_id,customer_id\n".to_vec();
    bytes.extend((0..4096u32).map(|i| (i * 7919 % 256) as u8));
    let err = orders(&dir, "orders.csv", &bytes).unwrap_err();
    assert!(matches!(err, ImportError::Binary { .. }), "{err}");
    assert!(err.to_string().contains("orders.csv") && err.to_string().contains("binary"));
    // The same inside a gzip.
    let p = dir.write_gz("o.csv.gz", &bytes);
    let err = import_file(&p, Kind::Orders, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::Binary { .. }), "{err}");
}

#[test]
fn truncated_and_corrupt_gzip_are_clear_errors() {
    let dir = TempDir::new("gz");
    let mut body = ORDERS_HEADER.to_string();
    for i in 0..200_000 {
        body.push_str(&format!("o{i},c{},2023-01-01,1,{}.5\n", i % 977, i % 13));
    }
    let gz = gzip(body.as_bytes());
    let p = dir.write("orders.csv.gz", &gz[..gz.len() / 2]);
    let err = import_file(&p, Kind::Orders, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::CorruptGzip { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("orders.csv.gz") && msg.contains("truncated"), "{msg}");
    if let ImportError::CorruptGzip { line, .. } = err {
        assert!(line > 1000, "names the line reached: {line}");
    }
    // Garbage after a valid gzip header.
    let mut bad = gz[..20].to_vec();
    bad.extend(std::iter::repeat_n(0xAB, 5000));
    let p = dir.write("orders2.csv.gz", &bad);
    let err = import_file(&p, Kind::Orders, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::CorruptGzip { .. } | ImportError::Binary { .. }), "{err}");
    // The whole file is fine.
    let p = dir.write("orders3.csv.gz", &gz);
    let out = import_file(&p, Kind::Orders, &ImportOptions::default()).unwrap();
    assert_eq!(out.shop.orders.len(), 200_000);
}

#[test]
fn empty_files_and_missing_columns() {
    let dir = TempDir::new("empty");
    for body in [&b""[..], b"\n\n  \n", b"\xEF\xBB\xBF"] {
        let err = orders(&dir, "orders.csv", body).unwrap_err();
        assert!(matches!(err, ImportError::Empty { .. }), "{err}");
    }
    let p = dir.write_gz("e.csv.gz", b"");
    assert!(matches!(import_file(&p, Kind::Orders, &ImportOptions::default()).unwrap_err(), ImportError::Empty { .. }));
    // Header only: zero rows, not an error.
    let out = orders(&dir, "orders.csv", ORDERS_HEADER.as_bytes()).unwrap();
    assert_eq!(out.summary.rows_read(), 0);
    let err = orders(&dir, "orders.csv", b"order_id,customer,ordered_at\no1,c1,2023-01-01\n").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ImportError::MissingColumns { .. }));
    assert!(msg.contains("orders.csv") && msg.contains("customer_id") && msg.contains("unit_price"), "{msg}");
    let err = import_file(dir.write("events.csv", b"ts,type\n"), Kind::Events, &ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("customer_id or anonymous_id"), "{err}");
    // A directory with nothing usable.
    let empty = TempDir::new("emptydir");
    empty.write("readme.md", b"hi");
    assert!(matches!(import_dir(empty.path(), &ImportOptions::default()).unwrap_err(), ImportError::NoShopFiles { .. }));
    assert!(matches!(import_dir(empty.path().join("nope"), &ImportOptions::default()).unwrap_err(), ImportError::NotFound { .. }));
}

#[test]
fn bom_crlf_quotes_and_embedded_newlines() {
    let dir = TempDir::new("bom");
    let body = "\u{feff}Order_ID,CUSTOMER_ID,ordered_at,quantity,unit_price,note\r\no1,c1,2023-01-01,1,2.5,\"line one\r\nline two, with comma\"\r\n\"o2\",\"c2\",\"2023-01-02 10:00:00\",\"3\",\"1,234.50\",\"say \"\"hi\"\"\"\r\n";
    let out = orders(&dir, "orders.csv", body.as_bytes()).unwrap();
    check(&out);
    assert_eq!(out.summary.files[0].encoding, "utf-8-bom");
    assert_eq!(out.shop.orders.len(), 2, "{:?}", out.quarantine);
    assert_eq!(out.shop.orders[0].extra[0].1, "line one\r\nline two, with comma");
    assert_eq!(out.shop.orders[1].unit_price.get(), 1234.5);
    assert_eq!(out.shop.orders[1].extra[0].1, "say \"hi\"");
    assert_eq!(out.shop.orders[1].order_id.as_str(), "o2");
}

#[test]
fn gbk_is_detected_and_can_be_forced() {
    let dir = TempDir::new("gbk");
    let text = "customer_id,city,name\nc1,北京,李雷\nc2,广州,韩梅梅\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let p = dir.write("customers.csv", &gbk);
    let out = import_file(&p, Kind::Customers, &ImportOptions::default()).unwrap();
    assert_eq!(out.summary.files[0].encoding, "gb18030");
    assert_eq!(out.shop.customers[0].city.as_deref(), Some("北京"));
    assert_eq!(out.shop.customers[1].name.as_deref(), Some("韩梅梅"));
    let forced = ImportOptions { encoding: "gbk".parse().unwrap(), ..ImportOptions::default() };
    let out = import_file(&p, Kind::Customers, &forced).unwrap();
    assert_eq!(out.summary.files[0].encoding, "gbk");
    assert_eq!(out.shop.customers[0].city.as_deref(), Some("北京"));
    // A UTF-8 file with one stray GBK row: the row is read as GB18030 and counted.
    let mut mixed = "customer_id,city\n".to_string();
    for i in 0..20_000 {
        mixed.push_str(&format!("u{i},上海\n"));
    }
    let mut bytes = mixed.into_bytes();
    bytes.extend_from_slice(b"late,");
    bytes.extend_from_slice(&encoding_rs::GBK.encode("杭州").0);
    bytes.push(b'\n');
    let p = dir.write("customers2.csv", &bytes);
    let out = import_file(&p, Kind::Customers, &ImportOptions::default()).unwrap();
    assert_eq!(out.summary.files[0].encoding, "utf-8");
    assert_eq!(out.summary.files[0].rows_decoded_as_gb18030, 1);
    assert_eq!(out.shop.customers.last().unwrap().city.as_deref(), Some("杭州"));
    // UTF-16 is refused with advice.
    let mut utf16 = vec![0xFF, 0xFE];
    for c in "customer_id\nc1\n".encode_utf16() {
        utf16.extend_from_slice(&c.to_le_bytes());
    }
    let err = import_file(dir.write("c16.csv", &utf16), Kind::Customers, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::Encoding { .. }), "{err}");
}

#[test]
fn wrong_field_counts_and_repeated_headers_are_quarantined() {
    let dir = TempDir::new("fields");
    let body = format!("{ORDERS_HEADER}o1,c1,2023-01-01,1,2\no2,c1,2023-01-01,1\no3,c1,2023-01-01,1,2,extra\n{ORDERS_HEADER}o4,c1,2023-01-01,1,2\n");
    let out = orders(&dir, "orders.csv", body.as_bytes()).unwrap();
    check(&out);
    let reasons: Vec<_> = out.quarantine.iter().map(|q| (q.line, q.reason.clone())).collect();
    assert_eq!(reasons.len(), 3);
    assert_eq!(reasons[0], (3, "wrong field count: expected 5, found 4".to_string()));
    assert_eq!(reasons[2], (5, "repeated header line".to_string()));
    assert_eq!(out.shop.orders.len(), 2);
}

/// A reader producing `len` bytes of one endless line, without holding it.
struct EndlessLine {
    left: u64,
    header_sent: bool,
}

impl Read for EndlessLine {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if !self.header_sent {
            self.header_sent = true;
            let h = ORDERS_HEADER.as_bytes();
            buf[..h.len()].copy_from_slice(h);
            return Ok(h.len());
        }
        let n = (buf.len() as u64).min(self.left) as usize;
        buf[..n].fill(b'x');
        self.left -= n as u64;
        Ok(n)
    }
}

#[test]
fn a_very_long_line_is_an_error_not_an_allocation() {
    let dir = TempDir::new("long");
    // Limit lowered so the test stays fast; a 3 MB line against a 1 MiB limit.
    let options = ImportOptions { max_line_bytes: 1 << 20, ..ImportOptions::default() };
    let mut body = ORDERS_HEADER.as_bytes().to_vec();
    body.extend_from_slice(b"o1,c1,2023-01-01,1,2\n");
    body.extend(std::iter::repeat_n(b'x', 3 << 20));
    body.push(b'\n');
    let p = dir.write("orders.csv", &body);
    let err = import_file(&p, Kind::Orders, &options).unwrap_err();
    assert!(matches!(err, ImportError::LineTooLong { line: 3, .. }), "{err}");
    assert!(err.to_string().contains("orders.csv") && err.to_string().contains("line 3"));
    // Compressed: the same, decompressed on the fly.
    let p = dir.write_gz("orders.csv.gz", &body);
    let err = import_file(&p, Kind::Orders, &options).unwrap_err();
    assert!(matches!(err, ImportError::LineTooLong { line: 3, .. }), "{err}");
    // A ~100 MB generated stream through the default 64 MiB guard, in memory only.
    let reader = EndlessLine { left: 100 << 20, header_sent: false };
    let mut guarded = xinli_ingest::guard_reader_for_tests(Box::new(reader), 64 << 20);
    let mut buf = vec![0u8; 1 << 20];
    let err = loop {
        match guarded.read(&mut buf) {
            Ok(0) => panic!("guard did not trip"),
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert!(err.to_string().contains("line 2 longer than 67108864 bytes"), "{err}");
}

#[test]
fn strict_mode_names_the_first_bad_row() {
    let dir = TempDir::new("strict");
    let p = dir.write("orders.csv", format!("{ORDERS_HEADER}o1,c1,2023-01-01,1,2\no2,c1,2023-01-01,x,2\n").as_bytes());
    let err = import_file(&p, Kind::Orders, &ImportOptions { strict: true, ..ImportOptions::default() }).unwrap_err();
    match &err {
        ImportError::BadRow { path, line, column, value, reason } => {
            assert!(path.ends_with("orders.csv"));
            assert_eq!((*line, column.as_str(), value.as_str(), reason.as_str()), (3, "quantity", "x", "bad number"));
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.to_string(), format!("{}, line 3, column quantity: bad number (value \"x\")", p.display()));
}

#[test]
fn online_retail_rules_on_a_small_export() {
    let dir = TempDir::new("or");
    let p = dir.write(
        "retail.csv",
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
          536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n\
          C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom\n\
          536380,22,X,-3,2010-12-01 09:41:00,1,14527.0,United Kingdom\n\
          536381,22,X,3,2010-12-01 09:41:00,1,,United Kingdom\n\
          A563186,B,Adjust bad debt,1,2011-08-12 14:51:00,-11062.06,13000.0,United Kingdom\n\
          536382,22,X,3,12/1/2010 9:45,1,14527.0,France\n\
          536383,22,X,3,someday,1,14527.0,France\n\
          536384,22,X,3,2010-12-01 09:41:00,abc,14527.0,France\n",
    );
    let out = import_preset(Preset::OnlineRetail, &[&p], &ImportOptions::default()).unwrap();
    check(&out);
    let f = &out.summary.files[0];
    assert_eq!(f.rows_read, 8);
    assert_eq!(f.accepted, 3);
    assert_eq!(f.filtered["missing_customer_id"], 1);
    assert_eq!(f.filtered["non_positive_quantity"], 1);
    assert_eq!(f.filtered["negative_unit_price"], 1);
    assert_eq!(f.quarantined, 2);
    assert_eq!(out.shop.orders[1].status, xinli_core::OrderStatus::Cancelled);
    assert_eq!(out.shop.orders[1].quantity.get(), 1.0);
    assert_eq!(out.shop.orders[2].ordered_at.to_string(), "2010-12-01 09:45:00");
    let c = out.shop.customers.iter().find(|c| c.customer_id.as_str() == "14527").unwrap();
    assert_eq!(c.region.as_deref(), Some("United Kingdom"));
    assert!(c.extra.contains(&("other_region".to_string(), "France".to_string())));
    // Missing required columns.
    let p = dir.write("bad.csv", b"InvoiceNo,Quantity\n1,2\n");
    let err = import_preset(Preset::OnlineRetail, &[&p], &ImportOptions::default()).unwrap_err();
    assert!(err.to_string().contains("CustomerID"), "{err}");
}

#[test]
fn unknown_names_in_a_shop_dir_are_warnings() {
    let dir = TempDir::new("names");
    dir.write("orders-2024-01.csv", format!("{ORDERS_HEADER}o1,c1,2023-01-01,1,2\n").as_bytes());
    dir.write("orders-2024-02.csv.gz", &gzip(format!("{ORDERS_HEADER}o2,c1,2023-02-01,1,2\n").as_bytes()));
    dir.write("orderbook.csv", b"x");
    dir.write("photo.png", b"\x89PNG");
    std::fs::create_dir(dir.path().join("old")).unwrap();
    let out = import_dir(dir.path(), &ImportOptions::default()).unwrap();
    assert_eq!(out.shop.orders.len(), 2);
    assert_eq!(out.summary.warnings.len(), 3, "{:?}", out.summary.warnings);
}

#[test]
fn progress_is_reported() {
    let dir = TempDir::new("progress");
    let mut body = ORDERS_HEADER.to_string();
    for i in 0..60_000 {
        body.push_str(&format!("o{i},c{i},2023-01-01,1,2\n"));
    }
    dir.write("orders.csv", body.as_bytes());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let options = ImportOptions {
        progress: Some(std::sync::Arc::new(move |done, total| s2.lock().unwrap().push((done, total)))),
        ..ImportOptions::default()
    };
    import_dir(dir.path(), &options).unwrap();
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    let (done, total) = *seen.last().unwrap();
    assert_eq!(done, total);
    assert_eq!(total, body.len() as u64);
}

/// Deterministic pseudo-random and mutated inputs through the fuzz entry point: no panics, every
/// summary balances. (The cargo-fuzz target in `fuzz/` drives the same function.)
#[test]
fn fuzz_entry_point_survives_random_and_mutated_inputs() {
    let seeds: Vec<Vec<u8>> = vec![
        format!("{ORDERS_HEADER}o1,c1,2023-01-01,1,2\n").into_bytes(),
        b"customer_id,signup_at,consent_email\nc1,2023-01-01,yes\n".to_vec(),
        b"{\"ts\":\"2023-01-01\",\"customer_id\":\"c\",\"type\":\"login\",\"properties\":{\"a\":1}}\n".to_vec(),
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n536365,85123A,H,6,2010-12-01 08:26:00,2.55,17850.0,UK\n".to_vec(),
        b" 00004 0001 19970101  2   29.33\n 00021 0002 19970101  3   63.34\n".to_vec(),
        b"1,2268318,2520377,pv,1511544070\n1,2333346,2520771,buy,1511561733\n".to_vec(),
        encoding_rs::GBK.encode("订单号,客户,下单时间,数量,单价,状态\nA1,王,2024/01/02 13:45,2,19.9,已付款\n").0.into_owned(),
        b"u1;login;1511658000;{}\n".to_vec(),
        b"review_id,ts,rating,text\nr1,2023-01-01,5,\"good\nvery\"\n".to_vec(),
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b",;\n\r\"\t 0123456789.-:/{}[]abcCxyz\xE4\xB8\xAD\xFF\x00";
    let mut runs = 0;
    for round in 0..3000 {
        let target = (next() % FUZZ_TARGETS.len() as u64) as usize;
        let mut input = seeds[(next() % seeds.len() as u64) as usize].clone();
        match round % 4 {
            0 => {
                // Pure random bytes from a CSV-ish alphabet.
                let n = (next() % 300) as usize;
                input = (0..n).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
            }
            1 | 2 => {
                // Mutations of a seed: flips, inserts, deletes, duplications.
                for _ in 0..1 + next() % 8 {
                    if input.is_empty() {
                        break;
                    }
                    let at = (next() % input.len() as u64) as usize;
                    match next() % 4 {
                        0 => input[at] = alphabet[(next() % alphabet.len() as u64) as usize],
                        1 => input.insert(at, alphabet[(next() % alphabet.len() as u64) as usize]),
                        2 => {
                            input.remove(at);
                        }
                        _ => {
                            let tail = input[at..].to_vec();
                            input.extend_from_slice(&tail);
                        }
                    }
                }
            }
            _ => {
                // A gzip of a seed, sometimes cut short.
                let gz = gzip(&input);
                let cut = if next() % 2 == 0 { gz.len() } else { (next() % gz.len() as u64) as usize };
                input = gz[..cut].to_vec();
            }
        }
        let _ = xinli_ingest::parse_bytes_for_fuzzing(target, &input);
        runs += 1;
    }
    assert_eq!(runs, 3000);
    // And every target accepts its seed-like input.
    let out = xinli_ingest::parse_bytes_for_fuzzing(2, &seeds[0]).unwrap();
    assert_eq!(out.shop.orders.len(), 1);
}
