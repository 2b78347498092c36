//! Strategy in the pipeline (`xinli-strategy`): main barriers, next best actions from the
//! playbook, the per-segment summary and churn drivers → the last four `customers.csv` columns,
//! `strategy.json` and three report sections.

use crate::config::AnalyzeConfig;
use crate::output::CustomerRow;
use crate::AnalyzeError;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};
use xinli_core::{Shop, Timestamp};
use xinli_report::chart::{self, BarSeries, ChartSpec, ForestRow, Orientation};
use xinli_report::format::{self, NumFormat};
use xinli_report::{Block, KeyFigure, Lang, Section, Table, Text};
use xinli_segment::{MapRecord, Scalar};
use xinli_strategy::lifecycle::{evidence_field, lifecycle, signal_field};
use xinli_strategy::{Barrier, BarrierConfig, ChurnDrivers, LifecycleConfig, Playbook, SegmentStrategy, SegmentSummary, ShopRates};

/// Reads `--playbook` (or the built-in playbook) before any work starts: a bad file is an error
/// naming its file, line and column.
pub fn load_playbook(config: &AnalyzeConfig) -> Result<Playbook, AnalyzeError> {
    let schema = xinli_strategy::lifecycle::schema();
    match &config.playbook {
        Some(path) => Playbook::from_path(path, &schema),
        None => Playbook::default_with(&schema),
    }
    .map_err(|e| AnalyzeError::Config(format!("bad playbook: {e}\n策略文件有误：{}", e.render_zh())))
}

/// What the strategy step produced (written to `strategy.json`, shown in the report).
#[derive(Debug, Serialize)]
pub struct StrategyOutcome {
    pub playbook: String,
    pub lifecycle: LifecycleThresholds,
    /// (persona × lifecycle) groups, largest expected loss first.
    pub segments: Vec<SegmentStrategy>,
    /// Customers per next best action.
    pub actions: Vec<ActionCount>,
    pub barriers: BarrierSummary,
    pub churn_drivers: Option<ChurnDrivers>,
}

#[derive(Debug, Serialize)]
pub struct LifecycleThresholds {
    pub new_days: i64,
    pub lapse_days: i64,
    pub at_risk_churn: f64,
}

#[derive(Debug, Serialize)]
pub struct ActionCount {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub customers: u64,
}

#[derive(Debug, Serialize)]
pub struct BarrierSummary {
    pub stalled: usize,
    /// Stalled customers per main barrier.
    pub customers: Vec<(Barrier, usize)>,
    /// Stalled customers with no barrier above the shop's rate.
    pub none_above_shop_rate: usize,
    /// The shop's rate of each barrier's incidents.
    pub shop_rates: ShopRates,
}

fn scalar(v: &Json) -> Scalar {
    match v {
        Json::Number(n) => n.as_f64().map_or(Scalar::Null, Scalar::Number),
        Json::String(s) => Scalar::Text(s.clone()),
        Json::Bool(b) => Scalar::Bool(*b),
        _ => Scalar::Null,
    }
}

fn days_between(earlier: Option<Timestamp>, as_of: Timestamp) -> Option<i64> {
    earlier.map(|t| as_of.day_index() - t.day_index())
}

/// Adds what the customers' reviews up to `as_of` say about quality, logistics and service to
/// their barrier signals (reviews of customers the table does not hold have no barrier to feed).
fn add_review_incidents(table: &mut xinli_strategy::SignalTable, voice: &crate::voice::ShopVoice, as_of: Timestamp) {
    let by_customer = voice.customers_until(as_of);
    for (id, s) in table.customer_ids.iter().zip(&mut table.signals) {
        let Some(v) = by_customer.get(id) else { continue };
        s.quality_text_reviews += v.quality_text_reviews;
        s.logistics_text_reviews += v.logistics_text_reviews;
        s.service_text_reviews += v.service_text_reviews;
    }
}

/// Fills `main_barrier`, `barrier_evidence`, `next_best_action` and `nba_reason` of every row,
/// and summarises.
#[allow(clippy::too_many_arguments)] // the parts of the analysis a strategy reads
pub fn apply(
    shop: &Shop,
    signals: xinli_strategy::SignalFold,
    as_of: Timestamp,
    churn_horizon_days: i64,
    traits: &xinli_psych::TraitTable,
    playbook: &Playbook,
    rows: &mut [CustomerRow],
    voice: Option<&crate::voice::ShopVoice>,
    config: &AnalyzeConfig,
) -> StrategyOutcome {
    let cycle = LifecycleConfig::default();
    let lang = match config.lang {
        Lang::Zh => xinli_strategy::Lang::Zh,
        Lang::En => xinli_strategy::Lang::En,
    };
    let cutoff = xinli_strategy::driver_cutoff(as_of, churn_horizon_days);
    let [mut table, at_cutoff]: [xinli_strategy::SignalTable; 2] =
        signals.tables(shop, &[as_of, cutoff]).try_into().expect("two dates, two tables");
    if let Some(voice) = voice {
        add_review_incidents(&mut table, voice, as_of);
    }
    let (rates, barriers) = xinli_strategy::barriers(&table, &BarrierConfig { lapse_days: cycle.lapse_days });
    let index = table.index();
    let by_id: HashMap<&str, usize> = traits.customers.iter().enumerate().map(|(i, t)| (t.customer_id.as_str(), i)).collect();
    // Only the signals and evidence lines the playbook reads are put in the records.
    let wanted: HashSet<String> = playbook.fields().into_iter().collect();
    let mut summary = SegmentSummary::default();
    let mut action_counts: HashMap<usize, u64> = HashMap::new();
    for row in rows.iter_mut() {
        let at = index.get(row.customer_id.as_str()).copied();
        let signals = at.map(|i| &table.signals[i]);
        let barrier = at.map(|i| &barriers[i]).filter(|b| b.stalled());
        row.main_barrier = barrier.and_then(|b| b.barrier).map(|b| b.name().to_string());
        row.barrier_evidence_zh = barrier.map(|b| b.evidence_zh.clone());
        row.barrier_evidence_en = barrier.map(|b| b.evidence_en.clone());
        row.barrier_evidence = match lang {
            xinli_strategy::Lang::Zh => row.barrier_evidence_zh.clone(),
            xinli_strategy::Lang::En => row.barrier_evidence_en.clone(),
        };
        let since_first = days_between(signals.and_then(|s| s.first_purchase), as_of);
        let since_last = days_between(signals.and_then(|s| s.last_purchase), as_of);
        let state = lifecycle(since_first, since_last, row.churn_risk, &cycle);

        let mut record: MapRecord = match serde_json::to_value(&*row) {
            Ok(Json::Object(map)) => map.iter().map(|(k, v)| (k.clone(), scalar(v))).collect(),
            _ => MapRecord::new(),
        };
        record.insert("lifecycle".into(), Scalar::Text(state.name().into()));
        record.insert("new_customer".into(), Scalar::Bool(state == xinli_strategy::Lifecycle::New));
        record.insert("stalled".into(), Scalar::Bool(barrier.is_some()));
        for (name, days) in [("days_since_first_purchase", since_first), ("days_since_last_purchase", since_last)] {
            record.insert(name.into(), days.map_or(Scalar::Null, |d| Scalar::Number(d as f64)));
        }
        if let Some(&i) = by_id.get(row.customer_id.as_str()) {
            for t in xinli_psych::Trait::ALL {
                let evidence = traits.evidence(i, t);
                for e in &evidence {
                    let field = signal_field(e.signal);
                    if wanted.contains(&field) {
                        record.insert(field, Scalar::Number(e.value));
                    }
                }
                let field = evidence_field(t.name());
                if wanted.contains(&field) {
                    if let Some(e) = evidence.first() {
                        record.insert(format!("{field}_zh"), Scalar::Text(e.text_zh()));
                        record.insert(format!("{field}_en"), Scalar::Text(e.text_en()));
                    }
                }
            }
        }
        let decision = playbook.decide(&record, lang);
        if let Some(d) = &decision {
            let a = playbook.actions.iter().position(|a| std::ptr::eq(a, d.action)).expect("the action is the playbook's");
            *action_counts.entry(a).or_default() += 1;
        }
        row.next_best_action = decision.as_ref().map(|d| d.action.id.clone());
        row.nba_reason_zh = decision.as_ref().map(|d| d.reason_zh.clone());
        row.nba_reason_en = decision.as_ref().map(|d| d.reason_en.clone());
        row.nba_reason = decision.map(|d| d.reason);
        summary.add(row.persona.as_deref().unwrap_or("unknown"), state, row.next_best_action.as_deref(), row.clv, row.churn_risk);
    }
    let mut actions: Vec<ActionCount> = action_counts
        .into_iter()
        .map(|(a, customers)| {
            let a = &playbook.actions[a];
            ActionCount { id: a.id.clone(), name_zh: a.name_zh.clone(), name_en: a.name_en.clone(), customers }
        })
        .collect();
    actions.sort_by(|a, b| b.customers.cmp(&a.customers).then(a.id.cmp(&b.id)));
    // Count barriers over the rows written (customers.csv), not over every id the data names.
    let written: Vec<xinli_strategy::CustomerBarrier> =
        rows.iter().filter_map(|r| index.get(r.customer_id.as_str()).map(|&i| barriers[i].clone())).collect();
    let (customers, none_above_shop_rate) = xinli_strategy::barrier_counts(&written);
    StrategyOutcome {
        playbook: playbook.origin.clone(),
        lifecycle: LifecycleThresholds { new_days: cycle.new_days, lapse_days: cycle.lapse_days, at_risk_churn: cycle.at_risk_churn },
        segments: summary.finish(),
        actions,
        barriers: BarrierSummary { stalled: written.iter().filter(|b| b.stalled()).count(), customers, none_above_shop_rate, shop_rates: rates },
        churn_drivers: xinli_strategy::churn_drivers_from(&at_cutoff, shop, as_of),
    }
}

/// The report's strategy sections: strategy per segment, barriers, churn drivers.
pub fn report_sections(s: &StrategyOutcome, playbook: &Playbook, currency: &str) -> Vec<Section> {
    let action_name = |id: &Option<String>| match id.as_deref().and_then(|id| playbook.action(id)) {
        Some(a) => Text::new(a.name_zh.clone(), a.name_en.clone()),
        None => Text::new("（无）", "(none)"),
    };
    let mut strategy = Section::new("strategy", Text::new("分群策略", "Strategy per segment")).intro(Text::new(
        "按画像 × 生命周期分组：每组人数、CLV 合计、预期流失价值（Σ 流失风险 × CLV）与最常被推荐的下一步行动（策略手册见 docs/strategy.md，可用 --playbook 替换）。",
        "Customers grouped by persona × lifecycle state: size, total CLV, expected loss (Σ churn risk × CLV) and the next best action chosen most often (playbook: docs/strategy.md; replace it with --playbook).",
    ));
    let loss: f64 = s.segments.iter().map(|g| g.expected_loss).sum();
    let clv: f64 = s.segments.iter().map(|g| g.clv).sum();
    strategy.push(Block::KeyFigures(vec![
        KeyFigure::new(Text::new("预期流失价值", "Expected loss"), format::money(loss, currency, 0)),
        KeyFigure::new(Text::new("CLV 合计", "Total CLV"), format::money(clv, currency, 0)),
        KeyFigure::new(Text::new("分群数", "Segments"), format::int(s.segments.len() as i64)),
    ]));
    let mut table = Table::new(vec![
        Text::new("画像", "Persona"),
        Text::new("生命周期", "Lifecycle"),
        Text::new("人数", "Customers"),
        Text::new("行动", "Action"),
        Text::new("占比", "Share"),
        Text::new("CLV 合计", "CLV"),
        Text::new("预期流失", "Expected loss"),
    ])
    .numeric(&[2, 4, 5, 6]);
    for g in s.segments.iter().take(40) {
        table.push_row(vec![
            crate::report::persona_label(&g.persona),
            Text::new(g.lifecycle.label_zh(), g.lifecycle.label_en()),
            format::int(g.customers as i64).into(),
            action_name(&g.action),
            format::pct(g.action_share, 0).into(),
            format::money(g.clv, currency, 0).into(),
            format::money(g.expected_loss, currency, 0).into(),
        ]);
    }
    strategy.push(Block::Table(table));
    let mut actions = Table::new(vec![Text::new("下一步行动", "Next best action"), Text::new("人数", "Customers")]).numeric(&[1]);
    for a in &s.actions {
        actions.push_row(vec![Text::new(a.name_zh.clone(), a.name_en.clone()), format::int(a.customers as i64).into()]);
    }
    strategy.push(Block::Table(actions));

    let mut barriers = Section::new("barriers", Text::new("购买障碍", "Barriers")).intro(Text::new(
        "受阻顾客（加购或支付未完成、退货、差评、沉睡）的主要障碍：客户的问题次数超出全店水平最多的一类。",
        "The main barrier of stalled customers (abandoned cart or payment, returned, rated low, lapsed): the kind of incident by which the customer most exceeds the shop's own rate.",
    ));
    let labels: Vec<Text> = s.barriers.customers.iter().map(|(b, _)| Text::new(b.label_zh(), b.label_en())).collect();
    let counts: Vec<f64> = s.barriers.customers.iter().map(|(_, n)| *n as f64).collect();
    let spec = ChartSpec::new(Text::new("主要障碍", "Main barrier")).y_label(Text::new("顾客数", "Customers"));
    barriers.push(Block::chart(
        chart::bars(&spec, &labels, &[BarSeries::new(Text::new("顾客", "Customers"), counts)], Orientation::Horizontal),
        Text::new(
            format!("受阻顾客 {} 人，其中 {} 人没有高于全店水平的障碍", s.barriers.stalled, s.barriers.none_above_shop_rate),
            format!("{} stalled customers; {} with no barrier above the shop's rate", s.barriers.stalled, s.barriers.none_above_shop_rate),
        ),
    ));

    let mut drivers = Section::new("churn-drivers", Text::new("流失因素", "Churn drivers"));
    match &s.churn_drivers {
        Some(d) if !d.drivers.is_empty() => {
            drivers.intro = Some(Text::new(
                format!("{}。每个因素：有此经历与没有的顾客流失率之差（风险差）及 95% 区间（Newcombe 法）。是关联，不是因果。", d.definition_zh),
                format!("{}. Each factor: churn rate with it minus without it (risk difference) with its 95 % interval (Newcombe). Associations, not causes.", d.definition_en),
            ));
            let rows: Vec<ForestRow> = d
                .drivers
                .iter()
                .map(|x| ForestRow::new(Text::new(x.label_zh, x.label_en), x.risk_difference.estimate, x.risk_difference.low, x.risk_difference.high))
                .collect();
            let spec = ChartSpec::new(Text::new("流失风险差（95% 区间）", "Risk difference of churn (95 % interval)"))
                .y_label(Text::new("风险差", "Risk difference"))
                .y_format(NumFormat::Percent(0));
            drivers.push(Block::chart(chart::forest(&spec, &rows, 0.0), Text::new(format!("{} 位顾客，{} 位流失", d.cohort, d.churned), format!("{} customers, {} churned", d.cohort, d.churned))));
            let mut t = Table::new(vec![
                Text::new("因素", "Factor"),
                Text::new("有此因素", "With it"),
                Text::new("无此因素", "Without"),
                Text::new("风险差 [95% 区间]", "Risk difference [95 % CI]"),
                Text::new("比值比 [95% 区间]", "Odds ratio [95 % CI]"),
            ])
            .numeric(&[1, 2, 3, 4]);
            for x in &d.drivers {
                let rd = &x.risk_difference;
                let or = &x.log_odds_ratio;
                t.push_row(vec![
                    Text::new(x.label_zh, x.label_en),
                    format!("{}/{}", x.exposed_churned, x.exposed).into(),
                    format!("{}/{}", x.unexposed_churned, x.unexposed).into(),
                    format!("{:+.1}% [{:+.1}, {:+.1}]", 100.0 * rd.estimate, 100.0 * rd.low, 100.0 * rd.high).into(),
                    format!("{:.2} [{:.2}, {:.2}]", or.estimate.exp(), or.low.exp(), or.high.exp()).into(),
                ]);
            }
            drivers.push(Block::Table(t));
        }
        _ => drivers.push(Block::note(Text::new(
            "历史数据不足以比较流失与留存顾客（需要在截止日前有购买、且因素在顾客间有差异）。",
            "Not enough history to compare churned and retained customers (needs buyers before the cutoff and factors that differ between them).",
        ))),
    }
    vec![strategy, barriers, drivers]
}
