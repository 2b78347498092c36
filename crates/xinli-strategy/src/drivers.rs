//! Churn drivers: which experiences separate customers who churned from those who stayed.
//!
//! A back-test on the shop's own history: the **cutoff** is `horizon_days` before the as-of
//! date; the cohort is every customer with a completed purchase on or before the cutoff; a
//! customer **churned** when they made no completed purchase after the cutoff up to the as-of
//! date. Every factor is measured from records up to the cutoff only, so nothing that happened
//! in the outcome window leaks into it. For each factor: the churn rate among customers with it
//! and without it, the risk difference with Newcombe's hybrid score 95 % interval and the log
//! odds ratio with Woolf's interval ([`crate::stats`]). Associations, not causes: customers who
//! bought more have more chances to meet a late delivery.

use crate::signals::{collect, CustomerSignals, SignalTable};
use crate::stats::{log_odds_ratio, newcombe_difference, Interval, Z95};
use serde::Serialize;
use std::collections::HashSet;
use xinli_core::{OrderStatus, Shop, Timestamp};

/// A yes/no factor measured on a customer's history up to the cutoff.
struct Factor {
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    has: fn(&CustomerSignals) -> bool,
}

const FACTORS: [Factor; 11] = [
    Factor { key: "late_delivery", zh: "有订单晚于承诺送达", en: "had an order delivered late", has: |s| s.late_orders > 0 },
    Factor { key: "returned", zh: "有过退货", en: "returned an order", has: |s| s.returned_orders > 0 },
    Factor { key: "contacted_service", zh: "投诉或联系过客服", en: "complained or contacted support", has: |s| s.complaints + s.support_contacts > 0 },
    Factor { key: "rated_low", zh: "给过 1–2 星差评", en: "rated a product 1–2 stars", has: |s| s.low_reviews > 0 },
    Factor { key: "abandoned_cart", zh: "有过加购未买", en: "abandoned a cart", has: |s| s.abandoned_carts > 0 },
    Factor {
        key: "abandoned_payment",
        zh: "结算或支付中途放弃",
        en: "left a checkout or payment",
        has: |s| s.abandoned_payments + s.abandoned_checkouts > 0,
    },
    Factor { key: "one_purchase_only", zh: "只买过一次", en: "bought only once", has: |s| s.purchase_days == 1 },
    Factor {
        key: "discount_buyer",
        zh: "过半商品在折扣时购买",
        en: "bought most items on discount",
        has: |s| s.priced_lines > 0 && 2 * s.discount_lines >= s.priced_lines,
    },
    Factor { key: "coupon_user", zh: "用过优惠券", en: "used a coupon", has: |s| s.coupon_orders > 0 },
    Factor { key: "cash_on_delivery", zh: "用过货到付款", en: "paid cash on delivery", has: |s| s.cod_orders > 0 },
    Factor { key: "app_buyer", zh: "在 App/小程序下过单", en: "ordered in the app or mini program", has: |s| s.app_orders > 0 },
];

/// One factor's association with churn.
#[derive(Debug, Clone, Serialize)]
pub struct ChurnDriver {
    pub factor: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    /// Customers with the factor, and how many of them churned.
    pub exposed: u64,
    pub exposed_churned: u64,
    pub unexposed: u64,
    pub unexposed_churned: u64,
    /// Churn rate with the factor minus without it, with its 95 % interval.
    pub risk_difference: Interval,
    /// ln(odds ratio) of churn, with its 95 % interval.
    pub log_odds_ratio: Interval,
}

impl ChurnDriver {
    /// True when the 95 % interval of the risk difference excludes zero.
    pub fn significant(&self) -> bool {
        self.risk_difference.excludes(0.0)
    }
}

/// The shop-level churn drivers.
#[derive(Debug, Clone, Serialize)]
pub struct ChurnDrivers {
    /// `YYYY-MM-DD` of the cutoff.
    pub cutoff: String,
    pub horizon_days: i64,
    /// Customers with a purchase by the cutoff, and how many of them churned.
    pub cohort: u64,
    pub churned: u64,
    pub definition_en: String,
    pub definition_zh: String,
    /// Factors met by some but not all of the cohort, by |risk difference|, largest first.
    pub drivers: Vec<ChurnDriver>,
    /// Factors nobody (or everybody) in the cohort had: no comparison possible.
    pub not_estimable: Vec<&'static str>,
}

/// Churn drivers as of `as_of`, with churn = no purchase within `horizon_days` after the cutoff.
/// None when no customer bought by the cutoff.
pub fn churn_drivers(shop: &Shop, as_of: Timestamp, horizon_days: i64) -> Option<ChurnDrivers> {
    churn_drivers_from(&collect(shop, driver_cutoff(as_of, horizon_days)), shop, as_of)
}

/// The back-test cutoff of [`churn_drivers`]: `horizon_days` before `as_of`.
pub fn driver_cutoff(as_of: Timestamp, horizon_days: i64) -> Timestamp {
    as_of.add_days(-horizon_days.max(1))
}

/// [`churn_drivers`] from the signal table at the cutoff (e.g. from a [`crate::SignalFold`]).
pub fn churn_drivers_from(table: &SignalTable, shop: &Shop, as_of: Timestamp) -> Option<ChurnDrivers> {
    let cutoff = table.as_of;
    let horizon_days = as_of.day_index() - cutoff.day_index();
    let returned: HashSet<&str> = shop
        .orders
        .iter()
        .filter(|l| l.status == OrderStatus::Completed && l.ordered_at > cutoff && l.ordered_at <= as_of)
        .map(|l| l.customer_id.as_str())
        .collect();
    let cohort: Vec<(&CustomerSignals, bool)> = table
        .customer_ids
        .iter()
        .zip(&table.signals)
        .filter(|(_, s)| s.purchase_days > 0)
        .map(|(id, s)| (s, !returned.contains(id.as_str())))
        .collect();
    if cohort.is_empty() {
        return None;
    }
    let churned = cohort.iter().filter(|(_, c)| *c).count() as u64;
    let mut drivers = Vec::new();
    let mut not_estimable = Vec::new();
    for f in &FACTORS {
        let (mut e, mut ec, mut u, mut uc) = (0u64, 0u64, 0u64, 0u64);
        for (s, churn) in &cohort {
            if (f.has)(s) {
                e += 1;
                ec += *churn as u64;
            } else {
                u += 1;
                uc += *churn as u64;
            }
        }
        if e == 0 || u == 0 {
            not_estimable.push(f.key);
            continue;
        }
        drivers.push(ChurnDriver {
            factor: f.key,
            label_zh: f.zh,
            label_en: f.en,
            exposed: e,
            exposed_churned: ec,
            unexposed: u,
            unexposed_churned: uc,
            risk_difference: newcombe_difference(ec, e, uc, u, Z95),
            log_odds_ratio: log_odds_ratio(ec, e - ec, uc, u - uc, Z95),
        });
    }
    drivers.sort_by(|a, b| b.risk_difference.estimate.abs().total_cmp(&a.risk_difference.estimate.abs()));
    let date = cutoff.date().format("%Y-%m-%d").to_string();
    Some(ChurnDrivers {
        definition_en: format!(
            "customers who bought by {date}; churned = no purchase in the {horizon_days} days after it; factors measured up to {date}"
        ),
        definition_zh: format!("截至 {date} 购买过的顾客；流失 = 此后 {horizon_days} 天内未再购买；因素只用 {date} 之前的数据"),
        cutoff: date,
        horizon_days,
        cohort: cohort.len() as u64,
        churned,
        drivers,
        not_estimable,
    })
}
