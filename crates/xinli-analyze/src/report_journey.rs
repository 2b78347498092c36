//! Report sections on the decision journey and trait distributions: the purchase funnel with
//! drop-off, broken down by persona and by order channel, and a histogram per trait.

use crate::events::{FunnelUsers, FUNNEL_STEPS, FUNNEL_WINDOW_SECONDS};
use std::collections::HashMap;
use xinli_core::{CustomerId, EventType, OrderLine};
use xinli_journey::{first_order_channel, FunnelReport};
use xinli_psych::{Trait, TraitTable};
use xinli_report::chart::{self, BarSeries, ChartSpec, Orientation};
use xinli_report::format;
use xinli_report::page::{Block, Section, Table};
use xinli_report::Text;

fn step_label(t: EventType) -> Text {
    match t {
        EventType::ProductView => Text::new("浏览商品", "Product view"),
        EventType::AddToCart => Text::new("加入购物车", "Add to cart"),
        EventType::CheckoutStart => Text::new("开始结算", "Checkout"),
        EventType::PaymentStart => Text::new("开始支付", "Payment"),
        EventType::Purchase => Text::new("完成购买", "Purchase"),
        other => Text::same(other.name()),
    }
}

/// One row per breakdown group: users entered, then the share reaching each later step.
fn breakdown_table(report: &FunnelReport, key_title: Text, key_label: impl Fn(&str) -> Text) -> Table {
    let mut header = vec![key_title, Text::new("进入漏斗", "Entered")];
    header.extend(FUNNEL_STEPS[1..].iter().map(|&t| {
        let l = step_label(t);
        Text::new(format!("到达{}", l.zh), format!("→ {}", l.en))
    }));
    let numeric: Vec<usize> = (1..=FUNNEL_STEPS.len()).collect();
    let mut table = Table::new(header).numeric(&numeric);
    let mut groups: Vec<_> = report.breakdown.iter().collect();
    groups.sort_by_key(|g| std::cmp::Reverse(g.steps[0].users));
    for g in groups {
        let mut row = vec![key_label(&g.key), Text::same(format::int(g.steps[0].users))];
        row.extend(g.steps[1..].iter().map(|s| Text::same(format::pct(s.conversion_from_first, 1))));
        table.push_row(row);
    }
    table
}

/// The funnel by persona and by first-order channel, or `None` when no one viewed a product
/// (orders-only data).
pub fn funnel_reports(funnel: &FunnelUsers, traits: &TraitTable, orders: &[OrderLine]) -> Option<(FunnelReport, FunnelReport)> {
    let personas: HashMap<CustomerId, String> =
        traits.customers.iter().map(|c| (c.customer_id.clone(), c.persona.name().to_string())).collect();
    let by_persona = funnel.report(|id| personas.get(id).cloned());
    if by_persona.users_entered == 0 {
        return None;
    }
    let channels = first_order_channel(orders);
    let by_channel = funnel.report(|id| channels.get(id).cloned());
    Some((by_persona, by_channel))
}

/// The funnel section, or `None` when no one viewed a product (orders-only data).
pub fn funnel_section(reports: Option<&(FunnelReport, FunnelReport)>, persona_label: fn(&str) -> Text) -> Option<Section> {
    let (by_persona, by_channel) = reports?;

    let hours = FUNNEL_WINDOW_SECONDS / 3600;
    let mut section = Section::new("funnel", Text::new("购买漏斗", "Purchase funnel")).intro(Text::new(
        format!("有序漏斗：浏览商品 → 加入购物车 → 开始结算 → 开始支付 → 完成购买。每一步必须晚于上一步，且都在浏览后 {hours} 小时内；用户可从任意一次浏览开始。按顾客画像与首单渠道拆分。"),
        format!("An ordered funnel: product view → add to cart → checkout → payment → purchase. Each step must come after the previous one and within {hours} hours of the view; any view may start an attempt. Broken down by persona and by first-order channel."),
    ));
    let categories: Vec<Text> = FUNNEL_STEPS.iter().map(|&t| step_label(t)).collect();
    let users: Vec<f64> = by_persona.steps.iter().map(|s| s.users as f64).collect();
    let svg = chart::bars(
        &ChartSpec::new(Text::new("每一步的用户数", "Users at each step")).x_label(Text::new("用户数", "Users")).size(620.0, 280.0).show_values(true),
        &categories,
        &[BarSeries::new(Text::new("用户数", "Users"), users).color("#0f766e")],
        Orientation::Horizontal,
    );
    section.push(Block::chart(svg, Text::default()));
    let mut steps = Table::new(vec![
        Text::new("步骤", "Step"),
        Text::new("用户数", "Users"),
        Text::new("较上一步转化", "Conversion from previous"),
        Text::new("流失", "Drop-off"),
        Text::new("流失率", "Drop-off rate"),
        Text::new("累计转化", "Conversion from first"),
    ])
    .numeric(&[1, 2, 3, 4, 5]);
    for s in &by_persona.steps {
        steps.push_row(vec![
            step_label(s.event_type),
            Text::same(format::int(s.users)),
            Text::same(format::pct(s.conversion_from_previous, 1)),
            Text::same(format::int(s.drop_off)),
            Text::same(format::pct(s.drop_off_rate, 1)),
            Text::same(format::pct(s.conversion_from_first, 1)),
        ]);
    }
    section.push(Block::Table(steps.caption(Text::new("各步转化与流失", "Conversion and drop-off per step"))));
    section.push(Block::Table(
        breakdown_table(by_persona, Text::new("画像", "Persona"), persona_label)
            .caption(Text::new("按顾客画像：到达各步的比例", "By persona: share reaching each step")),
    ));
    if !by_channel.breakdown.is_empty() {
        section.push(Block::Table(
            breakdown_table(by_channel, Text::new("首单渠道", "First-order channel"), |k| Text::same(k))
                .caption(Text::new("按首单渠道：到达各步的比例", "By first-order channel: share reaching each step")),
        ));
    }
    Some(section)
}

/// One histogram of scores per trait with any scored customer.
pub fn trait_distributions(traits: &TraitTable, trait_label: fn(Trait) -> Text) -> Option<Block> {
    let charts: Vec<Block> = Trait::ALL
        .iter()
        .filter_map(|&t| {
            let scores: Vec<f64> = traits.customers.iter().filter_map(|c| c.traits[t.index()].score).collect();
            (!scores.is_empty()).then(|| {
                let spec = ChartSpec::new(trait_label(t))
                    .x_label(Text::new("得分（店内百分位）", "Score (shop percentile)"))
                    .x_domain(0.0, 1.0)
                    .size(380.0, 220.0);
                Block::chart(chart::histogram(&spec, &scores, 20), Text::default())
            })
        })
        .collect();
    (!charts.is_empty()).then_some(Block::Columns(charts))
}
