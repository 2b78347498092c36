//! `xinli import --db`: a shop read by `xinli-ingest` becomes the same typed messages the HTTP
//! API produces, so imported history and live events build profiles the same way. Message ids
//! are digests of each record, so importing a file twice stores it once. Every canonical kind
//! and column is kept (what the contract has beyond the API's messages rides on them: line
//! details, extra columns, surveys, campaign touches); products and anonymous reviews, which
//! belong to no customer, go straight into their tables ([`Store::put_products`],
//! [`Store::put_anonymous_reviews`]).

use std::collections::BTreeMap;

use xinli_core::{OrderStatus, Product, Review, Shop, Subject};

use crate::crypto::digest_hex;
use crate::model::{
    extra_json, CampaignInput, Consent, LineDetails, Message, MessageKind, OrderInput, OrderLineInput, OrderState, Pii, ReviewInput,
    SurveyInput, Traits,
};
use crate::sql::Val;
use crate::{now_ms, Store, StoreError};

fn ms(ts: xinli_core::Timestamp) -> i64 {
    ts.unix_seconds() * 1000
}

fn id(kind: &str, parts: &[&str]) -> String {
    format!("import-{kind}-{}", &digest_hex(&parts.join("\u{1f}"))[..32])
}

/// The customer traits the import keeps beside PII and consent (contract names; dates as
/// contract timestamps), read back by the export.
pub const CUSTOMER_TRAITS: [&str; 6] = ["signup_at", "gender", "birth_date", "city", "region", "acquisition_channel"];

/// Every customer, order, event, review and campaign touch of the shop as messages, in time
/// order within each kind (customers first, so traits exist before activity).
pub fn messages_from_shop(shop: &Shop) -> Vec<Message> {
    let mut out =
        Vec::with_capacity(shop.customers.len() + shop.orders.len() + shop.events.len() + shop.reviews.len() + shop.campaigns.len());
    for c in &shop.customers {
        let user = c.customer_id.as_str();
        let mut other = serde_json::Map::new();
        let gender = c.gender.and_then(|g| serde_json::to_value(g).ok()).and_then(|g| g.as_str().map(str::to_string));
        let values = [c.signup_at.map(|t| t.to_string()), gender, c.birth_date.map(|t| t.to_string()), c.city.clone(), c.region.clone(), c.acquisition_channel.clone()];
        for (k, v) in CUSTOMER_TRAITS.iter().zip(values) {
            if let Some(v) = v {
                other.insert(k.to_string(), v.into());
            }
        }
        // A customer's own extra columns, under their header names where no trait has that name.
        for (k, v) in &c.extra {
            other.entry(k.clone()).or_insert_with(|| v.clone().into());
        }
        let traits = Traits {
            pii: Pii { email: c.email.clone(), phone: c.phone.clone(), name: c.name.clone(), address: None },
            consent: Consent { email: c.consent_email, sms: c.consent_sms, push: c.consent_push },
            other: (!other.is_empty()).then_some(other),
        };
        let ts = c.signup_at.map_or(0, ms);
        out.push(Message { traits: Some(traits), ..Message::new(&id("customer", &[user]), MessageKind::Import, Some(user), None, ts) });
    }
    let mut orders: BTreeMap<&str, Vec<&xinli_core::OrderLine>> = BTreeMap::new();
    for line in &shop.orders {
        orders.entry(line.order_id.as_str()).or_default().push(line);
    }
    let mut order_messages: Vec<Message> = orders
        .into_iter()
        .map(|(order_id, lines)| {
            let first = lines[0];
            let state = match first.status {
                OrderStatus::Completed => OrderState::Completed,
                OrderStatus::Cancelled => OrderState::Cancelled,
                OrderStatus::Returned => OrderState::Returned,
            };
            let order = OrderInput {
                order_id: order_id.to_string(),
                state,
                lines: lines
                    .iter()
                    .map(|l| OrderLineInput {
                        product_id: l.product_id.as_ref().map(|p| p.as_str().to_string()),
                        category: l.category.as_ref().map(|c| c.as_str().to_string()),
                        quantity: l.quantity.get().abs(),
                        unit_price: l.unit_price.get(),
                        coupon_code: l.coupon_code.clone(),
                        details: LineDetails {
                            list_price: l.list_price.map(|m| m.get()),
                            payment_method: l.payment_method.clone(),
                            channel: l.channel.clone(),
                            promised_delivery_ms: l.promised_delivery_at.map(ms),
                            delivered_ms: l.delivered_at.map(ms),
                            extra: extra_json(&l.extra),
                        },
                    })
                    .collect(),
            };
            let event_type = (state == OrderState::Completed).then_some(xinli_core::EventType::Purchase);
            Message {
                name: Some("Order Completed".into()),
                event_type,
                order: Some(order),
                ..Message::new(&id("order", &[order_id]), MessageKind::Import, Some(first.customer_id.as_str()), None, ms(first.ordered_at))
            }
        })
        .collect();
    order_messages.sort_by_key(|m| m.ts_ms);
    out.extend(order_messages);
    let mut events: Vec<Message> = shop
        .events
        .iter()
        .map(|e| {
            let (user, anon) = match &e.subject {
                Subject::Customer(c) => (Some(c.as_str()), None),
                Subject::Anonymous(a) => (None, Some(a.as_str())),
            };
            let ts = ms(e.ts).to_string();
            let key = [
                user.or(anon).unwrap_or(""),
                &ts,
                e.event_type.name(),
                e.session_id.as_deref().unwrap_or(""),
                e.product_id.as_ref().map_or("", |p| p.as_str()),
                e.query.as_deref().unwrap_or(""),
                e.properties.as_deref().unwrap_or(""),
            ];
            Message {
                name: Some(e.event_type.name().to_string()),
                event_type: Some(e.event_type),
                session_id: e.session_id.clone(),
                product_id: e.product_id.as_ref().map(|p| p.as_str().to_string()),
                category: e.category.as_ref().map(|c| c.as_str().to_string()),
                query: e.query.clone(),
                value: e.value,
                properties: e.properties.clone(),
                extra: extra_json(&e.extra),
                ..Message::new(&id("event", &key), MessageKind::Import, user, anon, ms(e.ts))
            }
        })
        .collect();
    events.sort_by_key(|m| m.ts_ms);
    out.extend(events);
    // Reviews without a customer belong to no message: [`Store::put_anonymous_reviews`].
    for r in &shop.reviews {
        let Some(customer) = &r.customer_id else { continue };
        out.push(Message {
            name: Some("Product Reviewed".into()),
            review: Some(review_input(r)),
            ..Message::new(&id("review", &[r.review_id.as_str()]), MessageKind::Import, Some(customer.as_str()), None, ms(r.ts))
        });
    }
    for t in &shop.campaigns {
        let (campaign, customer, ts) = (t.campaign_id.as_str(), t.customer_id.as_str(), ms(t.ts));
        out.push(Message {
            name: Some("Campaign Touch".into()),
            campaign: Some(CampaignInput {
                campaign_id: campaign.to_string(),
                channel: t.channel.clone(),
                variant: t.variant.clone(),
                opened: t.opened,
                clicked: t.clicked,
                converted: t.converted,
                revenue: t.revenue.map(|m| m.get()),
                extra: extra_json(&t.extra),
            }),
            ..Message::new(&id("campaign", &[campaign, customer, &ts.to_string()]), MessageKind::Import, Some(customer), None, ts)
        });
    }
    out
}

fn review_input(r: &Review) -> ReviewInput {
    ReviewInput {
        review_id: r.review_id.as_str().to_string(),
        product_id: r.product_id.as_ref().map(|p| p.as_str().to_string()),
        rating: r.rating.map(i64::from),
        text: r.text.clone(),
        language: r.language.map(|l| format!("{l:?}").to_lowercase()),
        extra: extra_json(&r.extra),
    }
}

/// One survey answer as a message of its customer (user id), at `ts_ms`.
pub fn survey_message(customer: &str, ts_ms: i64, answer: SurveyInput) -> Message {
    let (score, scale) = (answer.score.to_string(), answer.scale.to_string());
    let key = [customer, &ts_ms.to_string(), &score, &scale, answer.product_id.as_deref().unwrap_or(""), answer.comment.as_deref().unwrap_or("")];
    let message_id = id("survey", &key);
    Message { name: Some("Survey Answered".into()), survey: Some(answer), ..Message::new(&message_id, MessageKind::Import, Some(customer), None, ts_ms) }
}

/// Columns of a `products` row.
const PRODUCT_COLUMNS: usize = 8;

/// Columns of a `reviews` row.
const REVIEW_COLUMNS: usize = 8;

impl Store {
    /// The shop's catalogue into `products` in one transaction: a product already stored is
    /// replaced by the newer record. Returns the products written.
    pub fn put_products(&mut self, products: &[Product]) -> Result<u64, StoreError> {
        // One row per product id (the last record wins, as a later file would), so no
        // statement names a product twice.
        let latest: BTreeMap<&str, &Product> = products.iter().map(|p| (p.product_id.as_str(), p)).collect();
        let now = now_ms();
        let rows: Vec<Val> = latest
            .values()
            .flat_map(|p| {
                [
                    p.product_id.as_str().into(),
                    p.category.as_ref().map(|c| c.as_str()).into(),
                    p.list_price.map(|m| m.get()).into(),
                    p.launched_at.map(ms).into(),
                    p.brand.clone().into(),
                    p.avg_rating.into(),
                    extra_json(&p.extra).into(),
                    now.into(),
                ]
            })
            .collect();
        self.transaction(|s| {
            s.conn.exec_rows(
                "INSERT INTO products (product_id, category, list_price, launched_at, brand, avg_rating, extra, updated_at) VALUES {rows} \
                 ON CONFLICT (product_id) DO UPDATE SET category = excluded.category, list_price = excluded.list_price, \
                 launched_at = excluded.launched_at, brand = excluded.brand, avg_rating = excluded.avg_rating, extra = excluded.extra, \
                 updated_at = excluded.updated_at",
                PRODUCT_COLUMNS,
                &rows,
            )?;
            Ok(latest.len() as u64)
        })
    }

    /// The shop's reviews without a customer (anonymous reviews: the voice of the customer
    /// reads them, no profile does) into `reviews` with no `cid`, in one transaction; a review
    /// id already stored is kept as it is, so importing twice stores once. Returns the reviews
    /// added.
    pub fn put_anonymous_reviews(&mut self, reviews: &[Review]) -> Result<u64, StoreError> {
        let rows: Vec<Val> = reviews
            .iter()
            .filter(|r| r.customer_id.is_none())
            .flat_map(|r| {
                let input = review_input(r);
                [
                    input.review_id.into(),
                    Val::Null,
                    input.product_id.into(),
                    ms(r.ts).into(),
                    input.rating.into(),
                    input.text.into(),
                    input.language.into(),
                    input.extra.into(),
                ]
            })
            .collect();
        self.transaction(|s| {
            s.conn.exec_rows(
                "INSERT INTO reviews (review_id, cid, product_id, ts, rating, text, language, extra) VALUES {rows} ON CONFLICT (review_id) DO NOTHING",
                REVIEW_COLUMNS,
                &rows,
            )
        })
    }
}
