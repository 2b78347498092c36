//! Builds `report.html` from the analysis: every section comes from `xinli-report`'s toolkit,
//! fed plain numbers.

use crate::config::AnalyzeConfig;
use crate::models::{Analysis, ValueScores};
use crate::output::date_string;
use crate::validation::Validation;
use crate::{report_journey, report_price, Purchases};
use std::collections::BTreeMap;
use std::time::Duration;
use xinli_core::TimeUnit;
use xinli_ingest::ImportOutcome;
use xinli_report::format;
use xinli_report::page::{Block, KeyFigure, Section, Table};
use xinli_report::value_sections::{self as sections, CohortRow, FileQuality, Holdout, HoldoutBucket, ModelFit, ModelSelection, Overview, SegmentSummary, Timing};
use xinli_report::chart::{self, BarSeries, ChartSpec, Orientation};
use xinli_report::{render as render_page, Report, Text};

/// What the psychology section shows: the scored traits and each customer's journey stage.
pub struct Psychology<'a> {
    pub traits: &'a xinli_psych::TraitTable,
    pub journeys: &'a [xinli_journey::CustomerJourney],
    /// The funnel by persona and by first-order channel (None: no product views).
    pub funnel: Option<&'a (xinli_journey::FunnelReport, xinli_journey::FunnelReport)>,
    pub elasticity: &'a xinli_price::ElasticityReport,
    /// Strategy per segment, barriers and churn drivers (crate::strategy::report_sections).
    pub strategy: Vec<Section>,
    /// Voice of the customer (xinli-text), when the shop has reviews.
    pub voice: Option<Section>,
}

#[allow(clippy::too_many_arguments)] // one argument per part of the analysis the report shows
pub fn render(
    config: &AnalyzeConfig,
    imported: &ImportOutcome,
    purchases: &Purchases,
    analysis: &Analysis,
    value: &ValueScores,
    psychology: &Psychology<'_>,
    validation: Option<&Validation>,
    timings: &[(String, Duration)],
) -> String {
    let title = match &config.shop_name {
        Some(name) => Text::new(format!("{name} · 客户价值报告"), format!("{name} · Customer value report")),
        None => Text::new("xinli 心理 · 客户价值报告", "xinli · Customer value report"),
    };
    let subtitle = Text::new(
        format!("截至 {}（含）的数据", date_string(purchases.calibration_end)),
        format!("Data up to and including {}", date_string(purchases.calibration_end)),
    );
    let mut report = Report::new(title).subtitle(subtitle).generated_at(format!("xinli {}", env!("CARGO_PKG_VERSION")));
    report.push(overview(purchases, analysis, value, config));
    report.push(rfm_section(value));
    report.push(sections::pareto(&customer_totals(value), &config.currency));
    let clv: Vec<f64> = analysis.scores.iter().flatten().filter_map(|s| s.clv).collect();
    let horizon = Text::new(format!("{} 天", config.horizon_days), format!("{} days", config.horizon_days));
    report.push(sections::clv_distribution(&clv, &config.currency, Some(&horizon)));
    report.push(p_alive_section(analysis, purchases, config.time_unit));
    report.push(sections::cohort_retention(&cohort_rows(value)));
    report.push(churn_section(value));
    report.push(psychology_section(psychology));
    if let Some(funnel) = report_journey::funnel_section(psychology.funnel, persona_label) {
        report.push(funnel);
    }
    if let Some(elasticity) = report_price::elasticity_section(psychology.elasticity) {
        report.push(elasticity);
    }
    for section in &psychology.strategy {
        report.push(section.clone());
    }
    if let Some(voice) = &psychology.voice {
        report.push(voice.clone());
    }
    report.push(sections::models(&model_selection(analysis)));
    if let Some(v) = validation {
        report.push(sections::holdout(&holdout(v, config.time_unit)));
    }
    report.push(sections::data_quality(&file_quality(imported), Some("quarantine.csv")));
    let stages: Vec<Timing> = timings.iter().map(|(s, d)| Timing::new(Text::same(s.clone()), *d)).collect();
    report.push(sections::timings(&stages));
    render_page(&report, config.lang)
}

fn overview(purchases: &Purchases, analysis: &Analysis, value: &ValueScores, config: &AnalyzeConfig) -> Section {
    let in_calibration = purchases.transactions.iter().filter(|t| t.at <= purchases.calibration_end);
    let (count, revenue, first, last) = in_calibration.fold((0u64, 0.0, None, None), |(n, r, f, l), t| {
        (n + 1, r + t.amount, Some(f.map_or(t.at, |f: xinli_core::Timestamp| f.min(t.at))), Some(l.map_or(t.at, |l: xinli_core::Timestamp| l.max(t.at))))
    });
    sections::overview(&Overview {
        customers: value.cohorts.customers as u64,
        transactions: count,
        revenue,
        currency: config.currency.clone(),
        repeat_rate: value.cohorts.repeat_rate,
        first_date: first.map(date_string).unwrap_or_default(),
        last_date: last.map(date_string).unwrap_or_default(),
        selected_model: analysis.selected_model().map(|m| m.name().to_string()),
        time_unit: config.time_unit,
    })
}

fn customer_totals(value: &ValueScores) -> Vec<f64> {
    value.rfm.customers.iter().map(|c| c.monetary).collect()
}

fn rfm_section(value: &ValueScores) -> Section {
    #[derive(Default)]
    struct Sums {
        customers: u64,
        revenue: f64,
        recency: f64,
        frequency: f64,
        monetary: f64,
    }
    let mut by_segment: BTreeMap<&'static str, Sums> = BTreeMap::new();
    for c in &value.rfm.customers {
        let s = by_segment.entry(c.segment.name()).or_default();
        s.customers += 1;
        s.revenue += c.monetary;
        s.recency += c.recency_days as f64;
        s.frequency += f64::from(c.frequency);
        s.monetary += c.mean_order_value;
    }
    let segments: Vec<SegmentSummary> = by_segment
        .into_iter()
        .map(|(name, s)| {
            let n = s.customers as f64;
            SegmentSummary {
                name: name.to_string(),
                customers: s.customers,
                revenue: s.revenue,
                mean_recency: s.recency / n,
                mean_frequency: s.frequency / n,
                mean_monetary: s.monetary / n,
            }
        })
        .collect();
    sections::rfm_segments(&segments, "", TimeUnit::Days)
}

fn p_alive_section(analysis: &Analysis, purchases: &Purchases, unit: TimeUnit) -> Section {
    let mut pairs = Vec::new();
    let mut repeats = Vec::new();
    for (customer, summary) in analysis.calibration.present() {
        if let Some(s) = analysis.scores[customer as usize] {
            let since_last = unit.from_days(purchases.calibration_end.day_index() - summary.last_purchase.day_index());
            pairs.push((since_last, s.p_alive));
            repeats.push(summary.frequency);
        }
    }
    let mut section = sections::p_alive_vs_recency(&pairs, Some(&repeats), unit);
    if analysis.selected.is_none() {
        section.push(Block::note(Text::new(
            "没有可拟合的交易模型（例如没有复购的数据），因此存活概率、预期购买次数和 CLV 留空；RFM、同期群、心理特质、旅程与策略不受影响。",
            "No transaction model could be fitted (e.g. data without repeat purchases), so P(alive), expected purchases and CLV are left empty; RFM, cohorts, traits, journeys and strategy are unaffected.",
        )));
    }
    if let Some(boundary) = analysis.selected_model().and_then(|m| m.report().boundary.clone()) {
        section.push(Block::note(Text::new(
            format!("此数据中没有客户流失的证据（模型参数位于边界：{boundary}），因此每位客户的存活概率都接近 100%。请用“流失风险”对客户排序，它由店铺自己的历史回测训练。"),
            format!("The data shows no evidence of customers dropping out (the fit lies on a boundary: {boundary}), so P(alive) is close to 100 % for everyone. Rank customers by churn risk instead: it is trained by back-testing on the shop's own history."),
        )));
    }
    section
}

fn cohort_rows(value: &ValueScores) -> Vec<CohortRow> {
    value
        .cohorts
        .cohorts
        .iter()
        .map(|c| CohortRow { label: c.month.clone(), size: c.size as u64, retention: c.retention.iter().map(|&r| Some(r)).collect() })
        .collect()
}

fn churn_section(value: &ValueScores) -> Section {
    let report = &value.churn.report;
    let at_risk = value.churn_risk.iter().flatten().filter(|&&r| r >= 0.5).count();
    let scored = value.churn_risk.iter().flatten().count();
    let mut figures = vec![
        KeyFigure::new(Text::new("流失风险 ≥ 50% 的客户", "Customers with churn risk ≥ 50 %"), format::int(at_risk as u64))
            .note(Text::same(format::pct(if scored > 0 { at_risk as f64 / scored as f64 } else { 0.0 }, 1))),
        KeyFigure::new(Text::new("预测窗口", "Horizon"), format!("{} d", report.horizon_days)),
        KeyFigure::new(Text::new("评分来源", "Scores from"), value.churn_source.to_string()),
    ];
    if let Some(auc) = report.validation_auc {
        figures.push(
            KeyFigure::new(Text::new("回测验证 AUC", "Back-test validation AUC"), format::num(auc, 3))
                .note(Text::same(report.chosen_description.clone())),
        );
    }
    let mut section = Section::new("churn", Text::new("流失风险", "Churn risk"))
        .intro(Text::new(
            "流失风险 = 在预测窗口内不再购买的概率。模型用店铺自己的历史回测训练：在过去的多个时间点，用当时已知的数据预测之后是否复购。",
            "Churn risk = the probability of no purchase within the horizon. The model is trained by back-testing on the shop's own history: at several past dates, predict from what was known then whether the customer bought again.",
        ))
        .block(Block::KeyFigures(figures));
    if !report.importances.is_empty() {
        let mut table = Table::new(vec![Text::new("特征", "Feature"), Text::new("重要性", "Importance"), Text::new("系数（每个标准差的对数几率）", "Coefficient (log-odds per SD)")]).numeric(&[1, 2]);
        let coefficients: BTreeMap<&str, f64> = report.coefficients.iter().map(|c| (c.feature.as_str(), c.value)).collect();
        for w in report.importances.iter().take(10) {
            let coefficient = coefficients.get(w.feature.as_str()).map(|c| format::num(*c, 3)).unwrap_or_default();
            table.push_row(vec![Text::same(w.feature.clone()), Text::same(format::pct(w.value, 1)), Text::same(coefficient)]);
        }
        section.push(Block::Table(table.caption(Text::new("什么决定了复购（前 10 个特征）", "What drives buying again (top 10 features)"))));
    }
    if let Some(note) = &report.note {
        section.push(Block::note(Text::same(note.clone())));
    }
    section
}

fn model_selection(analysis: &Analysis) -> ModelSelection {
    let fits = analysis
        .fits
        .iter()
        .filter_map(|f| f.model.as_ref().ok())
        .map(|m| {
            let report = m.report();
            ModelFit {
                name: m.name().to_string(),
                params: m.params().into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                log_likelihood: report.log_likelihood,
                converged: report.converged,
                boundary_note: report.boundary.clone().map(Text::same),
            }
        })
        .collect();
    ModelSelection {
        fits,
        selected: analysis.selected_model().map_or(crate::models::NO_MODEL, |m| m.name()).to_string(),
        reason: Text::same(analysis.selection_reason.clone()),
    }
}

fn holdout(v: &Validation, unit: TimeUnit) -> Holdout {
    let mut aucs = Vec::new();
    let mut push = |zh: &str, en: &str, value: Option<f64>| {
        if let Some(a) = value {
            aucs.push((Text::new(zh, en), a));
        }
    };
    push("AUC：流失风险", "AUC: churn risk", v.auc_churn_risk);
    push("AUC：预期购买次数", "AUC: expected purchases", v.auc_expected_purchases);
    push("AUC：存活概率", "AUC: P(alive)", v.auc_p_alive);
    Holdout {
        buckets: v
            .by_frequency
            .iter()
            .map(|b| HoldoutBucket { label: b.frequency.clone(), customers: b.customers as u64, predicted: b.predicted_mean, actual: b.actual_mean })
            .collect(),
        predicted_total: v.predicted_total,
        actual_total: v.actual_total,
        mae: v.mae_per_customer,
        aucs,
        length: Some(v.holdout_duration),
        unit,
    }
}

fn file_quality(imported: &ImportOutcome) -> Vec<FileQuality> {
    imported
        .summary
        .files
        .iter()
        .map(|f| FileQuality {
            file: f.path.clone(),
            rows_read: f.rows_read,
            accepted: f.accepted,
            quarantined: f.quarantined,
            filtered: f.filtered.values().sum(),
        })
        .collect()
}

fn trait_label(t: xinli_psych::Trait) -> Text {
    use xinli_psych::Trait::*;
    match t {
        PriceSensitivity => Text::new("价格敏感", "Price sensitivity"),
        InfoSeeking => Text::new("信息获取", "Information seeking"),
        Convenience => Text::new("便捷", "Convenience"),
        TrustConcern => Text::new("安全感 / 信任", "Trust concern"),
        SocialInfluence => Text::new("社交 / 口碑", "Social influence"),
        NoveltySeeking => Text::new("个性化 / 求新", "Novelty seeking"),
    }
}

/// A persona's name in both languages (the report's and the strategy sections' one wording).
pub(crate) fn persona_label(name: &str) -> Text {
    match name {
        "price_sensitive" => Text::new("价格敏感型", "Price-sensitive"),
        "info_seeker" => Text::new("信息搜寻型", "Information seeker"),
        "convenience_seeker" => Text::new("便捷型", "Convenience seeker"),
        "trust_seeker" => Text::new("安全感型", "Trust seeker"),
        "socially_influenced" => Text::new("社交影响型", "Socially influenced"),
        "novelty_seeker" => Text::new("求新型", "Novelty seeker"),
        "balanced" => Text::new("均衡型", "Balanced"),
        other => Text::same(other.to_string()),
    }
}

fn stage_label(name: &str) -> Text {
    match name {
        "need_recognition" => Text::new("需求识别", "Need recognition"),
        "information_search" => Text::new("信息搜索", "Information search"),
        "evaluation" => Text::new("比较评估", "Evaluation"),
        "purchase" => Text::new("购买", "Purchase"),
        "post_purchase" => Text::new("购后", "Post-purchase"),
        "dormant" => Text::new("沉睡", "Dormant"),
        other => Text::same(other.to_string()),
    }
}

/// Counts of each name, in the order given by `names`, as a horizontal bar chart.
fn count_bars(title: Text, names: &[&str], counts: &BTreeMap<&str, u64>, label: fn(&str) -> Text) -> Block {
    let categories: Vec<Text> = names.iter().map(|n| label(n)).collect();
    let values: Vec<f64> = names.iter().map(|n| counts.get(n).copied().unwrap_or(0) as f64).collect();
    let svg = chart::bars(
        &ChartSpec::new(title.clone()).x_label(Text::new("客户数", "Customers")).size(560.0, 300.0),
        &categories,
        &[BarSeries::new(Text::new("客户数", "Customers"), values).color("#7c3aed")],
        Orientation::Horizontal,
    );
    Block::chart(svg, Text::default())
}

fn psychology_section(p: &Psychology<'_>) -> Section {
    let mut personas: BTreeMap<&str, u64> = BTreeMap::new();
    for c in &p.traits.customers {
        *personas.entry(c.persona.name()).or_default() += 1;
    }
    let mut stages: BTreeMap<&str, u64> = BTreeMap::new();
    for j in p.journeys.iter().filter(|j| !j.anonymous) {
        *stages.entry(j.stage.name()).or_default() += 1;
    }
    let persona_names = ["price_sensitive", "info_seeker", "convenience_seeker", "trust_seeker", "socially_influenced", "novelty_seeker", "balanced"];
    let stage_names = ["need_recognition", "information_search", "evaluation", "purchase", "post_purchase", "dormant"];
    let mut section = Section::new("psychology", Text::new("顾客心理", "Customer psychology")).intro(Text::new(
        "六种网购心理需求的得分来自行为（比率与占比，而非次数），数据少的顾客向全店水平收缩并给出较低的置信度；数据中没有信号的特质标为未知，不会凭空估计。每个得分的依据见 evidence.csv。",
        "Six online-shopping needs scored from behaviour (rates and shares, not counts). Customers with little data are shrunk toward the shop and get low confidence; a trait with no signal in the data is unknown, never invented. The evidence behind every score is in evidence.csv.",
    ));
    section.push(Block::Columns(vec![
        count_bars(Text::new("顾客画像（主导特质）", "Personas (dominant trait)"), &persona_names, &personas, persona_label),
        count_bars(Text::new("决策旅程阶段", "Decision-journey stage"), &stage_names, &stages, stage_label),
    ]));
    if let Some(distributions) = report_journey::trait_distributions(p.traits, trait_label) {
        section.push(distributions);
    }
    let mut table = Table::new(vec![
        Text::new("特质", "Trait"),
        Text::new("已评分客户", "Customers scored"),
        Text::new("平均置信度", "Mean confidence"),
        Text::new("使用的信号", "Signals used"),
        Text::new("数据中缺少的信号", "Signals missing from the data"),
    ])
    .numeric(&[1, 2]);
    for coverage in &p.traits.coverage {
        let i = coverage.trait_.index();
        let scored: Vec<f64> =
            p.traits.customers.iter().filter(|c| c.traits[i].score.is_some()).map(|c| c.traits[i].confidence).collect();
        let mean_confidence = if scored.is_empty() { 0.0 } else { scored.iter().sum::<f64>() / scored.len() as f64 };
        table.push_row(vec![
            trait_label(coverage.trait_),
            Text::same(format::int(scored.len() as u64)),
            if scored.is_empty() { Text::new("未知", "unknown") } else { Text::same(format::num(mean_confidence, 2)) },
            Text::same(coverage.signals_used.join(", ")),
            Text::same(coverage.signals_missing.join(", ")),
        ]);
    }
    section.push(Block::Table(table.caption(Text::new("每种特质的数据覆盖", "What the data allowed for each trait"))));
    section
}
