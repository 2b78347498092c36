//! Canonical shop directories (data contract v1), mappings and the quarantine file.

mod common;
use common::*;
use xinli_core::{EventType, Gender, Language, OrderStatus, Subject};
use xinli_ingest::{
    import_dir, import_file, import_with_mapping, write_quarantine_csv, ImportError, ImportOptions, Kind, Mapping,
};

fn shop_dir() -> TempDir {
    let dir = TempDir::new("canonical");
    dir.write(
        "customers.csv",
        "Customer_ID , signup_at,gender,birth_date,city,region,acquisition_channel,consent_email,consent_sms,consent_push,email,phone,name,vip_level\n\
         c1,2023-01-05,女,1990-02-03,上海,华东,search,是,否,1,a@b.cn,138,张三,3\n\
         c2,2023-02-01T10:00:00+08:00,m,,Leeds,,referral,yes,no,false,,,Bob,\n"
            .as_bytes(),
    );
    dir.write(
        "products.csv",
        b"product_id,category,list_price,launched_at,brand,avg_rating\np1,tea,12.50,2022-01-01,Xi,4.5\np2,cups,3,,,\n",
    );
    dir.write_gz(
        "orders.csv.gz",
        b"order_id,customer_id,ordered_at,product_id,category,quantity,unit_price,list_price,coupon_code,payment_method,channel,status,promised_delivery_at,delivered_at,gift_wrap\n\
          o1,c1,2023-03-01 10:00:00,p1,tea,2,10.00,12.50,SPRING,Alipay,mini_program,,2023-03-03,2023-03-04,yes\n\
          o1,c1,2023-03-01 10:00:00,p2,cups,1,3,,,alipay,mini_program,completed,,,no\n\
          o2,c2,2023-03-02,p1,tea,1,12.5,,,card,web,cancelled,,,\n",
    );
    dir.write(
        "events.jsonl",
        br#"{"ts":"2023-03-01 09:58:00","customer_id":"c1","session_id":"s1","type":"page_view","properties":{"page":"home","via":"share"}}
{"ts":"2023-03-01 09:59:00","anonymous_id":"anon-7","type":"search","query":"green tea","device":"ios"}
{"ts":"2023-03-01 09:59:30","customer_id":"c1","type":"add_to_cart","product_id":"p1","value":25.0}

"#,
    );
    dir.write(
        "reviews.tsv",
        "review_id\tcustomer_id\tproduct_id\tts\trating\ttext\tlanguage\nr1\tc1\tp1\t2023-03-05\t5\t很好喝\tzh\nr2\tc2\tp1\t2023-03-06\t2\ttoo bitter\ten\n"
            .as_bytes(),
    );
    dir.write(
        "campaigns.csv",
        b"campaign_id,customer_id,ts,channel,variant,opened,clicked,converted,revenue\nspring,c1,2023-02-28,SMS,A,1,1,1,23\nspring,c2,2023-02-28,sms,holdout,,,0,\n",
    );
    dir.write("notes.txt", b"hello");
    dir
}

#[test]
fn a_canonical_shop_directory_imports_every_kind() {
    let dir = shop_dir();
    let out = import_dir(dir.path(), &ImportOptions::default()).unwrap();
    check(&out);
    assert_eq!(out.summary.quarantined(), 0, "{:?}", out.quarantine);
    let s = &out.shop;
    assert_eq!((s.customers.len(), s.products.len(), s.orders.len()), (2, 2, 3));
    assert_eq!((s.events.len(), s.reviews.len(), s.campaigns.len()), (3, 2, 2));
    let c1 = &s.customers[0];
    assert_eq!(c1.gender, Some(Gender::Female));
    assert_eq!((c1.consent_email, c1.consent_sms, c1.consent_push), (Some(true), Some(false), Some(true)));
    assert_eq!(c1.extra, vec![("vip_level".to_string(), "3".to_string())]);
    assert_eq!(s.customers[1].signup_at.unwrap().to_string(), "2023-02-01 02:00:00");
    let o = &s.orders[0];
    assert_eq!(o.payment_method.as_deref(), Some("alipay"));
    assert_eq!(o.list_price.unwrap().get(), 12.5);
    assert_eq!(o.delivered_at.unwrap().to_string(), "2023-03-04 00:00:00");
    assert_eq!(o.extra, vec![("gift_wrap".to_string(), "yes".to_string())]);
    assert_eq!(s.orders[2].status, OrderStatus::Cancelled);
    assert!(out.summary.files.iter().any(|f| f.compressed && f.kind == "orders"));
    let e = &s.events[0];
    assert_eq!(e.event_type, EventType::PageView);
    let props: serde_json::Value = serde_json::from_str(e.properties.as_deref().unwrap()).unwrap();
    assert_eq!(props["via"], "share");
    assert!(matches!(&s.events[1].subject, Subject::Anonymous(id) if id.as_str() == "anon-7"));
    assert_eq!(s.events[1].extra, vec![("device".to_string(), "ios".to_string())]);
    assert_eq!(s.events[2].value, Some(25.0));
    assert_eq!(s.reviews[0].language, Some(Language::Zh));
    assert_eq!(s.reviews[1].rating, Some(2));
    assert_eq!(s.campaigns[0].channel.as_deref(), Some("sms"));
    assert_eq!(s.campaigns[1].converted, Some(false));
    assert!(out.summary.warnings.iter().any(|w| w.contains("notes.txt")), "{:?}", out.summary.warnings);
    // Ids are interned: repeated ids share one allocation.
    assert!(std::ptr::eq(s.orders[0].customer_id.as_str().as_ptr(), s.orders[1].customer_id.as_str().as_ptr()));
}

#[test]
fn bad_rows_are_quarantined_with_file_line_column_value_reason() {
    let dir = TempDir::new("badrows");
    dir.write(
        "orders.csv",
        b"order_id,customer_id,ordered_at,quantity,unit_price,status\n\
          o1,c1,2023-03-01,2,10,\n\
          o2,c1,2023-02-30,1,5,\n\
          o3,c1,2023-03-01,two,5,\n\
          o4,,2023-03-01,1,5,\n\
          o5,c1,2023-03-01,1,-5,\n\
          o6,c1,2023-03-01,1,5,lost\n\
          order_id,customer_id,ordered_at,quantity,unit_price,status\n\
          o7,c1,2023-03-01,1,5,completed\n",
    );
    dir.write(
        "events.csv",
        b"ts,customer_id,type,properties\n2023-03-01,c1,page_view,\"{\"\"page\"\":\"\"home\"\"}\"\n2023-03-01,c1,teleport,\n2023-03-01,c1,login,{not json\n2023-03-01,c1,login,[1]\n2023-03-01,,login,\n",
    );
    dir.write(
        "reviews.csv",
        b"review_id,ts,rating,text,language\nr1,2023-03-01,6,meh,en\nr2,2023-03-01,3,,en\nr3,2023-03-01,3,ok,fr\nr4,2023-03-01,4,fine,EN\n",
    );
    let out = import_dir(dir.path(), &ImportOptions::default()).unwrap();
    check(&out);
    let orders = out.summary.files.iter().find(|f| f.kind == "orders").unwrap();
    assert_eq!((orders.rows_read, orders.accepted, orders.quarantined), (8, 2, 6));
    let reasons: Vec<_> = out.quarantine.iter().map(|q| (q.line, q.column.as_str(), q.value.as_str(), q.reason.as_str())).collect();
    assert_eq!(reasons[0].1, "ordered_at");
    assert_eq!(reasons[0].0, 3);
    assert!(reasons[0].3.starts_with("bad date"));
    assert_eq!((reasons[1].1, reasons[1].2), ("quantity", "two"));
    assert_eq!((reasons[2].1, reasons[2].3), ("customer_id", "empty required field"));
    assert_eq!((reasons[3].1, reasons[3].2), ("unit_price", "-5"));
    assert_eq!((reasons[4].1, reasons[4].2), ("status", "lost"));
    assert_eq!((reasons[5].0, reasons[5].3), (8, "repeated header line"));
    let all: Vec<&str> = out.quarantine.iter().map(|q| q.reason.as_str()).collect();
    assert!(all.contains(&"unknown event type"));
    assert!(all.iter().any(|r| r.starts_with("invalid JSON properties")));
    assert!(all.contains(&"properties is not a JSON object"));
    assert!(all.contains(&"rating outside 1–5"));
    assert!(all.contains(&"unknown language (zh|en)"));
    assert_eq!(out.shop.events.len(), 1);
    assert_eq!(out.shop.reviews.len(), 1);

    // The quarantine file.
    let qpath = dir.path().join("quarantine.csv");
    write_quarantine_csv(&out.quarantine, &qpath).unwrap();
    let text = std::fs::read_to_string(&qpath).unwrap();
    assert!(text.starts_with("file,line,column,value,reason\n"));
    assert_eq!(text.lines().count(), out.quarantine.len() + 1);
    assert!(text.contains(",3,ordered_at,2023-02-30,\"bad date"), "{text}");

    // Strict: the first bad row is the error, naming file, line, column, value and reason.
    let err = import_dir(dir.path(), &ImportOptions { strict: true, ..ImportOptions::default() }).unwrap_err();
    assert!(err.is_bad_row());
    let msg = err.to_string();
    // Files are read in kind order (customers, products, orders, events, …), so orders.csv comes first.
    assert!(msg.contains("orders.csv, line 3, column ordered_at: bad date") && msg.contains("\"2023-02-30\""), "{msg}");
}

#[test]
fn quarantined_values_are_truncated() {
    let dir = TempDir::new("trunc");
    let long = "9".repeat(5000);
    dir.write("orders.csv", format!("order_id,customer_id,ordered_at,quantity,unit_price\no1,c1,2023-01-01,1,{long}x\n").as_bytes());
    let out = import_dir(dir.path(), &ImportOptions::default()).unwrap();
    assert_eq!(out.quarantine.len(), 1);
    assert!(out.quarantine[0].value.chars().count() <= 201);
    let qpath = dir.path().join("q.csv");
    write_quarantine_csv(&out.quarantine, &qpath).unwrap();
    assert!(std::fs::metadata(&qpath).unwrap().len() < 400);
}

#[test]
fn import_file_reads_one_kind() {
    let dir = TempDir::new("onefile");
    let p = dir.write("whatever.csv", b"product_id,category\np1,tea\n");
    let out = import_file(&p, Kind::Products, &ImportOptions::default()).unwrap();
    assert_eq!(out.shop.products.len(), 1);
}

const GBK_MAPPING: &str = r#"
# A Chinese shop's order export (GBK).
kind = "orders"
file = "导出.csv"
encoding = "gbk"
timestamp_format = "%Y/%m/%d %H:%M"

[columns]
order_id = "订单号"
customer_id = "客户"
ordered_at = "下单时间"
quantity = "数量"
unit_price = "单价"
status = "状态"

[constants]
channel = "store"

[values.status]
"已付款" = "completed"
"已退款" = "returned"
"#;

#[test]
fn a_mapping_reads_a_gbk_chinese_export() {
    let dir = TempDir::new("mapping");
    let csv = "订单号,客户,下单时间,数量,单价,状态,备注\nA001,王五,2024/01/02 13:45,2,19.9,已付款,加急\nA002,赵六,2024/01/03 08:00,1,5,已退款,\nA003,王五,昨天,1,5,已付款,\n";
    let (gbk, _, bad) = encoding_rs::GBK.encode(csv);
    assert!(!bad);
    dir.write("导出.csv", &gbk);
    let mapping = dir.write("mapping.toml", GBK_MAPPING.as_bytes());
    let out = import_with_mapping(&mapping, &[] as &[&str], &ImportOptions::default()).unwrap();
    check(&out);
    let f = &out.summary.files[0];
    assert_eq!(f.encoding, "gbk");
    assert_eq!((f.rows_read, f.accepted, f.quarantined), (3, 2, 1));
    let o = &out.shop.orders[0];
    assert_eq!(o.customer_id.as_str(), "王五");
    assert_eq!(o.ordered_at.to_string(), "2024-01-02 13:45:00");
    assert_eq!(o.channel.as_deref(), Some("store"));
    assert_eq!(o.extra, vec![("备注".to_string(), "加急".to_string())]);
    assert_eq!(out.shop.orders[1].status, OrderStatus::Returned);
    assert_eq!(out.quarantine[0].value, "昨天");
    // Auto-detection finds GB18030 (a superset of GBK) without being told.
    let auto = Mapping::from_toml_str(&GBK_MAPPING.replace("encoding = \"gbk\"", ""), "inline").unwrap();
    let out = xinli_ingest::import_with_mapping_spec(&auto, &[dir.path().join("导出.csv")], &ImportOptions::default()).unwrap();
    assert_eq!(out.summary.files[0].encoding, "gb18030");
    assert_eq!(out.shop.orders[0].customer_id.as_str(), "王五");
}

#[test]
fn a_headerless_mapping_uses_positions_and_unix_time() {
    let dir = TempDir::new("mapping2");
    dir.write("log.txt", b"u1;login;1511658000;\nu2;share;1511658001;{\"via\":\"share\"}\nu3;login;soon;\n");
    let m = Mapping::from_toml_str(
        "kind = \"events\"\nheader = false\ndelimiter = \";\"\ntimestamp_format = \"unix\"\n[columns]\ncustomer_id = 1\ntype = 2\nts = 3\nproperties = 4\n",
        "inline",
    )
    .unwrap();
    let out = xinli_ingest::import_with_mapping_spec(&m, &[dir.path().join("log.txt")], &ImportOptions::default()).unwrap();
    check(&out);
    assert_eq!(out.shop.events.len(), 2);
    assert_eq!(out.shop.events[0].ts.to_string(), "2017-11-26 01:00:00");
    assert_eq!(out.summary.files[0].quarantined, 1);
}

#[test]
fn invalid_mappings_are_clear_errors() {
    for (text, needle) in [
        ("kind = \"orders\"\n[columns]\norder_id = \"a\"\n", "required"),
        ("kind = \"spaceships\"\n", "unknown kind"),
        ("kind = \"products\"\n[columns]\nproduct_id = \"a\"\ncolour = \"b\"\n", "not a column"),
        ("kind = \"products\"\ndelimiter = \";;\"\n[columns]\nproduct_id = \"a\"\n", "delimiter"),
        ("kind = \"products\"\ntimestamp_format = \"weird\"\n[columns]\nproduct_id = \"a\"\n", "timestamp_format"),
        ("kind = \"products\"\nheader = false\n[columns]\nproduct_id = \"a\"\n", "position"),
        ("kind = [", "invalid mapping"),
    ] {
        let err = Mapping::from_toml_str(text, "m.toml").unwrap_err();
        assert!(matches!(err, ImportError::Mapping { .. }));
        assert!(err.to_string().contains(needle), "{err} / {needle}");
    }
    // A mapped column the file lacks.
    let dir = TempDir::new("mapping3");
    dir.write("x.csv", b"a,b\n1,2\n");
    let m = Mapping::from_toml_str("kind = \"products\"\n[columns]\nproduct_id = \"sku\"\n", "m.toml").unwrap();
    let err = xinli_ingest::import_with_mapping_spec(&m, &[dir.path().join("x.csv")], &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, ImportError::MissingColumns { .. }), "{err}");
    assert!(err.to_string().contains("sku"));
}
