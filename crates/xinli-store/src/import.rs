//! `xinli import --db`: a shop read by `xinli-ingest` becomes the same typed messages the HTTP
//! API produces, so imported history and live events build profiles the same way. Message ids
//! are digests of each record, so importing a file twice stores it once.

use std::collections::BTreeMap;

use xinli_core::{OrderStatus, Shop, Subject};

use crate::crypto::digest_hex;
use crate::model::{Consent, Message, MessageKind, OrderInput, OrderLineInput, OrderState, Pii, ReviewInput, Traits};

fn ms(ts: xinli_core::Timestamp) -> i64 {
    ts.unix_seconds() * 1000
}

fn id(kind: &str, parts: &[&str]) -> String {
    format!("import-{kind}-{}", &digest_hex(&parts.join("\u{1f}"))[..32])
}

/// Every customer, order, event and review of the shop as messages, in time order within
/// each kind (customers first, so traits exist before activity).
pub fn messages_from_shop(shop: &Shop) -> Vec<Message> {
    let mut out = Vec::with_capacity(shop.customers.len() + shop.orders.len() + shop.events.len() + shop.reviews.len());
    for c in &shop.customers {
        let user = c.customer_id.as_str();
        let mut other = serde_json::Map::new();
        for (k, v) in [("city", &c.city), ("region", &c.region), ("acquisition_channel", &c.acquisition_channel)] {
            if let Some(v) = v {
                other.insert(k.to_string(), v.clone().into());
            }
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
                ..Message::new(&id("event", &key), MessageKind::Import, user, anon, ms(e.ts))
            }
        })
        .collect();
    events.sort_by_key(|m| m.ts_ms);
    out.extend(events);
    for r in &shop.reviews {
        let Some(customer) = &r.customer_id else { continue };
        out.push(Message {
            name: Some("Product Reviewed".into()),
            review: Some(ReviewInput {
                review_id: r.review_id.as_str().to_string(),
                product_id: r.product_id.as_ref().map(|p| p.as_str().to_string()),
                rating: r.rating.map(i64::from),
                text: r.text.clone(),
                language: r.language.map(|l| format!("{l:?}").to_lowercase()),
            }),
            ..Message::new(&id("review", &[r.review_id.as_str()]), MessageKind::Import, Some(customer.as_str()), None, ms(r.ts))
        });
    }
    out
}

/// Reviews without a customer cannot join a profile; the importer reports their count.
pub fn reviews_without_customer(shop: &Shop) -> usize {
    shop.reviews.iter().filter(|r| r.customer_id.is_none()).count()
}
