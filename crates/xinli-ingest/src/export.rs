//! Writes a [`Shop`] back out in the canonical format (data contract v1): what `xinli import`
//! produces, and what every importer reads again unchanged.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use xinli_core::{Money, Shop, Subject, Timestamp};

type Row = Vec<String>;

fn ts(t: Timestamp) -> String {
    t.to_string()
}
fn opt_ts(t: Option<Timestamp>) -> String {
    t.map(ts).unwrap_or_default()
}
fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}
fn money(m: Option<Money>) -> String {
    m.map(|m| m.get().to_string()).unwrap_or_default()
}
fn lower<T: serde::Serialize>(v: &Option<T>) -> String {
    v.as_ref()
        .and_then(|v| serde_json::to_value(v).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Writes one canonical file: contract columns, then every extra column any row carried.
fn write_kind<'a, R: 'a>(
    dir: &Path,
    name: &str,
    columns: &[&str],
    records: &'a [R],
    row: impl Fn(&R) -> Row,
    extra: impl Fn(&'a R) -> &'a [(String, String)],
) -> std::io::Result<()> {
    let extra_columns: BTreeSet<&str> =
        records.iter().flat_map(|r| extra(r).iter().map(|(k, _)| k.as_str())).filter(|k| !columns.contains(k)).collect();
    let mut w = csv::Writer::from_writer(BufWriter::new(File::create(dir.join(name))?));
    w.write_record(columns.iter().copied().chain(extra_columns.iter().copied()))?;
    for r in records {
        let mut fields = row(r);
        let carried = extra(r);
        fields.extend(extra_columns.iter().map(|c| {
            carried.iter().find(|(k, _)| k == c).map(|(_, v)| v.clone()).unwrap_or_default()
        }));
        w.write_record(&fields)?;
    }
    w.flush()
}

/// Writes every non-empty kind of `shop` into `dir` as `<kind>.csv`; returns the file names.
pub fn write_canonical(shop: &Shop, dir: &Path) -> std::io::Result<Vec<String>> {
    write_canonical_part(shop, dir, "")
}

/// Like [`write_canonical`] with `suffix` after each kind (`orders-0003.csv` for `-0003`): one
/// part of a shop written in parts, which [`crate::import_dir`] reads back as one shop.
pub fn write_canonical_part(shop: &Shop, dir: &Path, suffix: &str) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut done = |name: &str| written.push(name.to_string());
    if !shop.customers.is_empty() {
        write_kind(dir, &format!("customers{suffix}.csv"), &[
            "customer_id", "signup_at", "gender", "birth_date", "city", "region", "acquisition_channel",
            "consent_email", "consent_sms", "consent_push", "email", "phone", "name",
        ], &shop.customers, |c| vec![
            c.customer_id.to_string(), opt_ts(c.signup_at), lower(&c.gender),
            c.birth_date.map(|d| d.date().to_string()).unwrap_or_default(), opt(&c.city), opt(&c.region),
            opt(&c.acquisition_channel), opt(&c.consent_email), opt(&c.consent_sms), opt(&c.consent_push),
            opt(&c.email), opt(&c.phone), opt(&c.name),
        ], |c| &c.extra)?;
        done(&format!("customers{suffix}.csv"));
    }
    if !shop.products.is_empty() {
        write_kind(dir, &format!("products{suffix}.csv"), &["product_id", "category", "list_price", "launched_at", "brand", "avg_rating"],
            &shop.products, |p| vec![
                p.product_id.to_string(), opt(&p.category), money(p.list_price), opt_ts(p.launched_at), opt(&p.brand), opt(&p.avg_rating),
            ], |p| &p.extra)?;
        done(&format!("products{suffix}.csv"));
    }
    if !shop.orders.is_empty() {
        write_kind(dir, &format!("orders{suffix}.csv"), &[
            "order_id", "customer_id", "ordered_at", "product_id", "category", "quantity", "unit_price", "list_price",
            "coupon_code", "payment_method", "channel", "status", "promised_delivery_at", "delivered_at",
        ], &shop.orders, |o| vec![
            o.order_id.to_string(), o.customer_id.to_string(), ts(o.ordered_at), opt(&o.product_id), opt(&o.category),
            o.quantity.get().to_string(), o.unit_price.get().to_string(), money(o.list_price), opt(&o.coupon_code),
            opt(&o.payment_method), opt(&o.channel), lower(&Some(o.status)), opt_ts(o.promised_delivery_at), opt_ts(o.delivered_at),
        ], |o| &o.extra)?;
        done(&format!("orders{suffix}.csv"));
    }
    if !shop.events.is_empty() {
        write_kind(dir, &format!("events{suffix}.csv"), &[
            "ts", "customer_id", "anonymous_id", "session_id", "type", "product_id", "category", "query", "value", "properties",
        ], &shop.events, |e| {
            let (customer, anonymous) = match &e.subject {
                Subject::Customer(id) => (id.to_string(), String::new()),
                Subject::Anonymous(id) => (String::new(), id.to_string()),
            };
            vec![
                ts(e.ts), customer, anonymous, opt(&e.session_id), e.event_type.name().to_string(), opt(&e.product_id),
                opt(&e.category), opt(&e.query), opt(&e.value), opt(&e.properties),
            ]
        }, |e| &e.extra)?;
        done(&format!("events{suffix}.csv"));
    }
    if !shop.reviews.is_empty() {
        write_kind(dir, &format!("reviews{suffix}.csv"), &["review_id", "customer_id", "product_id", "ts", "rating", "text", "language"],
            &shop.reviews, |r| vec![
                r.review_id.to_string(), opt(&r.customer_id), opt(&r.product_id), ts(r.ts), opt(&r.rating), r.text.clone(), lower(&r.language),
            ], |r| &r.extra)?;
        done(&format!("reviews{suffix}.csv"));
    }
    if !shop.campaigns.is_empty() {
        write_kind(dir, &format!("campaigns{suffix}.csv"), &[
            "campaign_id", "customer_id", "ts", "channel", "variant", "opened", "clicked", "converted", "revenue",
        ], &shop.campaigns, |c| vec![
            c.campaign_id.to_string(), c.customer_id.to_string(), ts(c.ts), opt(&c.channel), opt(&c.variant),
            opt(&c.opened), opt(&c.clicked), opt(&c.converted), money(c.revenue),
        ], |c| &c.extra)?;
        done(&format!("campaigns{suffix}.csv"));
    }
    Ok(written)
}
