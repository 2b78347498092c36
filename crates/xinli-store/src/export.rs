//! The store read back as a canonical shop, in parts, for the batch analysis
//! (`xinli analyze --db`): customers, products, orders, events, reviews and campaign touches as
//! `xinli-core` records, and survey answers, each customer named by its store label (user id,
//! else anonymous id; a review without a customer stays without one). PII stays sealed in the store: the analysis does not need it, so it
//! never reaches the exported files.
//!
//! One read transaction (a snapshot) covers the whole export, so live ingestion may go on.
//! A stored record the canonical format cannot hold (an id it rejects, an unknown status or
//! event type, a customer without any id) is left out and counted in [`Exported::skipped`].

use std::collections::HashMap;

use xinli_core::{
    CampaignId, CampaignTouch, Category, Customer, CustomerId, Event, EventType, Gender, Money, OrderId, OrderLine, OrderStatus, Product,
    ProductId, Quantity, Review, ReviewId, Shop, Subject, Timestamp,
};

use crate::import::CUSTOMER_TRAITS;
use crate::model::extra_from_json;
use crate::sql::{Backend, Row, Val};
use crate::{Store, StoreError};

/// What an export found, and how to map the analysis' customer ids back to store customers.
#[derive(Debug, Default)]
pub struct Exported {
    /// Label (the `customer_id` the exported files use) → `customers.cid`.
    pub customers: HashMap<String, i64>,
    pub products: u64,
    pub orders: u64,
    pub events: u64,
    pub reviews: u64,
    pub surveys: u64,
    pub campaigns: u64,
    pub skipped: Skipped,
}

/// Stored records left out of an export because they cannot be canonical records, by kind
/// (an order line, event, review, survey answer or campaign touch of a left-out customer
/// counts too).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub customers: u64,
    pub products: u64,
    pub orders: u64,
    pub events: u64,
    pub reviews: u64,
    pub surveys: u64,
    pub campaigns: u64,
}

impl Skipped {
    pub fn total(&self) -> u64 {
        self.customers + self.products + self.orders + self.events + self.reviews + self.surveys + self.campaigns
    }
}

/// A survey answer as exported: the canonical `surveys` file's columns (the file itself is
/// `xinli-text`'s, not a `Shop` kind).
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyAnswer {
    pub customer_id: CustomerId,
    pub ts: Timestamp,
    pub score: i64,
    /// 10 or 5.
    pub scale: i64,
    pub comment: Option<String>,
    pub product_id: Option<ProductId>,
}

/// One part of an export: records of one kind.
#[derive(Debug)]
pub enum Part {
    Shop(Shop),
    Surveys(Vec<SurveyAnswer>),
}

fn seconds(ms: i64) -> Timestamp {
    Timestamp::from_unix_seconds(ms.div_euclid(1000))
}

fn opt_seconds(r: &Row, i: usize) -> Option<Timestamp> {
    r.opt_int(i).map(seconds)
}

fn money(r: &Row, i: usize) -> Option<Money> {
    r.opt_real(i).and_then(|x| Money::new(x).ok())
}

/// A customer's stored traits as the canonical customer's columns; traits the contract has no
/// column for come back as its extra columns.
fn customer_from_traits(customer_id: CustomerId, traits: &serde_json::Map<String, serde_json::Value>) -> Customer {
    let text = |k: &str| traits.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let time = |k: &str| text(k).and_then(|t| Timestamp::parse(&t).ok());
    let extra = traits
        .iter()
        .filter(|(k, _)| !CUSTOMER_TRAITS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    Customer {
        customer_id,
        signup_at: time("signup_at"),
        gender: text("gender").and_then(|g| Gender::parse(&g)),
        birth_date: time("birth_date"),
        city: text("city"),
        region: text("region"),
        acquisition_channel: text("acquisition_channel"),
        consent_email: None,
        consent_sms: None,
        consent_push: None,
        email: None,
        phone: None,
        name: None,
        extra,
    }
}

fn product(r: &Row, i: usize) -> Option<ProductId> {
    r.opt_text(i).and_then(|p| ProductId::parse(&p).ok())
}

fn category(r: &Row, i: usize) -> Option<Category> {
    r.opt_text(i).and_then(|c| Category::parse(&c).ok())
}

/// The store's id for a label: a user id when the customer has one.
struct Label {
    text: String,
    known: bool,
}

impl Store {
    /// Streams the store as parts of at most `part` records of one kind each into `sink` (which
    /// writes them, e.g. with `xinli-ingest`'s canonical writer). Returns the label → cid map.
    pub fn export_shop(&mut self, part: usize, mut sink: impl FnMut(Part) -> Result<(), String>) -> Result<Exported, StoreError> {
        let begin = match self.backend() {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        self.conn.batch(begin)?;
        let result = self.export_in_snapshot(part.max(1) as i64, &mut sink);
        // Read only: ending the snapshot either way loses nothing.
        let end = self.conn.batch("ROLLBACK");
        let exported = result?;
        end?;
        Ok(exported)
    }

    /// Runs `sql` page by page: its parameters are `after` (the key the page starts after)
    /// then the page size; `key` gives the next page's `after` from a page's last row.
    fn each_page(
        &mut self,
        sql: &str,
        mut after: Vec<Val>,
        part: i64,
        key: fn(&Row) -> Vec<Val>,
        mut page: impl FnMut(&[Row]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        loop {
            let mut params = after.clone();
            params.push(part.into());
            let rows = self.conn.query(sql, &params)?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = key(last);
            page(&rows)?;
        }
    }

    fn export_in_snapshot(&mut self, part: i64, sink: &mut dyn FnMut(Part) -> Result<(), String>) -> Result<Exported, StoreError> {
        let mut send = |part: Part| sink(part).map_err(|e| StoreError::Config(format!("writing the exported shop: {e}")));
        let mut labels: HashMap<i64, Label> = HashMap::new();
        let mut exported = Exported::default();
        self.each_page(
            "SELECT c.cid, c.user_id, (SELECT MIN(value) FROM identities i WHERE i.cid = c.cid AND i.kind = 'anon'), \
             c.consent_email, c.consent_sms, c.consent_push, c.traits FROM customers c WHERE c.cid > $1 ORDER BY c.cid LIMIT $2",
            vec![Val::Int(i64::MIN)],
            part,
            |last| vec![last.int(0).into()],
            |rows| {
                let mut customers = Vec::new();
                for r in rows {
                    let (text, known) = match (r.opt_text(1), r.opt_text(2)) {
                        (Some(user), _) => (user, true),
                        (None, Some(anon)) => (anon, false),
                        (None, None) => {
                            exported.skipped.customers += 1;
                            continue;
                        }
                    };
                    let Ok(customer_id) = CustomerId::parse(&text) else {
                        exported.skipped.customers += 1;
                        continue;
                    };
                    exported.customers.insert(text.clone(), r.int(0));
                    if known {
                        let traits = r.opt_text(6).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
                        customers.push(Customer {
                            consent_email: r.opt_bool(3),
                            consent_sms: r.opt_bool(4),
                            consent_push: r.opt_bool(5),
                            ..customer_from_traits(customer_id, &traits)
                        });
                    }
                    labels.insert(r.int(0), Label { text, known });
                }
                if customers.is_empty() {
                    return Ok(());
                }
                send(Part::Shop(Shop { customers, ..Shop::default() }))
            },
        )?;

        self.each_page(
            "SELECT product_id, category, list_price, launched_at, brand, avg_rating, extra FROM products WHERE product_id > $1 \
             ORDER BY product_id LIMIT $2",
            vec![Val::Text(String::new())],
            part,
            |last| vec![last.text(0).into()],
            |rows| {
                let mut products = Vec::new();
                for r in rows {
                    let Ok(product_id) = ProductId::parse(&r.text(0)) else {
                        exported.skipped.products += 1;
                        continue;
                    };
                    products.push(Product {
                        product_id,
                        category: category(r, 1),
                        list_price: money(r, 2),
                        launched_at: opt_seconds(r, 3),
                        brand: r.opt_text(4),
                        avg_rating: r.opt_real(5),
                        extra: extra_from_json(r.opt_text(6).as_deref()),
                    });
                }
                exported.products += products.len() as u64;
                if products.is_empty() {
                    return Ok(());
                }
                send(Part::Shop(Shop { products, ..Shop::default() }))
            },
        )?;

        self.each_page(
            "SELECT order_id, line, cid, ordered_at, product_id, category, quantity, unit_price, coupon_code, status, \
             list_price, payment_method, channel, promised_delivery_at, delivered_at, extra FROM orders \
             WHERE order_id > $1 OR (order_id = $1 AND line > $2) ORDER BY order_id, line LIMIT $3",
            vec![Val::Text(String::new()), Val::Int(-1)],
            part,
            |last| vec![last.text(0).into(), last.int(1).into()],
            |rows| {
                let mut orders = Vec::new();
                for r in rows {
                    let Some(label) = labels.get(&r.int(2)) else {
                        exported.skipped.orders += 1;
                        continue;
                    };
                    let (Ok(order_id), Ok(customer_id), Ok(quantity), Ok(unit_price), Some(status)) = (
                        OrderId::parse(&r.text(0)),
                        CustomerId::parse(&label.text),
                        Quantity::new(r.opt_real(6).unwrap_or(0.0)),
                        Money::new(r.opt_real(7).unwrap_or(0.0)),
                        OrderStatus::parse(&r.text(9)),
                    ) else {
                        exported.skipped.orders += 1;
                        continue;
                    };
                    orders.push(OrderLine {
                        order_id,
                        customer_id,
                        ordered_at: seconds(r.int(3)),
                        product_id: product(r, 4),
                        category: category(r, 5),
                        quantity,
                        unit_price,
                        list_price: money(r, 10),
                        coupon_code: r.opt_text(8),
                        payment_method: r.opt_text(11),
                        channel: r.opt_text(12),
                        status,
                        promised_delivery_at: opt_seconds(r, 13),
                        delivered_at: opt_seconds(r, 14),
                        extra: extra_from_json(r.opt_text(15).as_deref()),
                    });
                }
                exported.orders += orders.len() as u64;
                if orders.is_empty() {
                    return Ok(());
                }
                send(Part::Shop(Shop { orders, ..Shop::default() }))
            },
        )?;

        // Imported orders were stored with a purchase event of their own; the imported events
        // carry the shop's real purchase events, so those copies are left out.
        self.each_page(
            "SELECT id, cid, event_type, ts, session_id, product_id, category, query, value, properties, extra FROM events \
             WHERE id > $1 AND event_type IS NOT NULL AND message_id NOT LIKE 'import-order-%' ORDER BY id LIMIT $2",
            vec![Val::Int(0)],
            part,
            |last| vec![last.int(0).into()],
            |rows| {
                let mut events = Vec::new();
                for r in rows {
                    let (Some(label), Some(event_type)) = (labels.get(&r.int(1)), EventType::parse(&r.text(2))) else {
                        exported.skipped.events += 1;
                        continue;
                    };
                    let Ok(id) = CustomerId::parse(&label.text) else {
                        exported.skipped.events += 1;
                        continue;
                    };
                    let subject = if label.known { Subject::Customer(id) } else { Subject::Anonymous(id) };
                    events.push(Event {
                        ts: seconds(r.int(3)),
                        subject,
                        session_id: r.opt_text(4),
                        event_type,
                        product_id: product(r, 5),
                        category: category(r, 6),
                        query: r.opt_text(7),
                        value: r.opt_real(8),
                        properties: r.opt_text(9),
                        extra: extra_from_json(r.opt_text(10).as_deref()),
                    });
                }
                exported.events += events.len() as u64;
                if events.is_empty() {
                    return Ok(());
                }
                send(Part::Shop(Shop { events, ..Shop::default() }))
            },
        )?;

        self.each_page(
            "SELECT review_id, cid, product_id, ts, rating, text, language, extra FROM reviews WHERE review_id > $1 ORDER BY review_id LIMIT $2",
            vec![Val::Text(String::new())],
            part,
            |last| vec![last.text(0).into()],
            |rows| {
                let mut reviews = Vec::new();
                for r in rows {
                    // No cid: an anonymous review (a shop file's), exported as one.
                    let customer_id = match r.opt_int(1) {
                        None => Some(None),
                        Some(cid) => labels.get(&cid).map(|label| CustomerId::parse(&label.text).ok()),
                    };
                    let (Some(customer_id), Ok(review_id)) = (customer_id, ReviewId::parse(&r.text(0))) else {
                        exported.skipped.reviews += 1;
                        continue;
                    };
                    reviews.push(Review {
                        review_id,
                        customer_id,
                        product_id: product(r, 2),
                        ts: seconds(r.int(3)),
                        rating: r.opt_int(4).and_then(|x| u8::try_from(x).ok()),
                        text: r.text(5),
                        language: r.opt_text(6).and_then(|l| xinli_core::Language::parse(&l)),
                        extra: extra_from_json(r.opt_text(7).as_deref()),
                    });
                }
                exported.reviews += reviews.len() as u64;
                if reviews.is_empty() {
                    return Ok(());
                }
                send(Part::Shop(Shop { reviews, ..Shop::default() }))
            },
        )?;

        self.each_page(
            "SELECT message_id, campaign_id, cid, ts, channel, variant, opened, clicked, converted, revenue, extra FROM campaign_touches \
             WHERE message_id > $1 ORDER BY message_id LIMIT $2",
            vec![Val::Text(String::new())],
            part,
            |last| vec![last.text(0).into()],
            |rows| {
                let mut campaigns = Vec::new();
                for r in rows {
                    let customer_id = labels.get(&r.int(2)).and_then(|l| CustomerId::parse(&l.text).ok());
                    let (Some(customer_id), Ok(campaign_id)) = (customer_id, CampaignId::parse(&r.text(1))) else {
                        exported.skipped.campaigns += 1;
                        continue;
                    };
                    campaigns.push(CampaignTouch {
                        campaign_id,
                        customer_id,
                        ts: seconds(r.int(3)),
                        channel: r.opt_text(4),
                        variant: r.opt_text(5),
                        opened: r.opt_bool(6),
                        clicked: r.opt_bool(7),
                        converted: r.opt_bool(8),
                        revenue: money(r, 9),
                        extra: extra_from_json(r.opt_text(10).as_deref()),
                    });
                }
                exported.campaigns += campaigns.len() as u64;
                if campaigns.is_empty() {
                    return Ok(());
                }
                send(Part::Shop(Shop { campaigns, ..Shop::default() }))
            },
        )?;

        self.each_page(
            "SELECT message_id, cid, ts, score, scale, comment, product_id FROM surveys WHERE message_id > $1 ORDER BY message_id LIMIT $2",
            vec![Val::Text(String::new())],
            part,
            |last| vec![last.text(0).into()],
            |rows| {
                let mut answers = Vec::new();
                for r in rows {
                    let Some(customer_id) = labels.get(&r.int(1)).and_then(|l| CustomerId::parse(&l.text).ok()) else {
                        exported.skipped.surveys += 1;
                        continue;
                    };
                    answers.push(SurveyAnswer {
                        customer_id,
                        ts: seconds(r.int(2)),
                        score: r.int(3),
                        scale: r.int(4),
                        comment: r.opt_text(5),
                        product_id: product(r, 6),
                    });
                }
                exported.surveys += answers.len() as u64;
                if answers.is_empty() {
                    return Ok(());
                }
                send(Part::Surveys(answers))
            },
        )?;
        Ok(exported)
    }
}
