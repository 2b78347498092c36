//! Ready-made report sections for the customer-value analysis, built from plain numbers.
//!
//! Every function takes simple inputs (slices, small structs defined here) and returns a
//! [`Section`] to put in a [`crate::Report`]. Raw per-customer vectors (CLV values, P(alive)
//! pairs, customer revenue) are binned, sampled or summarised here, so passing a million
//! customers is fine. Empty or non-finite inputs give "no data" charts, never panics.

use crate::chart::{self, BarSeries, ChartSpec, Marker, Orientation, PointColors, Series, Tile};
use crate::format::{self, NumFormat};
use crate::labels;
use crate::page::{Block, KeyFigure, Section, Table};
use crate::stats::Dist;
use crate::text::Text;
use xinli_core::TimeUnit;

fn t(zh: &str, en: &str) -> Text {
    Text::new(zh, en)
}

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 && part.is_finite() {
        part / whole
    } else {
        f64::NAN
    }
}

// ---------------------------------------------------------------------------------------------
// Overview

/// The headline numbers of a dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct Overview {
    pub customers: u64,
    pub transactions: u64,
    pub revenue: f64,
    /// Currency symbol for money values (`¥`, `$`, `£`, or empty).
    pub currency: String,
    /// Share of customers with at least two transactions, in [0, 1].
    pub repeat_rate: f64,
    /// First and last transaction dates, as they should be shown (e.g. `2010-12-01`).
    pub first_date: String,
    pub last_date: String,
    /// The customer-base model chosen, if any.
    pub selected_model: Option<String>,
    pub time_unit: TimeUnit,
}

/// Overview key figures and a one-paragraph summary.
pub fn overview(o: &Overview) -> Section {
    let aov = share(o.revenue, o.transactions as f64);
    let per_customer = share(o.revenue, o.customers as f64);
    let money = |v: f64| format::money(v, &o.currency, if v.abs() >= 1000.0 { 0 } else { 2 });
    let mut figs = vec![
        KeyFigure::new(t("客户数", "Customers"), format::int(o.customers)),
        KeyFigure::new(t("交易数", "Transactions"), format::int(o.transactions))
            .note(Text::new(format!("人均 {} 笔", format::num(share(o.transactions as f64, o.customers as f64), 2)), format!("{} per customer", format::num(share(o.transactions as f64, o.customers as f64), 2)))),
        KeyFigure::new(t("总收入", "Revenue"), money(o.revenue)).note(Text::new(format!("人均 {}", money(per_customer)), format!("{} per customer", money(per_customer)))),
        KeyFigure::new(t("客单价", "Average order value"), money(aov)),
        KeyFigure::new(t("复购率", "Repeat rate"), format::pct(o.repeat_rate, 1)).note(t("至少购买两次的客户占比", "customers with 2+ purchases")),
        KeyFigure::new(t("数据期间", "Date range"), format!("{} – {}", o.first_date, o.last_date)),
    ];
    if let Some(m) = &o.selected_model {
        figs.push(KeyFigure::new(t("所选模型", "Selected model"), m.clone()));
    }
    figs.push(KeyFigure::new(t("时间单位", "Time unit"), o.time_unit.name()).note(labels::time_unit(o.time_unit).map(|l, s| match l {
        crate::Lang::Zh => format!("模型中的时间以{s}计"),
        crate::Lang::En => format!("model time is measured in {s}"),
    })));
    let summary = Text::new(
        format!(
            "{} 至 {} 期间，{} 位客户完成了 {} 笔交易，总收入 {}。其中 {} 的客户购买了两次或以上。",
            o.first_date,
            o.last_date,
            format::int(o.customers),
            format::int(o.transactions),
            money(o.revenue),
            format::pct(o.repeat_rate, 1)
        ),
        format!(
            "From {} to {}, {} customers made {} transactions worth {} in total. {} of them bought more than once.",
            o.first_date,
            o.last_date,
            format::int(o.customers),
            format::int(o.transactions),
            money(o.revenue),
            format::pct(o.repeat_rate, 1)
        ),
    );
    Section::new("overview", t("概览", "Overview")).block(Block::KeyFigures(figs)).block(Block::Paragraph(summary))
}

// ---------------------------------------------------------------------------------------------
// RFM segments

/// One RFM segment, summarised.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentSummary {
    /// The English segment key (`Champions`, `Loyal`, `Potential loyalist`, `New`, `At risk`,
    /// `Can't lose`, `Hibernating`, `Lost`); other names are shown as they are.
    pub name: String,
    pub customers: u64,
    pub revenue: f64,
    pub mean_recency: f64,
    pub mean_frequency: f64,
    pub mean_monetary: f64,
}

/// RFM segments: a treemap sized by customers, customers-vs-revenue shares, and a table with
/// advice per segment. `unit` is the unit recency is measured in.
pub fn rfm_segments(segments: &[SegmentSummary], currency: &str, unit: TimeUnit) -> Section {
    let mut segs: Vec<&SegmentSummary> = segments.iter().collect();
    let rank = |n: &str| labels::SEGMENTS.iter().position(|s| labels::segment(s) == labels::segment(n)).unwrap_or(usize::MAX);
    segs.sort_by_key(|s| rank(&s.name));
    let total_c: f64 = segs.iter().map(|s| s.customers as f64).sum();
    let total_r: f64 = segs.iter().map(|s| if s.revenue.is_finite() { s.revenue } else { 0.0 }).sum();
    let name = |s: &SegmentSummary| labels::segment(&s.name);

    let tiles: Vec<Tile> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let c = format::int(s.customers);
            let rs = format::pct(share(s.revenue, total_r), 1);
            Tile::new(name(s), s.customers as f64)
                .line(Text::new(format!("{c} 位客户（{}）", format::pct(share(s.customers as f64, total_c), 1)), format!("{c} customers ({})", format::pct(share(s.customers as f64, total_c), 1))))
                .line(Text::new(format!("收入占比 {rs}"), format!("{rs} of revenue")))
                .color(labels::segment_color(&s.name, i))
        })
        .collect();
    let tree = chart::treemap(&ChartSpec::new(t("RFM 客户分群", "RFM customer segments")).size(900.0, 420.0), &tiles);

    let cats: Vec<Text> = segs.iter().map(|s| name(s)).collect();
    let shares = chart::bars(
        &ChartSpec::new(t("客户占比与收入占比", "Share of customers vs share of revenue"))
            .y_format(NumFormat::Percent(1))
            .y_label(t("占比", "Share"))
            .size(900.0, 340.0),
        &cats,
        &[
            BarSeries::new(t("客户占比", "Customers"), segs.iter().map(|s| share(s.customers as f64, total_c)).collect()).color("#94a3b8"),
            BarSeries::new(t("收入占比", "Revenue"), segs.iter().map(|s| share(s.revenue, total_r)).collect()).color("#2563eb"),
        ],
        Orientation::Horizontal,
    );

    let u = labels::time_unit(unit);
    let mut table = Table::new(vec![
        t("分群", "Segment"),
        t("客户数", "Customers"),
        t("客户占比", "% customers"),
        Text::new(format!("收入（{currency}）"), format!("Revenue ({currency})")).map(|_, s| s.replace("（）", "").replace(" ()", "")),
        t("收入占比", "% revenue"),
        u.map(|l, s| match l {
            crate::Lang::Zh => format!("平均最近度（{s}）"),
            crate::Lang::En => format!("Mean recency ({s})"),
        }),
        t("平均频次", "Mean frequency"),
        t("平均客单额", "Mean monetary"),
    ])
    .numeric(&[1, 2, 3, 4, 5, 6, 7]);
    for s in &segs {
        table.push_row(vec![
            name(s),
            format::int(s.customers).into(),
            format::pct(share(s.customers as f64, total_c), 1).into(),
            format::num(s.revenue, 0).into(),
            format::pct(share(s.revenue, total_r), 1).into(),
            format::num(s.mean_recency, 1).into(),
            format::num(s.mean_frequency, 2).into(),
            format::money(s.mean_monetary, currency, 2).into(),
        ]);
    }
    let mut section = Section::new("segments", t("客户分群（RFM）", "Customer segments (RFM)")).intro(t(
        "按最近一次购买（R）、购买频次（F）和消费金额（M）把客户分成几类。方块面积代表客户数。",
        "Customers grouped by how recently (R), how often (F) and how much (M) they buy. Tile area is the number of customers.",
    ));
    section.push(Block::chart(tree, t("方块大小 = 客户数；标注收入占比。", "Tile size = customers; labels show each segment's share of revenue.")));
    section.push(Block::chart(shares, t("收入占比高于客户占比的分群贡献了超出其人数比例的收入。", "Segments whose revenue bar is longer than their customer bar bring in more than their share of revenue.")));
    section.push(Block::Table(table));
    let mut advice = Table::new(vec![t("分群", "Segment"), t("特征与建议", "Who they are and what to do")]);
    for s in &segs {
        if let Some(a) = labels::segment_advice(&s.name) {
            advice.push_row(vec![name(s), a]);
        }
    }
    if !advice.rows.is_empty() {
        section.push(Block::Table(advice));
    }
    section
}

// ---------------------------------------------------------------------------------------------
// CLV distribution

/// The distribution of predicted customer lifetime value: histogram (log scale when skewed),
/// percentiles and headline figures. `horizon` says what the CLV covers (e.g. "next 12 months").
pub fn clv_distribution(values: &[f64], currency: &str, horizon: Option<&Text>) -> Section {
    const QS: [f64; 7] = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0];
    let dist = Dist::new(values, false);
    let n = dist.n;
    let money = |v: f64| format::money(v, currency, 2);
    let total = dist.sum;
    let mean = share(total, n as f64);
    let quantiles = dist.quantiles(values, &QS);
    let (median, p99, max) = (quantiles[2], quantiles[5], quantiles[6]);
    let positive = n - dist.counts[0] as usize;
    let skewed = n > 0 && positive as f64 >= 0.9 * n as f64 && median > 0.0 && (p99 / median > 15.0 || max / median > 100.0);
    let top10 = share(dist.top_sums(values, &[(n as f64 * 0.1).round() as usize])[0], total);

    let x_label = Text::new(format!("客户终身价值（{currency}）"), format!("Customer lifetime value ({currency})")).map(|_, s| s.replace("（）", "").replace(" ()", ""));
    let spec = ChartSpec::new(t("客户终身价值（CLV）分布", "Distribution of customer lifetime value (CLV)"))
        .x_label(if skewed { x_label.map(|l, s| match l { crate::Lang::Zh => format!("{s}，对数坐标"), crate::Lang::En => format!("{s}, log scale") }) } else { x_label })
        .y_label(t("客户数", "Customers"))
        .x_format(NumFormat::Money(currency.to_string()))
        .log_x(skewed)
        .size(560.0, 360.0);
    // Skewed data: reuse the fine log bins computed for the quantiles (no further pass).
    let hist = match (skewed, dist.log_histogram(32)) {
        (true, Some((edges, counts, nonpositive))) => {
            let note = (nonpositive > 0).then(|| {
                Text::new(format!("{} 个 ≤ 0 的值未显示（对数坐标）", format::int(nonpositive)), format!("{} values ≤ 0 not shown (log scale)", format::int(nonpositive)))
            });
            chart::histogram_binned(&spec, &edges, &counts, note.as_ref())
        }
        _ => chart::histogram(&spec, values, 40),
    };

    let mut figs = vec![
        KeyFigure::new(t("预测总价值", "Total predicted value"), format::money(total, currency, 0)),
        KeyFigure::new(t("平均 CLV", "Mean CLV"), money(mean)),
        KeyFigure::new(t("CLV 中位数", "Median CLV"), money(median)),
        KeyFigure::new(t("前 10% 客户的价值占比", "Value from top 10%"), format::pct(top10, 1)).note(t("价值最高的 10% 客户", "the most valuable tenth of customers")),
    ];
    if let Some(h) = horizon {
        figs[0].note = Some(h.clone());
    }
    let clv_header = if currency.is_empty() { Text::same("CLV") } else { Text::new(format!("CLV（{currency}）"), format!("CLV ({currency})")) };
    let mut table = Table::new(vec![t("统计量", "Statistic"), clv_header]).numeric(&[1]);
    for (q, v) in QS.iter().zip(&quantiles).take(6) {
        let name = if *q == 0.5 { Text::new("P50（中位数）", "P50 (median)") } else { Text::same(format!("P{}", (q * 100.0).round())) };
        table.push_row(vec![name, money(*v).into()]);
    }
    table.push_row(vec![t("最大值", "Max"), money(max).into()]);
    table.push_row(vec![t("平均值", "Mean"), money(mean).into()]);
    table.push_row(vec![t("客户数", "Customers"), format::int(n as u64).into()]);

    let mut s = Section::new("clv", t("客户终身价值", "Customer lifetime value")).intro(t(
        "每位客户在未来预计带来的价值。大多数店铺里，少数客户贡献了大部分价值。",
        "The value each customer is expected to bring in the future. In most shops a few customers account for most of it.",
    ));
    s.push(Block::KeyFigures(figs));
    s.push(Block::Columns(vec![
        Block::chart(hist, if skewed { t("横轴为对数刻度：每一格覆盖的价值范围是前一格的固定倍数。", "Log-scale x axis: each bar covers a constant multiple of the previous one.") } else { Text::default() }),
        Block::Table(table),
    ]));
    if n < values.len() {
        s.push(Block::note(Text::new(format!("{} 个无效（非数值）的 CLV 已忽略。", format::int((values.len() - n) as u64)), format!("{} invalid (non-numeric) CLV values were ignored.", format::int((values.len() - n) as u64)))));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// P(alive)

/// P(alive) against recency: a scatter of `(time since last purchase, P(alive))` per customer,
/// coloured by number of repeat purchases when `repeat_purchases` is given (same order).
pub fn p_alive_vs_recency(pairs: &[(f64, f64)], repeat_purchases: Option<&[u32]>, unit: TimeUnit) -> Section {
    let names = [t("0 次复购", "0 repeats"), t("1 次复购", "1 repeat"), t("2–3 次复购", "2–3 repeats"), t("4 次及以上", "4+ repeats")];
    let groups: Option<Vec<u8>> = repeat_purchases.map(|r| {
        r.iter()
            .map(|&k| match k {
                0 => 0,
                1 => 1,
                2 | 3 => 2,
                _ => 3,
            })
            .collect()
    });
    let u = labels::time_unit(unit);
    let spec = ChartSpec::new(t("客户仍活跃的概率 vs 距上次购买时间", "P(alive) vs time since last purchase"))
        .x_label(u.map(|l, s| match l {
            crate::Lang::Zh => format!("距上次购买（{s}）"),
            crate::Lang::En => format!("Time since last purchase ({s})"),
        }))
        .y_label(t("仍活跃概率 P(alive)", "P(alive)"))
        .y_format(NumFormat::Percent(0))
        .y_domain(0.0, 1.0);
    let colors = match &groups {
        Some(g) => PointColors::Groups { index: g, names: &names },
        None => PointColors::Single,
    };
    let svg = chart::scatter(&spec, pairs, colors);
    let (mut n, mut sum, mut likely, mut gone) = (0usize, 0.0, 0usize, 0usize);
    for &(_, p) in pairs {
        if p.is_finite() {
            n += 1;
            sum += p;
            likely += (p >= 0.5) as usize;
            gone += (p < 0.2) as usize;
        }
    }
    let n = n as f64;
    let (mean, likely, gone) = (share(sum, n), share(likely as f64, n), share(gone as f64, n));
    let mut s = Section::new("p-alive", t("客户活跃度", "Are customers still active?")).intro(t(
        "模型估计每位客户仍然“活跃”（还会再来购买）的概率。距上次购买越久，概率通常越低；购买次数多的客户掉得更快，因为他们的沉默更反常。",
        "The model estimates the probability that each customer is still \u{201c}alive\u{201d} (will buy again). It usually falls the longer a customer has been silent — faster for frequent buyers, whose silence is more unusual.",
    ));
    s.push(Block::KeyFigures(vec![
        KeyFigure::new(t("平均活跃概率", "Mean P(alive)"), format::pct(mean, 1)),
        KeyFigure::new(t("可能仍活跃", "Probably active"), format::pct(likely, 1)).note(t("P(alive) ≥ 50%", "P(alive) ≥ 50%")),
        KeyFigure::new(t("可能已流失", "Probably gone"), format::pct(gone, 1)).note(t("P(alive) < 20%", "P(alive) < 20%")),
    ]));
    s.push(Block::chart(svg, t("每个点是一位客户。", "Each dot is a customer.")));
    s
}

// ---------------------------------------------------------------------------------------------
// Cohorts

/// One acquisition cohort.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortRow {
    /// E.g. `2011-01`.
    pub label: String,
    pub size: u64,
    /// `retention[k]`: share of the cohort buying in month `k` after its first purchase, in
    /// [0, 1]; `None` where the month is not observed yet.
    pub retention: Vec<Option<f64>>,
}

/// Cohort retention as a heatmap (rows = acquisition month, columns = months since the first
/// purchase).
pub fn cohort_retention(rows: &[CohortRow]) -> Section {
    let ncols = rows.iter().map(|r| r.retention.len()).max().unwrap_or(0);
    let row_labels: Vec<Text> =
        rows.iter().map(|r| Text::new(format!("{}（{} 人）", r.label, format::int(r.size)), format!("{} ({})", r.label, format::int(r.size)))).collect();
    let col_labels: Vec<Text> = (0..ncols).map(|k| Text::same(k.to_string())).collect();
    let values: Vec<Vec<Option<f64>>> = rows.iter().map(|r| r.retention.clone()).collect();
    // Month 0 is 100% by definition: scale colours to the later months so they stay readable.
    let later_max = values.iter().flat_map(|r| r.iter().skip(1)).flatten().copied().filter(|v| v.is_finite()).fold(0.0f64, f64::max);
    let mut spec = ChartSpec::new(t("同期群留存率", "Cohort retention"))
        .x_label(t("距首次购买的月数", "Months since first purchase"))
        .y_label(t("首次购买月份（人数）", "First-purchase month (customers)"))
        .y_format(NumFormat::Percent(0))
        .size(960.0, 400.0);
    if later_max > 0.0 {
        spec = spec.y_domain(0.0, (later_max * 1.05).min(1.0));
    }
    let svg = chart::heatmap(&spec, &row_labels, &col_labels, &values);
    // Size-weighted average retention at a few offsets.
    let weighted = |k: usize| -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for r in rows {
            if let Some(Some(v)) = r.retention.get(k) {
                if v.is_finite() {
                    num += v * r.size as f64;
                    den += r.size as f64;
                }
            }
        }
        share(num, den)
    };
    let figs: Vec<KeyFigure> = [1usize, 3, 6, 12]
        .iter()
        .filter(|&&k| k < ncols)
        .map(|&k| KeyFigure::new(Text::new(format!("第 {k} 个月留存"), format!("Month-{k} retention")), format::pct(weighted(k), 1)).note(t("按同期群人数加权", "weighted by cohort size")))
        .collect();
    let mut s = Section::new("cohorts", t("同期群留存", "Cohort retention")).intro(t(
        "按首次购买月份把客户分组，看每组在之后各月还有多少人回来购买。颜色越深，留存越高；空白表示该月尚未观察到。",
        "Customers grouped by the month of their first purchase: how many come back to buy in each later month. Darker = higher retention; blank = not observed yet.",
    ));
    if !figs.is_empty() {
        s.push(Block::KeyFigures(figs));
    }
    s.push(Block::chart(svg, t("第 0 个月为首次购买当月（100%），颜色按之后各月的范围缩放。", "Month 0 is the month of the first purchase (100%); colours are scaled to the later months.")));
    s
}

// ---------------------------------------------------------------------------------------------
// Pareto

/// Revenue concentration: the cumulative share of revenue against the cumulative share of
/// customers (most valuable first), with the share of revenue from the top 20% marked.
/// `values` are per-customer revenue (or value), in any order; negatives count as zero.
pub fn pareto(values: &[f64], currency: &str) -> Section {
    let dist = Dist::new(values, true);
    let n = dist.n;
    let total = dist.sum;
    let mut s = Section::new("pareto", t("收入集中度", "Revenue concentration")).intro(t(
        "把客户按价值从高到低排列，看前百分之多少的客户贡献了百分之多少的收入（帕累托 / 洛伦兹曲线）。",
        "Customers sorted from most to least valuable: what share of revenue comes from the top share of customers (Pareto / Lorenz curve).",
    ));
    let spec = ChartSpec::new(t("累计收入占比", "Cumulative share of revenue"))
        .x_label(t("客户累计占比（按价值从高到低）", "Cumulative share of customers (most valuable first)"))
        .y_label(t("收入累计占比", "Cumulative share of revenue"))
        .x_format(NumFormat::Percent(0))
        .y_format(NumFormat::Percent(0))
        .x_domain(0.0, 1.0)
        .y_domain(0.0, 1.0)
        .size(760.0, 420.0);
    if n == 0 || total <= 0.0 {
        s.push(Block::chart(chart::empty(&spec), Text::default()));
        return s;
    }
    let pts = dist.curve_from_top();
    let k = |q: f64| ((n as f64) * q).round() as usize;
    let tops = dist.top_sums(values, &[k(0.01), k(0.1), k(0.2)]);
    let (top1, top10, top20) = (tops[0] / total, tops[1] / total, tops[2] / total);
    let need80 = dist.count_to_reach(values, 0.8 * total) as f64 / n as f64;
    let p20 = format::pct(top20, 0);
    let svg = chart::line(
        &spec,
        &[
            Series::new(t("实际分布", "Your customers"), pts).color("#2563eb").filled(),
            Series::new(t("完全平均", "Perfect equality"), vec![(0.0, 0.0), (1.0, 1.0)]).color("#9ca3af").dashed(),
        ],
        &[Marker::new(0.2, top20, Text::new(format!("前 20% 客户 → {p20} 收入"), format!("Top 20% → {p20} of revenue")))],
    );
    s.push(Block::KeyFigures(vec![
        KeyFigure::new(t("前 1% 客户的收入占比", "Revenue from top 1%"), format::pct(top1, 1)),
        KeyFigure::new(t("前 10% 客户的收入占比", "Revenue from top 10%"), format::pct(top10, 1)),
        KeyFigure::new(t("前 20% 客户的收入占比", "Revenue from top 20%"), format::pct(top20, 1)).note(t("经典的 80/20 法则对应 80%", "the classic 80/20 rule would be 80%")),
        KeyFigure::new(t("贡献 80% 收入的客户占比", "Customers bringing 80% of revenue"), format::pct(need80, 1)),
    ]));
    s.push(Block::chart(
        svg,
        Text::new(
            format!("曲线越靠左上，收入越集中。总收入 {}，{} 位客户。", format::money(total, currency, 0), format::int(n as u64)),
            format!("The closer the curve hugs the top left, the more concentrated revenue is. Total revenue {}, {} customers.", format::money(total, currency, 0), format::int(n as u64)),
        ),
    ));
    s
}

// ---------------------------------------------------------------------------------------------
// Models

/// One fitted customer-base model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelFit {
    /// E.g. `BG/NBD`, `Pareto/NBD`, `MBG/NBD`.
    pub name: String,
    /// Parameter names and fitted values, e.g. `("r", 0.243)`, `("alpha", 4.41)`.
    pub params: Vec<(String, f64)>,
    pub log_likelihood: f64,
    pub converged: bool,
    /// Set when a parameter ended on a bound (or another caveat about the fit).
    pub boundary_note: Option<Text>,
}

/// The fitted models and which one was chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSelection {
    pub fits: Vec<ModelFit>,
    /// The `name` of the chosen fit.
    pub selected: String,
    pub reason: Text,
}

fn param_name(p: &str) -> String {
    match p {
        "alpha" => "α".into(),
        "beta" => "β".into(),
        "gamma" => "γ".into(),
        "delta" => "δ".into(),
        other => other.to_string(),
    }
}

/// Fitted parameters per model, the selected model and why.
pub fn models(sel: &ModelSelection) -> Section {
    let mut table = Table::new(vec![
        t("模型", "Model"),
        t("参数", "Parameters"),
        t("对数似然", "Log-likelihood"),
        Text::same("AIC"),
        t("已收敛", "Converged"),
        t("备注", "Notes"),
    ])
    .numeric(&[2, 3]);
    for (i, m) in sel.fits.iter().enumerate() {
        let params = m.params.iter().map(|(k, v)| format!("{} = {}", param_name(k), format::auto(*v))).collect::<Vec<_>>().join(", ");
        let aic = 2.0 * m.params.len() as f64 - 2.0 * m.log_likelihood;
        let mut name = Text::same(m.name.clone());
        if m.name == sel.selected {
            name = name.join(" ", &t("（已选）", "(selected)"));
            table.highlight.push(i);
        }
        table.push_row(vec![
            name,
            params.into(),
            format::num(m.log_likelihood, 2).into(),
            format::num(aic, 2).into(),
            if m.converged { labels::yes_no(true) } else { t("否 ⚠", "no ⚠") },
            m.boundary_note.clone().unwrap_or_default(),
        ]);
    }
    let mut s = Section::new("models", t("模型", "Models")).intro(t(
        "用客户的购买记录拟合几种“客户基数”模型（它们预测谁还会回来、会买几次），再选出最合适的一个。AIC 越小越好。",
        "Several customer-base models (which predict who will come back and how often) are fitted to the purchase history, and the best one is chosen. Lower AIC is better.",
    ));
    s.push(Block::KeyFigures(vec![KeyFigure::new(t("所选模型", "Selected model"), sel.selected.clone()).note(sel.reason.clone())]));
    s.push(Block::Table(table));
    let bad: Vec<&str> = sel.fits.iter().filter(|m| !m.converged).map(|m| m.name.as_str()).collect();
    if !bad.is_empty() {
        let names = bad.join(", ");
        s.push(Block::note(Text::new(
            format!("以下模型的拟合未收敛，结果仅供参考：{names}。"),
            format!("These fits did not converge; treat their results with care: {names}."),
        )));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Holdout validation

/// Customers grouped by the number of repeat purchases in the calibration period.
#[derive(Clone, Debug, PartialEq)]
pub struct HoldoutBucket {
    /// E.g. `0`, `1`, …, `7+`.
    pub label: String,
    pub customers: u64,
    /// Mean repeat purchases per customer in the holdout period: predicted and actual.
    pub predicted: f64,
    pub actual: f64,
}

/// How well the model predicted a period it did not see.
#[derive(Clone, Debug, PartialEq)]
pub struct Holdout {
    pub buckets: Vec<HoldoutBucket>,
    /// Total repeat purchases in the holdout period.
    pub predicted_total: f64,
    pub actual_total: f64,
    /// Mean absolute error per customer.
    pub mae: f64,
    /// Named AUCs, e.g. (`"购买预测 AUC"`, `"AUC: will buy again"`) → 0.81.
    pub aucs: Vec<(Text, f64)>,
    /// Length of the holdout period in `unit`s.
    pub length: Option<f64>,
    pub unit: TimeUnit,
}

/// Holdout validation: predicted vs actual repeat purchases by calibration frequency.
pub fn holdout(h: &Holdout) -> Section {
    let cats: Vec<Text> = h.buckets.iter().map(|b| Text::same(b.label.clone())).collect();
    let svg = chart::bars(
        &ChartSpec::new(t("预测 vs 实际：验证期人均复购次数", "Predicted vs actual repeat purchases per customer (holdout)"))
            .x_label(t("校准期复购次数", "Repeat purchases in calibration period"))
            .y_label(t("验证期人均复购次数", "Mean repeat purchases in holdout"))
            .y_format(NumFormat::Number)
            .size(560.0, 360.0),
        &cats,
        &[
            BarSeries::new(t("预测", "Predicted"), h.buckets.iter().map(|b| b.predicted).collect()).color("#2563eb"),
            BarSeries::new(t("实际", "Actual"), h.buckets.iter().map(|b| b.actual).collect()).color("#f59e0b"),
        ],
        Orientation::Vertical,
    );
    let err = share(h.predicted_total - h.actual_total, h.actual_total);
    let mut figs = vec![
        KeyFigure::new(t("预测复购总数", "Predicted repeat purchases"), format::num(h.predicted_total, 0)),
        KeyFigure::new(t("实际复购总数", "Actual repeat purchases"), format::int(h.actual_total.round() as i64)).note(Text::new(
            format!("预测偏差 {}{}", if err > 0.0 { "+" } else { "" }, format::pct(err, 1)),
            format!("prediction off by {}{}", if err > 0.0 { "+" } else { "" }, format::pct(err, 1)),
        )),
        KeyFigure::new(t("平均绝对误差", "Mean absolute error"), format::num(h.mae, 3)).note(t("每位客户的复购次数", "repeat purchases per customer")),
    ];
    for (name, auc) in &h.aucs {
        figs.push(KeyFigure::new(name.clone(), format::num(*auc, 3)).note(t("0.5 = 随机，1 = 完美", "0.5 = chance, 1 = perfect")));
    }
    if let Some(len) = h.length {
        let u = labels::time_unit(h.unit);
        figs.push(KeyFigure::new(t("验证期长度", "Holdout length"), format::auto(len)).note(u));
    }
    let mut table = Table::new(vec![t("校准期复购次数", "Calibration repeats"), t("客户数", "Customers"), t("预测（人均）", "Predicted (mean)"), t("实际（人均）", "Actual (mean)")]).numeric(&[1, 2, 3]);
    for b in &h.buckets {
        table.push_row(vec![b.label.clone().into(), format::int(b.customers).into(), format::num(b.predicted, 2).into(), format::num(b.actual, 2).into()]);
    }
    let mut s = Section::new("holdout", t("预测效果验证", "Holdout validation")).intro(t(
        "把最后一段时间的数据留出来不给模型看，再比较模型的预测和真实发生的购买。两组柱子越接近，预测越可信。",
        "The last part of the data was hidden from the model; its predictions are compared with what really happened. The closer the bar pairs, the more the predictions can be trusted.",
    ));
    s.push(Block::KeyFigures(figs));
    s.push(Block::Columns(vec![Block::chart(svg, Text::default()), Block::Table(table)]));
    s
}

// ---------------------------------------------------------------------------------------------
// Data quality

/// What happened to the rows of one input file.
#[derive(Clone, Debug, PartialEq)]
pub struct FileQuality {
    pub file: String,
    pub rows_read: u64,
    pub accepted: u64,
    /// Rows that could not be read (bad dates, amounts, ids) and were set aside.
    pub quarantined: u64,
    /// Valid rows left out on purpose (returns, cancelled orders, out-of-range dates, …).
    pub filtered: u64,
}

/// Per-file import counts, with a note when rows were quarantined (`quarantine_path` says where
/// they are).
pub fn data_quality(files: &[FileQuality], quarantine_path: Option<&str>) -> Section {
    let mut table = Table::new(vec![t("文件", "File"), t("读取行数", "Rows read"), t("已接受", "Accepted"), t("已隔离", "Quarantined"), t("已过滤", "Filtered"), t("接受率", "Accepted %")])
        .numeric(&[1, 2, 3, 4, 5]);
    let (mut r, mut a, mut q, mut fl) = (0u64, 0u64, 0u64, 0u64);
    for f in files {
        r += f.rows_read;
        a += f.accepted;
        q += f.quarantined;
        fl += f.filtered;
        table.push_row(vec![
            f.file.clone().into(),
            format::int(f.rows_read).into(),
            format::int(f.accepted).into(),
            format::int(f.quarantined).into(),
            format::int(f.filtered).into(),
            format::pct(share(f.accepted as f64, f.rows_read as f64), 1).into(),
        ]);
    }
    if files.len() > 1 {
        table.push_row(vec![
            t("合计", "Total"),
            format::int(r).into(),
            format::int(a).into(),
            format::int(q).into(),
            format::int(fl).into(),
            format::pct(share(a as f64, r as f64), 1).into(),
        ]);
        table.highlight.push(files.len());
    }
    let mut s = Section::new("data-quality", t("数据质量", "Data quality")).intro(t(
        "每个输入文件读取了多少行、有多少行进入分析。无法识别的行会被隔离（不会静默丢弃），有意排除的行（如退货、取消的订单）计为已过滤。",
        "How many rows were read from each input file and how many made it into the analysis. Rows that could not be understood are quarantined (never silently dropped); rows left out on purpose (returns, cancelled orders) count as filtered.",
    ));
    s.push(Block::KeyFigures(vec![
        KeyFigure::new(t("读取行数", "Rows read"), format::int(r)),
        KeyFigure::new(t("已接受", "Accepted"), format::int(a)).note(Text::same(format::pct(share(a as f64, r as f64), 1))),
        KeyFigure::new(t("已隔离", "Quarantined"), format::int(q)),
        KeyFigure::new(t("已过滤", "Filtered"), format::int(fl)),
    ]));
    s.push(Block::Table(table));
    if q > 0 {
        let pct = format::pct(share(q as f64, r as f64), 2);
        let (wzh, wen) = match quarantine_path {
            Some(p) => (format!("，详见 {p}"), format!("; see {p}")),
            None => (String::new(), String::new()),
        };
        s.push(Block::note(Text::new(
            format!("{} 行（{pct}）因无法解析被隔离{wzh}。请检查这些行，修正后可重新运行分析。", format::int(q)),
            format!("{} rows ({pct}) could not be read and were quarantined{wen}. Check them, fix the source data if needed, and run the analysis again.", format::int(q)),
        )));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Timings

/// How long one pipeline stage took.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    pub stage: Text,
    pub seconds: f64,
}

impl Timing {
    pub fn new(stage: impl Into<Text>, duration: std::time::Duration) -> Self {
        Timing { stage: stage.into(), seconds: duration.as_secs_f64() }
    }
}

/// Run time per pipeline stage.
pub fn timings(stages: &[Timing]) -> Section {
    let total: f64 = stages.iter().map(|s| s.seconds).filter(|s| s.is_finite()).sum();
    let svg = chart::bars(
        &ChartSpec::new(t("各阶段耗时", "Time per stage")).y_label(t("秒", "seconds")).size(760.0, 120.0),
        &stages.iter().map(|s| s.stage.clone()).collect::<Vec<_>>(),
        &[BarSeries::new(t("耗时", "Time"), stages.iter().map(|s| s.seconds).collect()).color("#64748b")],
        Orientation::Horizontal,
    );
    Section::new("timings", t("运行时间", "Run time"))
        .block(Block::KeyFigures(vec![KeyFigure::new(t("总耗时", "Total time"), format!("{} s", format::num(total, 2)))]))
        .block(Block::chart(svg, Text::default()))
}
