//! The canonical shop records of data contract v1 (`docs/data-contract.md`).

use crate::{
    CampaignId, Category, CustomerId, Money, OrderId, ProductId, Quantity, ReviewId, Timestamp,
};

/// Columns a file carried beyond the contract: kept, never an error.
pub type Extra = Vec<(String, String)>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    Female,
    Male,
    Other,
}

impl Gender {
    /// Accepts English and Chinese spellings (`f`, `female`, `女`, …); anything else is `None`.
    pub fn parse(raw: &str) -> Option<Gender> {
        match raw.trim().to_lowercase().as_str() {
            "f" | "female" | "woman" | "w" | "女" | "女性" => Some(Gender::Female),
            "m" | "male" | "man" | "男" | "男性" => Some(Gender::Male),
            "" | "unknown" | "未知" => None,
            _ => Some(Gender::Other),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub customer_id: CustomerId,
    pub signup_at: Option<Timestamp>,
    pub gender: Option<Gender>,
    pub birth_date: Option<Timestamp>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub acquisition_channel: Option<String>,
    pub consent_email: Option<bool>,
    pub consent_sms: Option<bool>,
    pub consent_push: Option<bool>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub extra: Extra,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    pub product_id: ProductId,
    pub category: Option<Category>,
    pub list_price: Option<Money>,
    pub launched_at: Option<Timestamp>,
    pub brand: Option<String>,
    pub avg_rating: Option<f64>,
    pub extra: Extra,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Completed,
    Cancelled,
    Returned,
}

impl OrderStatus {
    /// Empty means completed (the contract's default).
    pub fn parse(raw: &str) -> Option<OrderStatus> {
        match raw.trim().to_lowercase().as_str() {
            "" | "completed" | "complete" | "paid" | "delivered" | "已完成" | "完成" => {
                Some(OrderStatus::Completed)
            }
            "cancelled" | "canceled" | "已取消" | "取消" => Some(OrderStatus::Cancelled),
            "returned" | "refunded" | "已退货" | "退货" | "退款" => Some(OrderStatus::Returned),
            _ => None,
        }
    }
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderLine {
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub ordered_at: Timestamp,
    pub product_id: Option<ProductId>,
    pub category: Option<Category>,
    pub quantity: Quantity,
    /// Price paid per unit.
    pub unit_price: Money,
    /// Regular price per unit, when known.
    pub list_price: Option<Money>,
    pub coupon_code: Option<String>,
    pub payment_method: Option<String>,
    pub channel: Option<String>,
    pub status: OrderStatus,
    pub promised_delivery_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub extra: Extra,
}

impl OrderLine {
    /// A completed line with the contract's required fields; every optional field empty.
    /// Set the others with struct update: `OrderLine { product_id, ..OrderLine::new(…) }`.
    pub fn new(order_id: OrderId, customer_id: CustomerId, ordered_at: Timestamp, quantity: Quantity, unit_price: Money) -> OrderLine {
        OrderLine {
            order_id,
            customer_id,
            ordered_at,
            product_id: None,
            category: None,
            quantity,
            unit_price,
            list_price: None,
            coupon_code: None,
            payment_method: None,
            channel: None,
            status: OrderStatus::Completed,
            promised_delivery_at: None,
            delivered_at: None,
            extra: Extra::new(),
        }
    }

    pub fn revenue(&self) -> f64 {
        self.quantity.get() * self.unit_price.get()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    PageView,
    ProductView,
    Search,
    ReviewRead,
    Compare,
    AddToCart,
    RemoveFromCart,
    Wishlist,
    CheckoutStart,
    PaymentStart,
    Purchase,
    CouponClaim,
    Share,
    ReferralSignup,
    SupportContact,
    Complaint,
    ReturnRequest,
    CampaignOpen,
    CampaignClick,
    Login,
}

impl EventType {
    pub const ALL: [EventType; 20] = [
        EventType::PageView,
        EventType::ProductView,
        EventType::Search,
        EventType::ReviewRead,
        EventType::Compare,
        EventType::AddToCart,
        EventType::RemoveFromCart,
        EventType::Wishlist,
        EventType::CheckoutStart,
        EventType::PaymentStart,
        EventType::Purchase,
        EventType::CouponClaim,
        EventType::Share,
        EventType::ReferralSignup,
        EventType::SupportContact,
        EventType::Complaint,
        EventType::ReturnRequest,
        EventType::CampaignOpen,
        EventType::CampaignClick,
        EventType::Login,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventType::PageView => "page_view",
            EventType::ProductView => "product_view",
            EventType::Search => "search",
            EventType::ReviewRead => "review_read",
            EventType::Compare => "compare",
            EventType::AddToCart => "add_to_cart",
            EventType::RemoveFromCart => "remove_from_cart",
            EventType::Wishlist => "wishlist",
            EventType::CheckoutStart => "checkout_start",
            EventType::PaymentStart => "payment_start",
            EventType::Purchase => "purchase",
            EventType::CouponClaim => "coupon_claim",
            EventType::Share => "share",
            EventType::ReferralSignup => "referral_signup",
            EventType::SupportContact => "support_contact",
            EventType::Complaint => "complaint",
            EventType::ReturnRequest => "return_request",
            EventType::CampaignOpen => "campaign_open",
            EventType::CampaignClick => "campaign_click",
            EventType::Login => "login",
        }
    }

    pub fn parse(raw: &str) -> Option<EventType> {
        let wanted = raw.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|t| t.name() == wanted)
    }
}

/// Who did something: a known customer or an anonymous visitor not yet identified.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Customer(CustomerId),
    Anonymous(CustomerId),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub ts: Timestamp,
    pub subject: Subject,
    pub session_id: Option<String>,
    pub event_type: EventType,
    pub product_id: Option<ProductId>,
    pub category: Option<Category>,
    pub query: Option<String>,
    pub value: Option<f64>,
    /// The `properties` JSON object, kept as its text (validated to be an object at import).
    pub properties: Option<String>,
    pub extra: Extra,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Zh,
    En,
}

impl Language {
    pub fn parse(raw: &str) -> Option<Language> {
        match raw.trim().to_lowercase().as_str() {
            "zh" | "zh-cn" | "zh_cn" | "cn" | "chinese" | "中文" => Some(Language::Zh),
            "en" | "en-us" | "en_us" | "en-gb" | "english" | "英文" => Some(Language::En),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    pub review_id: ReviewId,
    pub customer_id: Option<CustomerId>,
    pub product_id: Option<ProductId>,
    pub ts: Timestamp,
    /// 1–5 stars.
    pub rating: Option<u8>,
    pub text: String,
    pub language: Option<Language>,
    pub extra: Extra,
}

/// One customer touched (or held out) by a campaign.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignTouch {
    pub campaign_id: CampaignId,
    pub customer_id: CustomerId,
    pub ts: Timestamp,
    pub channel: Option<String>,
    pub variant: Option<String>,
    pub opened: Option<bool>,
    pub clicked: Option<bool>,
    pub converted: Option<bool>,
    pub revenue: Option<Money>,
    pub extra: Extra,
}

/// A shop: everything imported from one directory (or one preset export).
#[derive(Clone, Debug, Default)]
pub struct Shop {
    pub customers: Vec<Customer>,
    pub products: Vec<Product>,
    pub orders: Vec<OrderLine>,
    pub events: Vec<Event>,
    pub reviews: Vec<Review>,
    pub campaigns: Vec<CampaignTouch>,
}

/// One purchase occasion of one customer, the unit customer-base models count: an order
/// (all its completed lines) at the time it was placed. `customer` indexes a customer table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transaction {
    pub customer: u32,
    pub at: Timestamp,
    pub amount: f64,
}

impl Shop {
    /// Completed orders as transactions, one per (customer, order), with the customer table
    /// they index (customers in order of first appearance). Cancelled and returned lines do
    /// not count as purchases.
    pub fn transactions(&self) -> (Vec<CustomerId>, Vec<Transaction>) {
        let mut customer_index: foldhash::HashMap<&CustomerId, u32> = foldhash::HashMap::default();
        let mut customers = Vec::new();
        let mut order_index: foldhash::HashMap<(&CustomerId, &OrderId), usize> = foldhash::HashMap::default();
        let mut transactions: Vec<Transaction> = Vec::new();
        // Exports list an order's lines together: remember the last order to skip the maps.
        let mut last: Option<(&CustomerId, &OrderId, usize)> = None;
        for line in self.orders.iter().filter(|l| l.status == OrderStatus::Completed) {
            let slot = match last {
                Some((c, o, slot)) if c == &line.customer_id && o == &line.order_id => slot,
                _ => {
                    let customer = *customer_index.entry(&line.customer_id).or_insert_with(|| {
                        customers.push(line.customer_id.clone());
                        (customers.len() - 1) as u32
                    });
                    *order_index.entry((&line.customer_id, &line.order_id)).or_insert_with(|| {
                        transactions.push(Transaction { customer, at: line.ordered_at, amount: 0.0 });
                        transactions.len() - 1
                    })
                }
            };
            last = Some((&line.customer_id, &line.order_id, slot));
            let transaction = &mut transactions[slot];
            transaction.amount += line.revenue();
            transaction.at = transaction.at.min(line.ordered_at);
        }
        (customers, transactions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(order: &str, customer: &str, at: &str, qty: f64, price: f64, status: OrderStatus) -> OrderLine {
        OrderLine {
            status,
            ..OrderLine::new(
                OrderId::parse(order).unwrap(),
                CustomerId::parse(customer).unwrap(),
                Timestamp::parse(at).unwrap(),
                Quantity::new(qty).unwrap(),
                Money::new(price).unwrap(),
            )
        }
    }

    #[test]
    fn transactions_group_lines_by_order_and_skip_cancellations() {
        let shop = Shop {
            orders: vec![
                line("o1", "c1", "2020-01-01 10:00:00", 2.0, 5.0, OrderStatus::Completed),
                line("o1", "c1", "2020-01-01 10:00:00", 1.0, 3.0, OrderStatus::Completed),
                line("o2", "c2", "2020-01-02", 1.0, 7.0, OrderStatus::Completed),
                line("o3", "c1", "2020-01-03", 1.0, 9.0, OrderStatus::Cancelled),
            ],
            ..Shop::default()
        };
        let (customers, transactions) = shop.transactions();
        assert_eq!(customers.len(), 2);
        assert_eq!(transactions.len(), 2);
        assert_eq!(transactions[0].amount, 13.0);
        assert_eq!(transactions[1].customer, 1);
    }

    #[test]
    fn event_type_names_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.name()), Some(t));
        }
    }
}
