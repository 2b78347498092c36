//! The presets on the real exports in `shared/data` (skipped, loudly, when it is absent) and on
//! the CDNOW sample shipped in the repository.

mod common;
use common::*;
use std::collections::HashSet;
use xinli_core::{EventType, OrderStatus};
use xinli_ingest::{import_preset, ImportOptions, Preset};

#[test]
fn online_retail_counts_reconcile_with_the_published_facts() {
    let Some(data) = shared_data() else {
        eprintln!("SKIP: shared/data not found");
        return;
    };
    let path = data.join("online_retail/online_retail.csv.gz");
    let out = import_preset(Preset::OnlineRetail, &[&path], &ImportOptions::default()).unwrap();
    check(&out);
    let f = &out.summary.files[0];
    assert_eq!(f.rows_read, 541_909);
    assert_eq!(f.filtered.get("missing_customer_id"), Some(&135_080));
    assert_eq!(f.quarantined, 0, "{:?}", &out.quarantine[..out.quarantine.len().min(5)]);
    // Every row with a CustomerID is accepted: 397,924 ordinary lines + 8,905 cancellations.
    assert_eq!(f.accepted, 406_829);
    assert_eq!(f.filtered.get("non_positive_quantity"), None);
    assert_eq!(f.filtered.get("negative_unit_price"), None);
    assert_eq!(f.encoding, "utf-8");
    assert!(f.compressed);
    let completed: Vec<_> = out.shop.orders.iter().filter(|l| l.status == OrderStatus::Completed).collect();
    let cancelled = out.shop.orders.iter().filter(|l| l.status == OrderStatus::Cancelled).count();
    assert_eq!(completed.len(), 397_924);
    assert_eq!(cancelled, 8_905);
    assert!(completed.iter().all(|l| l.quantity.get() > 0.0));
    assert!(out.shop.orders.iter().all(|l| l.quantity.get() > 0.0), "cancelled quantities are made positive");
    let buyers: HashSet<_> = completed.iter().map(|l| &l.customer_id).collect();
    assert_eq!(buyers.len(), 4_339);
    // Customer records: every CustomerID (4,372), region = Country, ids without the ".0".
    assert_eq!(out.shop.customers.len(), 4_372);
    let c = out.shop.customers.iter().find(|c| c.customer_id.as_str() == "17850").unwrap();
    assert_eq!(c.region.as_deref(), Some("United Kingdom"));
    let invoices: HashSet<_> = out.shop.orders.iter().map(|l| &l.order_id).collect();
    assert_eq!(invoices.len(), 22_190, "distinct invoices with a CustomerID");
    let first = &out.shop.orders[0];
    assert_eq!(first.order_id.as_str(), "536365");
    assert_eq!(first.product_id.as_ref().unwrap().as_str(), "85123A");
    assert_eq!(first.unit_price.get(), 2.55);
    assert_eq!(first.ordered_at.to_string(), "2010-12-01 08:26:00");
    let p = out.shop.products.iter().find(|p| p.product_id.as_str() == "85123A").unwrap();
    assert_eq!(p.extra[0], ("description".to_string(), "WHITE HANGING HEART T-LIGHT HOLDER".to_string()));
    // The transactions the customer-base models see.
    let (customers, transactions) = out.shop.transactions();
    assert_eq!(customers.len(), 4_339);
    assert_eq!(transactions.len(), 18_536, "distinct completed invoices with a CustomerID");
}

#[test]
fn cdnow_sample_has_2357_customers() {
    let path = repo_root().join("data/cdnow_sample/CDNOW_sample.txt");
    let out = import_preset(Preset::Cdnow, &[&path], &ImportOptions::default()).unwrap();
    check(&out);
    let f = &out.summary.files[0];
    assert_eq!(f.rows_read, 6_919);
    assert_eq!(f.accepted, 6_919);
    assert_eq!(out.shop.orders.len(), 6_919);
    assert_eq!(out.shop.customers.len(), 2_357);
    let ids: HashSet<u32> = out.shop.customers.iter().map(|c| c.customer_id.as_str().parse().unwrap()).collect();
    assert_eq!(ids, (1..=2357).collect(), "sample ids 0001..2357 become 1..2357");
    let first = &out.shop.orders[0];
    assert_eq!(first.customer_id.as_str(), "1");
    assert_eq!(first.ordered_at.to_string(), "1997-01-01 00:00:00");
    assert_eq!(first.quantity.get(), 2.0);
    assert!((first.revenue() - 29.33).abs() < 1e-9);
    let total: f64 = out.shop.orders.iter().map(|l| l.revenue()).sum();
    let (_, tx) = out.shop.transactions();
    assert_eq!(tx.len(), 6_919, "each row is its own order");
    assert!(total > 0.0);
}

#[test]
fn cdnow_master_layout_with_header_and_zero_cd_rows() {
    let dir = TempDir::new("cdnow-master");
    let p = dir.write(
        "CDNOW_master.txt",
        b"customer_id  date number_of_cds  dollar_value\n00001 19970101 1 11.77\n00002 19970112 0 0.00\n00002 19970112 2 x\n00003 199701 1 5\n",
    );
    let out = import_preset(Preset::Cdnow, &[&p], &ImportOptions::default()).unwrap();
    check(&out);
    let f = &out.summary.files[0];
    assert_eq!((f.rows_read, f.accepted, f.quarantined), (4, 2, 2));
    assert_eq!(out.shop.orders[1].quantity.get(), 1.0, "0 CDs → quantity 1");
    assert_eq!(out.quarantine[0].column, "dollars");
    assert_eq!(out.quarantine[1].column, "date");
}

#[test]
fn taobao_user_behavior_slices() {
    let Some(data) = shared_data() else {
        eprintln!("SKIP: shared/data not found");
        return;
    };
    let dir = data.join("taobao_user_behavior");
    let out = import_preset(Preset::Taobao, &[&dir], &ImportOptions::default()).unwrap();
    check(&out);
    assert_eq!(out.summary.files.len(), 2);
    assert_eq!(out.summary.rows_read(), 114_621);
    assert_eq!(out.summary.accepted(), 114_621);
    let slice = out.summary.files.iter().find(|f| f.path.contains("slice")).unwrap();
    assert_eq!(slice.rows_read, 110_300);
    let count = |t: EventType| out.shop.events.iter().filter(|e| e.event_type == t).count();
    assert_eq!(count(EventType::ProductView), 98_361 + 3_926);
    assert_eq!(count(EventType::AddToCart), 6_063 + 190);
    assert_eq!(count(EventType::Wishlist), 3_383 + 128);
    assert_eq!(count(EventType::Purchase), 2_493 + 77);
    assert_eq!(out.shop.orders.len(), 2_493 + 77);
    let o = &out.shop.orders[0];
    assert_eq!(o.unit_price.get(), 0.0);
    assert!(o.extra.contains(&("price_known".to_string(), "false".to_string())));
    // Slice alone: 66,454 users.
    let only = import_preset(Preset::Taobao, &[dir.join("UserBehavior_20171126_0100-0310_slice.csv")], &ImportOptions::default()).unwrap();
    assert_eq!(only.shop.customers.len(), 66_454);
    assert!(out.summary.warnings.iter().any(|w| w.contains("outside")), "{:?}", out.summary.warnings);
}
