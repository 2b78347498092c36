//! A complete sample report built from synthetic data, for previews, tests and benchmarks.

use crate::page::{Block, Report};
use crate::text::Text;
use crate::value_sections::*;
use xinli_core::TimeUnit;

/// A small deterministic random number generator (xorshift64*), so the demo needs no crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Synthetic per-customer data of a plausible online shop.
pub struct DemoData {
    pub clv: Vec<f64>,
    pub revenue: Vec<f64>,
    /// (weeks since last purchase, P(alive)).
    pub alive: Vec<(f64, f64)>,
    pub repeats: Vec<u32>,
}

/// `customers` synthetic customers (deterministic).
pub fn demo_data(customers: usize) -> DemoData {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut d = DemoData { clv: Vec::with_capacity(customers), revenue: Vec::with_capacity(customers), alive: Vec::with_capacity(customers), repeats: Vec::with_capacity(customers) };
    for _ in 0..customers {
        let repeats = (-(rng.next().max(1e-9)).ln() * 1.6).floor() as u32;
        let spend = (3.3 + 0.8 * rng.normal()).exp();
        let since_last = rng.next() * 52.0;
        let p = 1.0 / (1.0 + ((since_last - 40.0 / (1.0 + repeats as f64 * 0.6)) / 6.0).exp());
        d.revenue.push(spend * (1 + repeats) as f64);
        d.clv.push(spend * p * (0.4 + repeats as f64 * 0.9) * (0.5 + rng.next()));
        d.alive.push((since_last, if repeats == 0 { 1.0 } else { p }));
        d.repeats.push(repeats);
    }
    d
}

/// A full customer-value report with every chart type, from `customers` synthetic customers.
pub fn demo_report(customers: usize) -> Report {
    demo_report_from(&demo_data(customers))
}

/// [`demo_report`] from given synthetic data (to time report building apart from data generation).
pub fn demo_report_from(d: &DemoData) -> Report {
    let customers = d.clv.len();
    let revenue: f64 = d.revenue.iter().sum();
    let repeaters = d.repeats.iter().filter(|r| **r > 0).count();
    let n = customers.max(1) as f64;
    let transactions: u64 = d.repeats.iter().map(|r| *r as u64 + 1).sum();
    let seg = |name: &str, share: f64, rev_share: f64, r: f64, f: f64| SegmentSummary {
        name: name.into(),
        customers: (n * share).round() as u64,
        revenue: revenue * rev_share,
        mean_recency: r,
        mean_frequency: f,
        mean_monetary: revenue * rev_share / (n * share).max(1.0) / f.max(1.0),
    };
    let segments = vec![
        seg("Champions", 0.08, 0.38, 9.5, 7.8),
        seg("Loyal", 0.12, 0.22, 21.0, 4.1),
        seg("Potential loyalist", 0.13, 0.1, 18.0, 2.2),
        seg("New", 0.09, 0.03, 6.0, 1.0),
        seg("At risk", 0.14, 0.12, 64.0, 3.3),
        seg("Can't lose", 0.04, 0.07, 88.0, 5.9),
        seg("Hibernating", 0.18, 0.05, 120.0, 1.4),
        seg("Lost", 0.22, 0.03, 240.0, 1.1),
    ];
    let months = ["2011-01", "2011-02", "2011-03", "2011-04", "2011-05", "2011-06", "2011-07", "2011-08", "2011-09", "2011-10", "2011-11", "2011-12"];
    let mut rng = Rng(42);
    let cohorts: Vec<CohortRow> = months
        .iter()
        .enumerate()
        .map(|(i, m)| CohortRow {
            label: m.to_string(),
            size: (900.0 - 45.0 * i as f64 + 200.0 * rng.next()) as u64,
            retention: (0..months.len() - i).map(|k| Some(if k == 0 { 1.0 } else { 0.06 + 0.22 * (-(k as f64) / 5.0).exp() + 0.03 * rng.next() })).collect(),
        })
        .collect();
    let fit = |name: &str, params: &[(&str, f64)], ll: f64, converged: bool, note: Option<Text>| ModelFit {
        name: name.into(),
        params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        log_likelihood: ll,
        converged,
        boundary_note: note,
    };
    let buckets: Vec<HoldoutBucket> = (0..8)
        .map(|k| HoldoutBucket {
            label: if k == 7 { "7+".into() } else { k.to_string() },
            customers: (n * 0.55 * 0.6f64.powi(k)).round() as u64,
            predicted: 0.12 + 0.42 * k as f64,
            actual: 0.1 + 0.4 * k as f64 + 0.15 * (k as f64 * 1.7).sin(),
        })
        .collect();
    let mut report = Report::new(Text::new("客户价值分析报告", "Customer value report"))
        .subtitle(Text::new("示例店铺 · 演示数据", "Sample shop · demo data"))
        .generated_at("2024-05-01 14:03 UTC");
    report.push(overview(&Overview {
        customers: customers as u64,
        transactions,
        revenue,
        currency: "¥".into(),
        repeat_rate: repeaters as f64 / n,
        first_date: "2010-12-01".into(),
        last_date: "2011-12-09".into(),
        selected_model: Some("BG/NBD".into()),
        time_unit: TimeUnit::Weeks,
    }));
    report.push(rfm_segments(&segments, "¥", TimeUnit::Days));
    report.push(clv_distribution(&d.clv, "¥", Some(&Text::new("未来 52 周", "next 52 weeks"))));
    report.push(pareto(&d.revenue, "¥"));
    report.push(p_alive_vs_recency(&d.alive, Some(&d.repeats), TimeUnit::Weeks));
    report.push(cohort_retention(&cohorts));
    report.push(models(&ModelSelection {
        fits: vec![
            fit("BG/NBD", &[("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)], -9582.43, true, None),
            fit("Pareto/NBD", &[("r", 0.553), ("alpha", 10.58), ("s", 0.606), ("beta", 11.67)], -9594.98, true, None),
            fit("MBG/NBD", &[("r", 0.525), ("alpha", 6.183), ("a", 0.891), ("b", 1.614)], -9600.12, false, Some(Text::new("b 触及上界", "b hit its upper bound"))),
        ],
        selected: "BG/NBD".into(),
        reason: Text::new("对数似然最高，验证期误差最小", "highest log-likelihood and lowest holdout error"),
    }));
    report.push(holdout(&Holdout {
        predicted_total: buckets.iter().map(|b| b.predicted * b.customers as f64).sum(),
        actual_total: buckets.iter().map(|b| b.actual * b.customers as f64).sum(),
        buckets,
        mae: 0.412,
        aucs: vec![(Text::new("再次购买 AUC", "AUC: buys again"), 0.812), (Text::new("流失 AUC", "AUC: churn"), 0.774)],
        length: Some(39.0),
        unit: TimeUnit::Weeks,
    }));
    let mut dq = data_quality(
        &[
            FileQuality { file: "orders_2011.csv".into(), rows_read: 541_909, accepted: 397_924, quarantined: 1_454, filtered: 142_531 },
            FileQuality { file: "customers.csv".into(), rows_read: 4_372, accepted: 4_372, quarantined: 0, filtered: 0 },
        ],
        Some("out/quarantine.csv"),
    );
    dq.push(Block::paragraph(Text::new("已过滤的行主要是退货（数量为负）和没有客户编号的订单。", "Filtered rows are mostly returns (negative quantities) and orders without a customer id.")));
    report.push(dq);
    report.push(timings(&[
        Timing { stage: Text::new("读取数据", "Import"), seconds: 1.84 },
        Timing { stage: Text::new("汇总客户", "Customer summaries"), seconds: 0.21 },
        Timing { stage: Text::new("拟合模型", "Model fitting"), seconds: 2.67 },
        Timing { stage: Text::new("预测与评分", "Predictions and scores"), seconds: 0.48 },
        Timing { stage: Text::new("生成报告", "Report"), seconds: 0.03 },
    ]));
    report
}
