//! The main barrier of each customer who stalled: quality, price, trust, logistics, service or
//! product range, chosen by how far the customer's incidents exceed the shop's own rate (rules
//! and their justification in `docs/strategy.md`).

use crate::signals::{CustomerSignals, SignalTable};
use serde::Serialize;

/// What stands between a customer and (another) purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Barrier {
    Quality,
    Price,
    Trust,
    Logistics,
    Service,
    Range,
}

impl Barrier {
    /// In tie-break order: the more specific complaint first.
    pub const ALL: [Barrier; 6] =
        [Barrier::Service, Barrier::Logistics, Barrier::Quality, Barrier::Trust, Barrier::Price, Barrier::Range];

    /// The `main_barrier` value.
    pub fn name(self) -> &'static str {
        match self {
            Barrier::Quality => "quality",
            Barrier::Price => "price",
            Barrier::Trust => "trust",
            Barrier::Logistics => "logistics",
            Barrier::Service => "service",
            Barrier::Range => "range",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Barrier::Quality => "质量",
            Barrier::Price => "价格",
            Barrier::Trust => "信任",
            Barrier::Logistics => "物流",
            Barrier::Service => "服务",
            Barrier::Range => "品类",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Barrier::Quality => "quality",
            Barrier::Price => "price",
            Barrier::Trust => "trust",
            Barrier::Logistics => "logistics",
            Barrier::Service => "service",
            Barrier::Range => "product range",
        }
    }

    /// (incidents, opportunities) of this barrier in one customer's signals.
    pub fn incidents(self, s: &CustomerSignals) -> (u32, u32) {
        match self {
            Barrier::Quality => (s.returned_orders + s.low_reviews + s.quality_text_reviews, s.orders + s.reviews),
            Barrier::Price => (
                s.full_price_abandoned_carts + s.abandoned_checkouts,
                s.cart_visits + s.abandoned_checkouts,
            ),
            Barrier::Trust => (s.abandoned_payments, s.payment_visits),
            // A review is one more chance to report a late or damaged delivery, or bad service.
            Barrier::Logistics => (s.late_orders + s.logistics_text_reviews, s.delivered_orders + s.reviews),
            Barrier::Service => (s.complaints + s.support_contacts + s.service_text_reviews, s.visits.max(s.orders) + s.reviews),
            Barrier::Range => (s.range_misses, s.browse_visits),
        }
    }

    fn evidence(self, s: &CustomerSignals, shop_rate: f64) -> (String, String) {
        let (k, n) = self.incidents(s);
        let shop = pct(shop_rate);
        match self {
            Barrier::Quality => (
                format!(
                    "{} 单中退货 {} 单、{} 条评价中差评 {} 条、另有 {} 条文字批评质量（全店问题率 {shop}）",
                    s.orders, s.returned_orders, s.reviews, s.low_reviews, s.quality_text_reviews
                ),
                format!(
                    "{} of {} orders returned, {} of {} reviews rated 1–2 and {} more criticising quality in their text (shop: {shop} of orders and reviews)",
                    s.returned_orders, s.orders, s.low_reviews, s.reviews, s.quality_text_reviews
                ),
            ),
            Barrier::Price => (
                format!(
                    "{} 次加购中 {} 次原价商品未付款、{} 次结算未付款（全店 {shop}）",
                    s.cart_visits, s.full_price_abandoned_carts, s.abandoned_checkouts
                ),
                format!(
                    "{} of {} carts left with full-price items, {} checkouts left before payment (shop: {shop})",
                    s.full_price_abandoned_carts, s.cart_visits, s.abandoned_checkouts
                ),
            ),
            Barrier::Trust => (
                format!("{n} 次进入支付、{k} 次放弃（全店 {shop}）"),
                format!("left at the payment step: {k} of {n} (shop: {shop})"),
            ),
            Barrier::Logistics => {
                let days = if s.late_orders > 0 { s.late_days / s.late_orders as f64 } else { 0.0 };
                let (late, of) = (s.late_orders, s.delivered_orders);
                let (text, reviews) = (s.logistics_text_reviews, s.reviews);
                (
                    format!("{of} 单中 {late} 单晚于承诺送达，平均晚 {days:.1} 天；{reviews} 条评价中 {text} 条抱怨物流（全店 {shop}）"),
                    format!(
                        "{late} of {of} orders delivered after the promised date, {days:.1} days late on average; {text} of {reviews} reviews complain about delivery (shop: {shop})"
                    ),
                )
            }
            Barrier::Service => (
                format!(
                    "{} 次投诉、{} 次联系客服、{} 条评价抱怨客服，共 {} 次访问与评价（全店每次 {:.2} 次）",
                    s.complaints, s.support_contacts, s.service_text_reviews, n, shop_rate
                ),
                format!(
                    "{}, {} and {} complaining about service in {} (shop: {:.2} each)",
                    counted(s.complaints.into(), "complaint", "complaints"),
                    counted(s.support_contacts.into(), "support contact", "support contacts"),
                    counted(s.service_text_reviews.into(), "review", "reviews"),
                    counted(n as i64, "visit or review", "visits and reviews"),
                    shop_rate
                ),
            ),
            Barrier::Range => (
                format!("{n} 次浏览中 {k} 次搜索无结果或只看了品类稀少的商品且未购买（全店 {shop}）"),
                format!("{k} of {n} browsing visits found nothing or only thinly stocked categories, and bought nothing (shop: {shop})"),
            ),
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

/// `n` and the English noun that agrees with it: "1 day", "3 days".
fn counted(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Settings of [`barriers`].
#[derive(Debug, Clone, PartialEq)]
pub struct BarrierConfig {
    /// A buyer with no purchase for longer than this has lapsed (stalled).
    pub lapse_days: i64,
}

impl Default for BarrierConfig {
    fn default() -> Self {
        BarrierConfig { lapse_days: 90 }
    }
}

/// The shop's rate of each barrier's incidents (Σ incidents / Σ opportunities over customers),
/// in [`Barrier::ALL`] order.
#[derive(Debug, Clone, Serialize)]
pub struct ShopRates {
    pub barriers: Vec<(Barrier, f64)>,
}

impl ShopRates {
    pub fn from_table(table: &SignalTable) -> ShopRates {
        let barriers = Barrier::ALL
            .iter()
            .map(|&b| {
                let (k, n) = table.signals.iter().map(|s| b.incidents(s)).fold((0u64, 0u64), |(k, n), (a, m)| (k + a as u64, n + m as u64));
                (b, if n == 0 { 0.0 } else { k as f64 / n as f64 })
            })
            .collect();
        ShopRates { barriers }
    }

    pub fn rate(&self, b: Barrier) -> f64 {
        self.barriers.iter().find(|(x, _)| *x == b).map_or(0.0, |(_, r)| *r)
    }
}

/// One customer's barrier.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerBarrier {
    /// Why the customer counts as stalled; empty = not stalled (no barrier is reported).
    pub stalls: Vec<&'static str>,
    /// None when stalled but no barrier exceeds the shop's rate.
    pub barrier: Option<Barrier>,
    /// How far the customer's incidents exceed the shop's rate: `(k − n·p) / √(n·p·(1−p))`.
    pub excess_z: f64,
    pub evidence_zh: String,
    pub evidence_en: String,
}

impl CustomerBarrier {
    pub fn stalled(&self) -> bool {
        !self.stalls.is_empty()
    }
}

/// Why a customer counts as stalled, as (key, zh, en) fragments.
fn stalls(s: &CustomerSignals, days_since: Option<i64>, config: &BarrierConfig) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if s.abandoned_carts > 0 {
        out.push(("abandoned_cart", format!("{} 次加购未买", s.abandoned_carts), counted(s.abandoned_carts.into(), "abandoned cart", "abandoned carts")));
    }
    let left_checkout = s.abandoned_payments + s.abandoned_checkouts;
    if left_checkout > 0 {
        out.push(("abandoned_payment", format!("{left_checkout} 次结算/支付未完成"), format!("{} left", counted(left_checkout.into(), "checkout or payment", "checkouts or payments"))));
    }
    if s.returned_orders > 0 {
        out.push(("returned", format!("退货 {} 单", s.returned_orders), counted(s.returned_orders.into(), "returned order", "returned orders")));
    }
    if s.low_reviews > 0 {
        out.push(("rated_low", format!("{} 条差评", s.low_reviews), counted(s.low_reviews.into(), "low rating", "low ratings")));
    }
    let text_complaints = s.quality_text_reviews + s.logistics_text_reviews + s.service_text_reviews;
    if text_complaints > 0 {
        out.push(("review_complaint", format!("评价中 {text_complaints} 处批评质量、物流或客服"), format!("{} about quality, delivery or service in reviews", counted(text_complaints.into(), "complaint", "complaints"))));
    }
    if let Some(d) = days_since.filter(|&d| d > config.lapse_days) {
        out.push(("lapsed", format!("已 {d} 天未购买"), format!("no purchase for {}", counted(d, "day", "days"))));
    }
    out
}

/// The main barrier of one customer, given the shop's rates.
pub fn main_barrier(s: &CustomerSignals, as_of: xinli_core::Timestamp, rates: &ShopRates, config: &BarrierConfig) -> CustomerBarrier {
    let why = stalls(s, s.days_since_last_purchase(as_of), config);
    if why.is_empty() {
        return CustomerBarrier { stalls: Vec::new(), barrier: None, excess_z: 0.0, evidence_zh: String::new(), evidence_en: String::new() };
    }
    let mut best: Option<(Barrier, f64)> = None;
    for b in Barrier::ALL {
        let (k, n) = b.incidents(s);
        if k == 0 || n == 0 {
            continue;
        }
        let p = rates.rate(b).clamp(1e-3, 0.999);
        let n = n as f64;
        let z = (k as f64 - n * p) / (n * p * (1.0 - p)).sqrt();
        if z > 0.0 && best.map_or(true, |(_, top)| z > top) {
            best = Some((b, z));
        }
    }
    let stall_zh = why.iter().map(|w| w.1.as_str()).collect::<Vec<_>>().join("、");
    let stall_en = why.iter().map(|w| w.2.as_str()).collect::<Vec<_>>().join(", ");
    let (evidence_zh, evidence_en, z) = match best {
        Some((b, z)) => {
            let (zh, en) = b.evidence(s, rates.rate(b));
            (format!("{zh}；受阻：{stall_zh}"), format!("{en}; stalled: {stall_en}"), z)
        }
        None => (
            format!("受阻：{stall_zh}；没有哪类障碍高于全店水平"),
            format!("stalled: {stall_en}; no barrier above the shop's usual rate"),
            0.0,
        ),
    };
    CustomerBarrier { stalls: why.iter().map(|w| w.0).collect(), barrier: best.map(|(b, _)| b), excess_z: z, evidence_zh, evidence_en }
}

/// The main barrier of every customer of the table (same order).
pub fn barriers(table: &SignalTable, config: &BarrierConfig) -> (ShopRates, Vec<CustomerBarrier>) {
    let rates = ShopRates::from_table(table);
    let out = table.signals.iter().map(|s| main_barrier(s, table.as_of, &rates, config)).collect();
    (rates, out)
}

/// Customers per main barrier (stalled customers only), in [`Barrier::ALL`] order, plus the
/// stalled customers with no barrier above the shop's rate.
pub fn barrier_counts(barriers: &[CustomerBarrier]) -> (Vec<(Barrier, usize)>, usize) {
    let counts = Barrier::ALL.iter().map(|&b| (b, barriers.iter().filter(|c| c.barrier == Some(b)).count())).collect();
    let unclear = barriers.iter().filter(|c| c.stalled() && c.barrier.is_none()).count();
    (counts, unclear)
}
