//! Lifecycle states, the fields playbook rules can read, and the per-segment strategy summary.

use serde::Serialize;
use std::collections::BTreeMap;
use xinli_segment::{Schema, Type};

/// Where a customer is in their life with the shop, as of the analysis date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// Known (customer record, visits) but has not bought.
    Prospect,
    /// First purchase within `new_days`.
    New,
    Active,
    /// Churn risk at or above `at_risk_churn`.
    AtRisk,
    /// No purchase for more than `lapse_days`.
    Lapsed,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 5] = [Lifecycle::Prospect, Lifecycle::New, Lifecycle::Active, Lifecycle::AtRisk, Lifecycle::Lapsed];

    pub fn name(self) -> &'static str {
        match self {
            Lifecycle::Prospect => "prospect",
            Lifecycle::New => "new",
            Lifecycle::Active => "active",
            Lifecycle::AtRisk => "at_risk",
            Lifecycle::Lapsed => "lapsed",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Lifecycle::Prospect => "潜在顾客",
            Lifecycle::New => "新客",
            Lifecycle::Active => "活跃",
            Lifecycle::AtRisk => "有流失风险",
            Lifecycle::Lapsed => "已沉睡",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Lifecycle::Prospect => "prospect",
            Lifecycle::New => "new",
            Lifecycle::Active => "active",
            Lifecycle::AtRisk => "at risk",
            Lifecycle::Lapsed => "lapsed",
        }
    }
}

/// Thresholds of [`lifecycle`].
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleConfig {
    pub new_days: i64,
    pub lapse_days: i64,
    pub at_risk_churn: f64,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig { new_days: 30, lapse_days: 90, at_risk_churn: 0.5 }
    }
}

/// The lifecycle state, checked in this order: no purchase → prospect; last purchase more than
/// `lapse_days` ago → lapsed; first purchase within `new_days` → new; churn risk ≥
/// `at_risk_churn` → at risk; otherwise active.
pub fn lifecycle(
    days_since_first: Option<i64>,
    days_since_last: Option<i64>,
    churn_risk: Option<f64>,
    config: &LifecycleConfig,
) -> Lifecycle {
    match (days_since_first, days_since_last) {
        (None, _) | (_, None) => Lifecycle::Prospect,
        (_, Some(last)) if last > config.lapse_days => Lifecycle::Lapsed,
        (Some(first), _) if first <= config.new_days => Lifecycle::New,
        _ if churn_risk.is_some_and(|r| r >= config.at_risk_churn) => Lifecycle::AtRisk,
        _ => Lifecycle::Active,
    }
}

/// The fields playbook rules and reasons can read: every `customers.csv` column
/// ([`Schema::customers`], plus `sessions`) and `lifecycle`, `new_customer`, `stalled`,
/// `days_since_first_purchase`, `days_since_last_purchase`, `signal_<id>` for every psychology
/// signal of `xinli-psych` (the customer's raw value, as in `evidence.csv`), and the bilingual
/// texts `barrier_evidence` and `evidence_<trait>` (the trait's first evidence line), each as
/// a `<name>_zh` / `<name>_en` pair.
pub fn schema() -> Schema {
    let mut s = Schema::customers();
    s.insert("sessions", Type::Number);
    s.insert("lifecycle", Type::Text);
    s.insert("new_customer", Type::Bool);
    s.insert("stalled", Type::Bool);
    s.insert("days_since_first_purchase", Type::Number);
    s.insert("days_since_last_purchase", Type::Number);
    for signal in xinli_psych::signals::SIGNALS {
        s.insert(&signal_field(signal.id), Type::Number);
    }
    let traits = xinli_psych::Trait::ALL.map(|t| evidence_field(t.name()));
    for name in traits.iter().map(String::as_str).chain(["barrier_evidence"]) {
        s.insert(&format!("{name}_zh"), Type::Text);
        s.insert(&format!("{name}_en"), Type::Text);
    }
    s
}

/// The playbook field of a psychology signal.
pub fn signal_field(signal: &str) -> String {
    format!("signal_{signal}")
}

/// The playbook field (bilingual pair) of a trait's first evidence line.
pub fn evidence_field(trait_name: &str) -> String {
    format!("evidence_{trait_name}")
}

/// One (persona × lifecycle) group: its size, value at stake and the action most chosen.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentStrategy {
    pub persona: String,
    pub lifecycle: Lifecycle,
    pub customers: u64,
    /// The most frequent next best action, and the share of the group it was chosen for.
    pub action: Option<String>,
    pub action_share: f64,
    /// Every action chosen in the group with its count, most frequent first.
    pub actions: Vec<(String, u64)>,
    /// Σ CLV of the members (customers without a CLV add nothing).
    pub clv: f64,
    /// Σ churn_risk × CLV: the value expected to be lost without action.
    pub expected_loss: f64,
}

/// Accumulates [`SegmentStrategy`] groups one customer at a time.
#[derive(Debug, Default)]
pub struct SegmentSummary {
    groups: BTreeMap<(String, Lifecycle), (u64, f64, f64, BTreeMap<String, u64>)>,
}

impl SegmentSummary {
    pub fn add(&mut self, persona: &str, lifecycle: Lifecycle, action: Option<&str>, clv: Option<f64>, churn_risk: Option<f64>) {
        let g = self.groups.entry((persona.to_string(), lifecycle)).or_default();
        g.0 += 1;
        let clv = clv.filter(|v| v.is_finite()).unwrap_or(0.0);
        g.1 += clv;
        g.2 += clv * churn_risk.filter(|r| r.is_finite()).unwrap_or(0.0);
        if let Some(a) = action {
            *g.3.entry(a.to_string()).or_default() += 1;
        }
    }

    /// The groups, largest expected loss first (then largest).
    pub fn finish(self) -> Vec<SegmentStrategy> {
        let mut out: Vec<SegmentStrategy> = self
            .groups
            .into_iter()
            .map(|((persona, lifecycle), (customers, clv, expected_loss, counts))| {
                let mut actions: Vec<(String, u64)> = counts.into_iter().collect();
                actions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                let (action, action_share) = match actions.first() {
                    Some((a, n)) => (Some(a.clone()), *n as f64 / customers as f64),
                    None => (None, 0.0),
                };
                SegmentStrategy { persona, lifecycle, customers, action, action_share, actions, clv, expected_loss }
            })
            .collect();
        out.sort_by(|a, b| b.expected_loss.total_cmp(&a.expected_loss).then(b.customers.cmp(&a.customers)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_rules_in_order() {
        let c = LifecycleConfig::default();
        assert_eq!(lifecycle(None, None, None, &c), Lifecycle::Prospect);
        assert_eq!(lifecycle(Some(200), Some(120), Some(0.1), &c), Lifecycle::Lapsed);
        assert_eq!(lifecycle(Some(10), Some(10), Some(0.9), &c), Lifecycle::New);
        assert_eq!(lifecycle(Some(100), Some(20), Some(0.6), &c), Lifecycle::AtRisk);
        assert_eq!(lifecycle(Some(100), Some(20), None, &c), Lifecycle::Active);
    }

    #[test]
    fn summary_sums_value_at_stake() {
        let mut s = SegmentSummary::default();
        s.add("price_sensitive", Lifecycle::AtRisk, Some("price_drop_alert"), Some(100.0), Some(0.5));
        s.add("price_sensitive", Lifecycle::AtRisk, Some("price_drop_alert"), Some(50.0), Some(0.2));
        s.add("price_sensitive", Lifecycle::AtRisk, Some("vip_care"), None, Some(0.9));
        s.add("balanced", Lifecycle::Active, None, Some(10.0), None);
        let out = s.finish();
        assert_eq!(out.len(), 2);
        let g = &out[0];
        assert_eq!((g.persona.as_str(), g.lifecycle, g.customers), ("price_sensitive", Lifecycle::AtRisk, 3));
        assert_eq!(g.action.as_deref(), Some("price_drop_alert"));
        assert!((g.action_share - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(g.clv, 150.0);
        assert!((g.expected_loss - 60.0).abs() < 1e-12);
        assert_eq!(out[1].expected_loss, 0.0);
        assert_eq!(out[1].action, None);
    }
}
