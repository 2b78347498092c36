//! What the store accepts: messages already parsed and checked at the edge (the HTTP layer or
//! the importer). Nothing here is a raw request.

use serde::{Deserialize, Serialize};
use xinli_core::EventType;

/// The kind of a tracking message (Segment's call names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Track,
    Identify,
    Page,
    Screen,
    Alias,
    Group,
    /// A record loaded by `xinli import --db`.
    Import,
}

impl MessageKind {
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::Track => "track",
            MessageKind::Identify => "identify",
            MessageKind::Page => "page",
            MessageKind::Screen => "screen",
            MessageKind::Alias => "alias",
            MessageKind::Group => "group",
            MessageKind::Import => "import",
        }
    }
}

/// Personal data: only ever stored sealed (see [`crate::crypto`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pii {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Pii {
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.phone.is_none() && self.name.is_none() && self.address.is_none()
    }

    /// Fields of `newer` replace these.
    pub fn merge(&mut self, newer: Pii) {
        self.email = newer.email.or(self.email.take());
        self.phone = newer.phone.or(self.phone.take());
        self.name = newer.name.or(self.name.take());
        self.address = newer.address.or(self.address.take());
    }

    /// For analysts: the shape of each value, never the value.
    pub fn masked(&self) -> Pii {
        fn mask(s: &Option<String>) -> Option<String> {
            s.as_ref().map(|v| {
                let first: String = v.chars().take(1).collect();
                format!("{first}***")
            })
        }
        Pii { email: mask(&self.email), phone: mask(&self.phone), name: mask(&self.name), address: mask(&self.address) }
    }
}

/// Consent flags; `None` = not stated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub push: Option<bool>,
}

impl Consent {
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.sms.is_none() && self.push.is_none()
    }
}

/// Traits of an identify call, split into PII, consent and the rest (JSON object text).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Traits {
    pub pii: Pii,
    pub consent: Consent,
    pub other: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderState {
    Completed,
    Cancelled,
    Returned,
}

impl OrderState {
    pub fn name(self) -> &'static str {
        match self {
            OrderState::Completed => "completed",
            OrderState::Cancelled => "cancelled",
            OrderState::Returned => "returned",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderLineInput {
    pub product_id: Option<String>,
    pub category: Option<String>,
    /// Finite and positive.
    pub quantity: f64,
    /// Finite and non-negative.
    pub unit_price: f64,
    pub coupon_code: Option<String>,
    pub details: LineDetails,
}

/// What an order line may say beyond product, price and coupon (data contract v1 `orders`): the
/// analysis reads it as trait and barrier evidence (list price → discount, `cod` → trust,
/// late delivery → logistics, app channel → convenience).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LineDetails {
    /// Regular unit price; finite and non-negative.
    pub list_price: Option<f64>,
    pub payment_method: Option<String>,
    pub channel: Option<String>,
    pub promised_delivery_ms: Option<i64>,
    pub delivered_ms: Option<i64>,
    /// Columns beyond the contract: JSON array of `[name, value]` pairs (see [`extra_json`]).
    pub extra: Option<String>,
}

/// A record's columns beyond the contract as stored (`extra` columns): a JSON array of
/// `[name, value]` pairs, or nothing when there are none.
pub fn extra_json(extra: &[(String, String)]) -> Option<String> {
    (!extra.is_empty()).then(|| serde_json::to_string(extra).expect("pairs of strings serialise"))
}

/// [`extra_json`] read back; text that is not such an array gives nothing.
pub fn extra_from_json(text: Option<&str>) -> Vec<(String, String)> {
    text.and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default()
}

/// An order carried by a message ("Order Completed" and friends).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderInput {
    pub order_id: String,
    pub state: OrderState,
    /// Empty for a state change of a known order (refund, cancellation).
    pub lines: Vec<OrderLineInput>,
}

/// What a message sent after an order may say about it ("Order Updated", "Order Shipped",
/// "Order Delivered", "Payment Info Entered" with an `order_id`): each stated field replaces
/// the stored one on every line of the order; an order not stored yet gets them when it arrives.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderUpdate {
    pub order_id: String,
    pub payment_method: Option<String>,
    pub channel: Option<String>,
    pub promised_delivery_ms: Option<i64>,
    pub delivered_ms: Option<i64>,
}

impl OrderUpdate {
    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.payment_method.is_none() && self.channel.is_none() && self.promised_delivery_ms.is_none() && self.delivered_ms.is_none()
    }

    /// This update, then `later`: its stated fields win.
    pub fn followed_by(self, later: OrderUpdate) -> OrderUpdate {
        OrderUpdate {
            payment_method: later.payment_method.or(self.payment_method),
            channel: later.channel.or(self.channel),
            promised_delivery_ms: later.promised_delivery_ms.or(self.promised_delivery_ms),
            delivered_ms: later.delivered_ms.or(self.delivered_ms),
            order_id: self.order_id,
        }
    }

    /// `details` with this update's stated fields in place of theirs.
    pub fn applied_to(&self, details: &LineDetails) -> LineDetails {
        LineDetails {
            payment_method: self.payment_method.clone().or_else(|| details.payment_method.clone()),
            channel: self.channel.clone().or_else(|| details.channel.clone()),
            promised_delivery_ms: self.promised_delivery_ms.or(details.promised_delivery_ms),
            delivered_ms: self.delivered_ms.or(details.delivered_ms),
            ..details.clone()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewInput {
    pub review_id: String,
    pub product_id: Option<String>,
    pub rating: Option<i64>,
    pub text: String,
    pub language: Option<String>,
    /// Columns beyond the contract (a `title`), as [`extra_json`].
    pub extra: Option<String>,
}

/// A survey answer (data contract v1 `surveys`, read by `xinli-text`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurveyInput {
    /// Whole number within the scale.
    pub score: i64,
    /// 10 (0–10, NPS) or 5 (1–5, CSAT).
    pub scale: i64,
    pub comment: Option<String>,
    pub product_id: Option<String>,
}

/// One customer touched (or held out) by a campaign (data contract v1 `campaigns`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CampaignInput {
    pub campaign_id: String,
    pub channel: Option<String>,
    pub variant: Option<String>,
    pub opened: Option<bool>,
    pub clicked: Option<bool>,
    pub converted: Option<bool>,
    /// Finite and non-negative.
    pub revenue: Option<f64>,
    /// Columns beyond the contract, as [`extra_json`].
    pub extra: Option<String>,
}

/// One tracking message, typed. At least one of `user_id` / `anonymous_id` is set.
///
/// The server's ingest log keeps messages as their JSON (serde), leaving out the fields not
/// set: a field added here must read records written before it (`#[serde(default)]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub message_id: String,
    pub kind: MessageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anonymous_id: Option<String>,
    /// alias: the earlier id (an anonymous id or an older user id) merged into `user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<String>,
    /// The track event's name, or the page/screen name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The canonical event type it maps to (`None`: a custom event, kept and counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<EventType>,
    /// Milliseconds since the Unix epoch.
    pub ts_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// JSON object text, PII removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<String>,
    /// JSON object text, PII removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traits: Option<Traits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderInput>,
    /// Details of an order sent after it (see [`OrderUpdate`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_update: Option<OrderUpdate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey: Option<SurveyInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignInput>,
    /// An imported event's columns beyond the contract, as [`extra_json`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
}

impl Message {
    /// A message with only the required parts; set the rest with struct update.
    pub fn new(message_id: &str, kind: MessageKind, user_id: Option<&str>, anonymous_id: Option<&str>, ts_ms: i64) -> Message {
        Message {
            message_id: message_id.to_string(),
            kind,
            user_id: user_id.map(str::to_string),
            anonymous_id: anonymous_id.map(str::to_string),
            previous_id: None,
            name: None,
            event_type: None,
            ts_ms,
            session_id: None,
            product_id: None,
            category: None,
            query: None,
            value: None,
            properties: None,
            context: None,
            traits: None,
            order: None,
            order_update: None,
            review: None,
            survey: None,
            campaign: None,
            extra: None,
        }
    }
}

/// What one ingest call did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IngestOutcome {
    /// Messages stored now.
    pub stored: u64,
    /// Messages whose messageId was already stored (or repeated within the call).
    pub duplicates: u64,
    /// Customers merged by identify/alias.
    pub merges: u64,
    /// Segment entries and exits recorded.
    pub membership_changes: u64,
}

impl IngestOutcome {
    pub fn add(&mut self, other: &IngestOutcome) {
        self.stored += other.stored;
        self.duplicates += other.duplicates;
        self.merges += other.merges;
        self.membership_changes += other.membership_changes;
    }
}
