//! The Segment HTTP Tracking API at the edge: JSON messages (track, identify, page, screen,
//! alias, group, and batches of them) parsed into typed [`Message`]s, with Segment's limits and
//! its e-commerce spec (v2) mapped onto xinli's canonical event types and orders.
//!
//! A message is refused whole (400, naming the batch index and the field) rather than partly
//! stored. PII (email, phone, name, address) is moved out of `traits`, `properties` and
//! `context.traits` into the sealed PII of the customer, and `context.ip` is dropped, so no
//! clear PII reaches an events row.

use serde_json::{Map, Value};
use xinli_core::{CustomerId, EventType};
use xinli_store::{Consent, LineDetails, Message, MessageKind, OrderInput, OrderLineInput, OrderState, OrderUpdate, Pii, ReviewInput, Traits};

/// Segment's limit on one message.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;
/// Segment's limit on one batch request.
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// Messages per batch (Segment's SDKs send at most 100; a bulk loader more).
pub const MAX_BATCH_MESSAGES: usize = 2500;

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// Position in the batch (0 for a single message).
    pub index: usize,
    pub field: String,
    pub en: String,
    pub zh: String,
    /// 413 for size limits, else 400.
    pub too_large: bool,
}

impl Rejection {
    fn new(field: &str, en: impl Into<String>, zh: impl Into<String>) -> Rejection {
        Rejection { index: 0, field: field.to_string(), en: en.into(), zh: zh.into(), too_large: false }
    }
}

/// The Segment e-commerce spec event names (and a few of the email and sign-in specs) that
/// have a canonical meaning. Canonical snake_case names (`add_to_cart`) are accepted as well.
pub fn canonical_type(event: &str) -> Option<EventType> {
    use EventType::*;
    Some(match event {
        "Products Searched" => Search,
        "Product List Viewed" | "Product List Filtered" | "Cart Viewed" => PageView,
        "Product Clicked" | "Product Viewed" => ProductView,
        "Product Added" | "Wishlist Product Added to Cart" => AddToCart,
        "Product Removed" => RemoveFromCart,
        "Products Compared" => Compare,
        "Checkout Started" => CheckoutStart,
        "Payment Info Entered" => PaymentStart,
        "Order Completed" => Purchase,
        "Order Refunded" => ReturnRequest,
        "Coupon Entered" | "Coupon Applied" => CouponClaim,
        "Product Added to Wishlist" => Wishlist,
        "Product Shared" | "Cart Shared" => Share,
        "Product Reviews Viewed" => ReviewRead,
        "Promotion Viewed" | "Email Opened" => CampaignOpen,
        "Promotion Clicked" | "Email Link Clicked" => CampaignClick,
        "Signed In" => Login,
        "Referral Signed Up" => ReferralSignup,
        "Support Ticket Created" => SupportContact,
        "Complaint Filed" => Complaint,
        other => return EventType::parse(other),
    })
}

/// Removes the PII keys (email, phone, name, firstName/first_name, lastName/last_name, address)
/// from an object, returning what they held.
fn take_pii(obj: &mut Map<String, Value>) -> Pii {
    let mut text = |key: &str| -> Option<String> {
        match obj.remove(key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Null => None,
            Value::String(_) => None,
            other => Some(other.to_string()),
        }
    };
    let email = text("email");
    let phone = text("phone");
    let full = text("name");
    let first = text("firstName").or_else(|| text("first_name"));
    let last = text("lastName").or_else(|| text("last_name"));
    let address = text("address");
    let name = full.or_else(|| match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (f, l) => f.or(l),
    });
    Pii { email, phone, name, address }
}

fn object(v: Option<Value>, field: &str) -> Result<Option<Map<String, Value>>, Rejection> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(Rejection::new(field, format!("{field} must be a JSON object"), format!("{field} 必须是 JSON 对象"))),
    }
}

/// An identifier field: a string (or a number, as some SDKs send user ids) that is a valid id.
fn identifier(v: Option<&Value>, field: &str) -> Result<Option<String>, Rejection> {
    let raw = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(Rejection::new(field, format!("{field} must be a string"), format!("{field} 必须是字符串"))),
    };
    CustomerId::parse(&raw)
        .map(|id| Some(id.as_str().to_string()))
        .map_err(|e| Rejection::new(field, format!("{field}: {e}"), format!("{field} 不是有效的标识：{e}")))
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: Option<&Value>, field: &str) -> Result<Option<f64>, Rejection> {
    let x = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match x {
        Some(x) if x.is_finite() => Ok(Some(x)),
        _ => Err(Rejection::new(field, format!("{field} must be a finite number"), format!("{field} 必须是有限数值"))),
    }
}

fn timestamp_ms(v: Option<&Value>, field: &str) -> Result<Option<i64>, Rejection> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Some(t.timestamp_millis()))
            .map_err(|e| Rejection::new(field, format!("{field} is not an ISO 8601 timestamp: {e}"), format!("{field} 不是 ISO 8601 时间：{e}"))),
        Some(_) => Err(Rejection::new(field, format!("{field} must be an ISO 8601 string"), format!("{field} 必须是 ISO 8601 字符串"))),
    }
}

fn flag(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Beyond the e-commerce spec, an order's `payment_method`, `channel` (lower-cased),
/// `promised_delivery_at` and `delivered_at` (ISO 8601): the canonical orders columns the
/// analysis takes as evidence, read from an order's event or from an event sent after it.
fn order_details(props: &Map<String, Value>) -> Result<LineDetails, Rejection> {
    Ok(LineDetails {
        payment_method: text(props.get("payment_method")).map(|m| m.to_lowercase()),
        channel: text(props.get("channel")).map(|c| c.to_lowercase()),
        promised_delivery_ms: timestamp_ms(props.get("promised_delivery_at"), "properties.promised_delivery_at")?,
        delivered_ms: timestamp_ms(props.get("delivered_at"), "properties.delivered_at")?,
        ..LineDetails::default()
    })
}

/// An order's lines, each with the order's [`order_details`] and its product's `list_price`.
fn order_lines(props: &Map<String, Value>) -> Result<Vec<OrderLineInput>, Rejection> {
    let coupon = text(props.get("coupon"));
    let order_details = order_details(props)?;
    let Some(products) = props.get("products") else {
        // An order without product detail is one line worth the order's revenue or total.
        let amount = match number(props.get("revenue"), "properties.revenue")? {
            Some(r) => Some(r),
            None => number(props.get("total"), "properties.total")?,
        };
        return Ok(match amount {
            Some(a) => vec![OrderLineInput { product_id: None, category: None, quantity: 1.0, unit_price: non_negative(a, "properties.total")?, coupon_code: coupon, details: order_details }],
            None => Vec::new(),
        });
    };
    let Value::Array(items) = products else {
        return Err(Rejection::new("properties.products", "properties.products must be an array", "properties.products 必须是数组"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = format!("properties.products[{i}]");
            let Value::Object(p) = item else {
                return Err(Rejection::new(&field, format!("{field} must be an object"), format!("{field} 必须是对象")));
            };
            let quantity = number(p.get("quantity"), &format!("{field}.quantity"))?.unwrap_or(1.0);
            if quantity <= 0.0 {
                return Err(Rejection::new(&field, format!("{field}.quantity must be positive"), format!("{field}.quantity 必须为正")));
            }
            let price = number(p.get("price"), &format!("{field}.price"))?.unwrap_or(0.0);
            let list_price = match number(p.get("list_price"), &format!("{field}.list_price"))? {
                Some(x) => Some(non_negative(x, &format!("{field}.list_price"))?),
                None => None,
            };
            Ok(OrderLineInput {
                product_id: text(p.get("product_id")).or_else(|| text(p.get("sku"))),
                category: text(p.get("category")),
                quantity,
                unit_price: non_negative(price, &format!("{field}.price"))?,
                coupon_code: text(p.get("coupon")).or_else(|| coupon.clone()),
                details: LineDetails { list_price, ..order_details.clone() },
            })
        })
        .collect()
}

fn non_negative(x: f64, field: &str) -> Result<f64, Rejection> {
    if x < 0.0 {
        Err(Rejection::new(field, format!("{field} must not be negative"), format!("{field} 不能为负")))
    } else {
        Ok(x)
    }
}

/// One message object. `kind` is the endpoint's kind, or `None` inside a batch (read `type`).
pub fn parse_message(v: Value, kind: Option<MessageKind>, now_ms: i64, fallback_id: impl FnOnce() -> String) -> Result<Message, Rejection> {
    let Value::Object(mut obj) = v else {
        return Err(Rejection::new("", "a message must be a JSON object", "消息必须是 JSON 对象"));
    };
    let kind = match kind {
        Some(k) => k,
        None => match obj.get("type").and_then(Value::as_str) {
            Some("track") => MessageKind::Track,
            Some("identify") => MessageKind::Identify,
            Some("page") => MessageKind::Page,
            Some("screen") => MessageKind::Screen,
            Some("alias") => MessageKind::Alias,
            Some("group") => MessageKind::Group,
            _ => {
                return Err(Rejection::new(
                    "type",
                    "type must be track, identify, page, screen, alias or group",
                    "type 必须是 track、identify、page、screen、alias 或 group",
                ))
            }
        },
    };
    let user_id = identifier(obj.get("userId"), "userId")?;
    let anonymous_id = identifier(obj.get("anonymousId"), "anonymousId")?;
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(Rejection::new("userId", "a message needs userId or anonymousId", "消息需要 userId 或 anonymousId"));
    }
    let previous_id = identifier(obj.get("previousId"), "previousId")?;
    if kind == MessageKind::Alias && (previous_id.is_none() || user_id.is_none()) {
        return Err(Rejection::new("previousId", "alias needs userId and previousId", "alias 需要 userId 和 previousId"));
    }
    let message_id = identifier(obj.get("messageId"), "messageId")?.unwrap_or_else(fallback_id);
    let ts_ms = match timestamp_ms(obj.get("timestamp"), "timestamp")? {
        Some(t) => t,
        None => timestamp_ms(obj.get("originalTimestamp"), "originalTimestamp")?.unwrap_or(now_ms),
    };
    // Taken out of the message, not copied: a copy of each map was ~5 % of the HTTP threads.
    let mut properties = object(obj.remove("properties"), "properties")?;
    let mut traits = object(obj.remove("traits"), "traits")?;
    let mut context = object(obj.remove("context"), "context")?;
    let mut pii = Pii::default();
    if let Some(ctx) = context.as_mut() {
        ctx.remove("ip");
        if let Some(Value::Object(t)) = ctx.get_mut("traits") {
            pii.merge(take_pii(t));
        }
    }
    if let Some(p) = properties.as_mut() {
        pii.merge(take_pii(p));
    }
    if let Some(t) = traits.as_mut() {
        pii.merge(take_pii(t));
    }
    let name = match kind {
        MessageKind::Track => Some(text(obj.get("event")).ok_or_else(|| Rejection::new("event", "track needs an event name", "track 需要事件名 event"))?),
        MessageKind::Page | MessageKind::Screen => text(obj.get("name")),
        _ => None,
    };
    let event_type = match kind {
        MessageKind::Track => canonical_type(name.as_deref().unwrap_or("")),
        MessageKind::Page | MessageKind::Screen => Some(EventType::PageView),
        _ => None,
    };
    let no_properties = Map::new();
    let props = properties.as_ref().unwrap_or(&no_properties);
    let order = match name.as_deref() {
        Some(event @ ("Order Completed" | "Order Refunded" | "Order Cancelled")) => {
            let order_id = text(props.get("order_id"))
                .ok_or_else(|| Rejection::new("properties.order_id", format!("{event} needs properties.order_id"), format!("{event} 需要 properties.order_id")))?;
            let state = match event {
                "Order Completed" => OrderState::Completed,
                "Order Refunded" => OrderState::Returned,
                _ => OrderState::Cancelled,
            };
            Some(OrderInput { order_id, state, lines: order_lines(props)? })
        }
        _ => None,
    };
    let order_update = order_update(name.as_deref(), props, ts_ms)?;
    let review = match name.as_deref() {
        Some("Product Reviewed") => {
            let rating = number(props.get("rating"), "properties.rating")?;
            if rating.is_some_and(|r| !(1.0..=5.0).contains(&r)) {
                return Err(Rejection::new("properties.rating", "rating must be 1–5", "评分必须在 1–5 之间"));
            }
            Some(ReviewInput {
                review_id: text(props.get("review_id")).unwrap_or_else(|| message_id.clone()),
                product_id: text(props.get("product_id")),
                rating: rating.map(|r| r.round() as i64),
                text: text(props.get("review_body")).unwrap_or_default(),
                language: None,
                extra: None,
            })
        }
        _ => None,
    };
    let value = match &order {
        Some(o) => Some(o.lines.iter().map(|l| l.quantity * l.unit_price).sum()),
        None => number(props.get("price"), "properties.price")?.or(number(props.get("value"), "properties.value")?),
    };
    let session_id = text(props.get("session_id")).or_else(|| context.as_ref().and_then(|c| text(c.get("sessionId"))));
    let product_id = text(props.get("product_id")).or_else(|| text(props.get("sku")));
    let (category, query) = (text(props.get("category")), text(props.get("query")));
    let mut page_props = properties;
    if matches!(kind, MessageKind::Page | MessageKind::Screen) {
        if let Some(n) = &name {
            page_props.get_or_insert_with(Map::new).entry("page").or_insert_with(|| Value::String(n.clone()));
        }
    }
    let traits = match (kind, traits) {
        (MessageKind::Identify | MessageKind::Group, t) | (_, t @ Some(_)) => {
            let mut other = t.unwrap_or_default();
            let consent = Consent {
                email: other.remove("consent_email").and_then(|v| flag(Some(&v))),
                sms: other.remove("consent_sms").and_then(|v| flag(Some(&v))),
                push: other.remove("consent_push").and_then(|v| flag(Some(&v))),
            };
            Some(Traits { pii, consent, other: (!other.is_empty()).then_some(other) })
        }
        (_, None) if !pii.is_empty() => Some(Traits { pii, ..Traits::default() }),
        _ => None,
    };
    Ok(Message {
        message_id,
        kind,
        user_id,
        anonymous_id,
        previous_id,
        name,
        event_type,
        ts_ms,
        session_id,
        product_id,
        category,
        query,
        value,
        properties: page_props.map(|p| json_text(&p)),
        context: context.map(|c| json_text(&c)),
        traits,
        order,
        order_update,
        review,
        survey: None,
        campaign: None,
        extra: None,
    })
}

/// A JSON object as text: serde_json's writer, without `Display`'s formatting machinery (which
/// was ~10 % of the HTTP threads, perf).
fn json_text(map: &Map<String, Value>) -> String {
    serde_json::to_string(map).expect("a JSON map serialises")
}

/// What an event sent after an order says about it: "Order Updated" (the spec's), "Order
/// Shipped" and "Order Delivered" (common beyond it) name the order by `order_id` and carry
/// its [`order_details`] ("Order Delivered" without `delivered_at` was delivered when it was
/// sent); "Payment Info Entered" with an `order_id` sets what it states (its `payment_method`).
fn order_update(event: Option<&str>, props: &Map<String, Value>, ts_ms: i64) -> Result<Option<OrderUpdate>, Rejection> {
    let order_id = match event {
        Some(event @ ("Order Updated" | "Order Shipped" | "Order Delivered")) => text(props.get("order_id"))
            .ok_or_else(|| Rejection::new("properties.order_id", format!("{event} needs properties.order_id"), format!("{event} 需要 properties.order_id")))?,
        Some("Payment Info Entered") => match text(props.get("order_id")) {
            Some(order_id) => order_id,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let d = order_details(props)?;
    let delivered_ms = match event {
        Some("Order Delivered") => d.delivered_ms.or(Some(ts_ms)),
        _ => d.delivered_ms,
    };
    Ok(Some(OrderUpdate { order_id, payment_method: d.payment_method, channel: d.channel, promised_delivery_ms: d.promised_delivery_ms, delivered_ms }))
}

/// A `/v1/batch` body: `{"batch": [...], "context": {...}}` (batch-level context is merged
/// into each message that has none of its own).
pub fn parse_batch(body: &[u8], now_ms: i64, mut fallback_id: impl FnMut() -> String) -> Result<Vec<Message>, Rejection> {
    #[derive(serde::Deserialize)]
    struct Batch<'a> {
        #[serde(borrow)]
        batch: Vec<&'a serde_json::value::RawValue>,
        #[serde(default)]
        context: Option<Value>,
    }
    let parsed: Batch = serde_json::from_slice(body)
        .map_err(|e| Rejection::new("batch", format!("the body must be {{\"batch\": [messages]}}: {e}"), format!("请求体必须是 {{\"batch\": [消息]}}：{e}")))?;
    if parsed.batch.len() > MAX_BATCH_MESSAGES {
        return Err(Rejection {
            too_large: true,
            ..Rejection::new(
                "batch",
                format!("a batch holds at most {MAX_BATCH_MESSAGES} messages, this one {}", parsed.batch.len()),
                format!("每批最多 {MAX_BATCH_MESSAGES} 条消息，本批 {} 条", parsed.batch.len()),
            )
        });
    }
    parsed
        .batch
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            let at = |r: Rejection| Rejection { index, ..r };
            check_size(raw.get().len()).map_err(at)?;
            let mut v: Value = serde_json::from_str(raw.get()).map_err(|e| at(Rejection::new("", e.to_string(), e.to_string())))?;
            if let (Some(ctx), Value::Object(m)) = (&parsed.context, &mut v) {
                m.entry("context").or_insert_with(|| ctx.clone());
            }
            parse_message(v, None, now_ms, &mut fallback_id).map_err(at)
        })
        .collect()
}

/// Segment's 32 KB limit on one message.
pub fn check_size(bytes: usize) -> Result<(), Rejection> {
    if bytes > MAX_MESSAGE_BYTES {
        return Err(Rejection {
            too_large: true,
            ..Rejection::new(
                "",
                format!("a message may be at most 32 KB, this one is {bytes} bytes"),
                format!("单条消息最多 32 KB，本条 {bytes} 字节"),
            )
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Message, Rejection> {
        parse_message(v, None, 1_000, || "generated".into())
    }

    #[test]
    fn order_completed_becomes_a_purchase_and_an_order() {
        let m = parse(json!({"type": "track", "userId": "u1", "event": "Order Completed", "messageId": "m1",
            "timestamp": "2024-05-01T10:00:00.250Z",
            "properties": {"order_id": "o1", "revenue": 30, "coupon": "SAVE",
                "products": [{"product_id": "p1", "price": 10, "quantity": 2}, {"sku": "p2", "price": "10", "category": "c"}]}}))
        .unwrap();
        assert_eq!(m.event_type, Some(EventType::Purchase));
        assert_eq!(m.ts_ms, 1_714_557_600_250);
        let o = m.order.unwrap();
        assert_eq!((o.order_id.as_str(), o.state, o.lines.len()), ("o1", OrderState::Completed, 2));
        assert_eq!(o.lines[1].product_id.as_deref(), Some("p2"));
        assert_eq!(o.lines[1].coupon_code.as_deref(), Some("SAVE"));
        assert_eq!(m.value, Some(30.0));
        assert_eq!(o.lines[0].details, LineDetails::default(), "nothing beyond the spec was sent");
    }

    #[test]
    fn order_details_beyond_the_spec_reach_every_line() {
        let m = parse(json!({"type": "track", "userId": "u1", "event": "Order Completed",
            "properties": {"order_id": "o1", "payment_method": "COD", "channel": "App",
                "promised_delivery_at": "2024-05-03T00:00:00Z", "delivered_at": "2024-05-05T12:00:00Z",
                "products": [{"product_id": "p1", "price": 8, "list_price": 10}, {"product_id": "p2", "price": 5}]}}))
        .unwrap();
        let lines = m.order.unwrap().lines;
        let d = &lines[0].details;
        assert_eq!((d.payment_method.as_deref(), d.channel.as_deref(), d.list_price), (Some("cod"), Some("app"), Some(10.0)));
        assert_eq!((d.promised_delivery_ms, d.delivered_ms), (Some(1_714_694_400_000), Some(1_714_910_400_000)));
        assert_eq!((lines[1].details.list_price, lines[1].details.payment_method.as_deref()), (None, Some("cod")));
        let bad = parse(json!({"type": "track", "userId": "u", "event": "Order Completed",
            "properties": {"order_id": "o", "delivered_at": "soon", "revenue": 3}})).unwrap_err();
        assert_eq!(bad.field, "properties.delivered_at");
    }

    #[test]
    fn events_after_an_order_update_its_details() {
        let delivered = parse(json!({"type": "track", "userId": "u1", "event": "Order Delivered", "timestamp": "2024-05-05T12:00:00Z",
            "properties": {"order_id": "o1"}})).unwrap();
        let u = delivered.order_update.unwrap();
        assert_eq!((u.order_id.as_str(), u.delivered_ms, u.payment_method), ("o1", Some(1_714_910_400_000), None), "delivered when sent");
        assert_eq!((delivered.event_type, delivered.order), (None, None), "a custom event, no order of its own");
        let updated = parse(json!({"type": "track", "userId": "u1", "event": "Order Updated",
            "properties": {"order_id": "o1", "channel": "App", "promised_delivery_at": "2024-05-03T00:00:00Z"}})).unwrap();
        let u = updated.order_update.unwrap();
        assert_eq!((u.channel.as_deref(), u.promised_delivery_ms, u.delivered_ms), (Some("app"), Some(1_714_694_400_000), None));
        let paying = parse(json!({"type": "track", "userId": "u1", "event": "Payment Info Entered", "properties": {"order_id": "o1", "payment_method": "COD"}})).unwrap();
        assert_eq!(paying.event_type, Some(EventType::PaymentStart));
        assert_eq!(paying.order_update.unwrap().payment_method.as_deref(), Some("cod"));
        let checkout = parse(json!({"type": "track", "userId": "u1", "event": "Payment Info Entered", "properties": {"payment_method": "card"}})).unwrap();
        assert_eq!(checkout.order_update, None, "no order named");
        let shipped = parse(json!({"type": "track", "userId": "u1", "event": "Order Shipped", "properties": {}})).unwrap_err();
        assert_eq!(shipped.field, "properties.order_id");
        let bad = parse(json!({"type": "track", "userId": "u1", "event": "Order Delivered", "properties": {"order_id": "o1", "delivered_at": "today"}})).unwrap_err();
        assert_eq!(bad.field, "properties.delivered_at");
    }

    #[test]
    fn spec_events_map_onto_canonical_types() {
        for (name, t) in [
            ("Product Viewed", EventType::ProductView),
            ("Product Added", EventType::AddToCart),
            ("Checkout Started", EventType::CheckoutStart),
            ("Products Searched", EventType::Search),
            ("Product Shared", EventType::Share),
            ("Coupon Applied", EventType::CouponClaim),
            ("add_to_cart", EventType::AddToCart),
        ] {
            assert_eq!(canonical_type(name), Some(t), "{name}");
        }
        assert_eq!(canonical_type("Video Played"), None);
    }

    #[test]
    fn pii_leaves_traits_properties_and_context() {
        let m = parse(json!({"type": "identify", "userId": "u1", "messageId": "m",
            "traits": {"email": "ada@example.com", "firstName": "Ada", "lastName": "L", "plan": "pro", "consent_email": true},
            "context": {"ip": "10.0.0.1", "traits": {"phone": "+86 123"}}})).unwrap();
        let t = m.traits.unwrap();
        assert_eq!(t.pii.email.as_deref(), Some("ada@example.com"));
        assert_eq!(t.pii.name.as_deref(), Some("Ada L"));
        assert_eq!(t.pii.phone.as_deref(), Some("+86 123"));
        assert_eq!(t.consent.email, Some(true));
        assert_eq!(t.other.unwrap().get("plan"), Some(&json!("pro")));
        let ctx = m.context.unwrap();
        assert!(!ctx.contains("10.0.0.1") && !ctx.contains("+86"), "{ctx}");
    }

    #[test]
    fn bad_messages_are_refused_with_the_field() {
        let no_id = parse(json!({"type": "track", "event": "x"})).unwrap_err();
        assert_eq!(no_id.field, "userId");
        let bad_ts = parse(json!({"type": "track", "userId": "u", "event": "x", "timestamp": "yesterday"})).unwrap_err();
        assert_eq!(bad_ts.field, "timestamp");
        let neg = parse(json!({"type": "track", "userId": "u", "event": "Order Completed",
            "properties": {"order_id": "o", "products": [{"price": -1}]}})).unwrap_err();
        assert_eq!(neg.field, "properties.products[0].price");
        let batch = br#"{"batch": [{"type": "track", "userId": "u", "event": "a"}, {"type": "bogus", "userId": "u"}]}"#;
        let err = parse_batch(batch, 0, || "g".into()).unwrap_err();
        assert_eq!((err.index, err.field.as_str()), (1, "type"));
        let big = format!(r#"{{"batch": [{{"type": "track", "userId": "u", "event": "{}"}}]}}"#, "x".repeat(40_000));
        assert!(parse_batch(big.as_bytes(), 0, || "g".into()).unwrap_err().too_large);
    }

    #[test]
    fn page_names_become_the_page_property() {
        let m = parse(json!({"type": "page", "anonymousId": "a1", "name": "Home"})).unwrap();
        assert_eq!(m.event_type, Some(EventType::PageView));
        assert_eq!(m.message_id, "generated");
        assert_eq!(m.properties.as_deref(), Some(r#"{"page":"Home"}"#));
    }
}
