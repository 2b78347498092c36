use std::time::Instant;
use xinli_core::TimeUnit;
use xinli_report::chart::{self, BarSeries, ChartSpec, Marker, Orientation, PointColors, Series, Tile};
use xinli_report::format::NumFormat;
use xinli_report::value_sections::*;
use xinli_report::{demo, render, Block, KeyFigure, Lang, Report, Section, Table, Text};

/// Checks that tags are balanced (void elements and `<script>`/`<style>` bodies aside) and returns
/// the list of problems.
fn tag_problems(html: &str) -> Vec<String> {
    const VOID: [&str; 6] = ["meta", "br", "img", "input", "link", "hr"];
    let mut stack: Vec<String> = Vec::new();
    let mut problems = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unterminated tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name.trim() => {}
                other => problems.push(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let name: String = tag.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        if tag.ends_with('/') || VOID.contains(&name.as_str()) {
            continue;
        }
        if name == "script" || name == "style" {
            let close = format!("</{name}>");
            let j = rest.find(&close).expect("unclosed script/style");
            rest = &rest[j + close.len()..];
            continue;
        }
        stack.push(name);
    }
    if !stack.is_empty() {
        problems.push(format!("unclosed: {stack:?}"));
    }
    problems
}

/// The tags of a page (the text between `<` and `>`); escaped user text has no `<`.
fn tags(html: &str) -> impl Iterator<Item = &str> {
    html.split('<').skip(1).map(|t| t.split('>').next().unwrap_or(""))
}

fn assert_offline(html: &str) {
    assert!(!html.contains("http://"), "page mentions http://");
    assert!(!html.contains("https://"), "page mentions https://");
    assert!(!html.contains("url("), "page has a CSS url()");
    assert!(!html.contains("@import"));
    for tag in tags(html) {
        // Attribute values are quoted and escaped: only look at what is outside the quotes.
        let parts: Vec<&str> = tag.split('"').collect();
        for (i, part) in parts.iter().enumerate().step_by(2) {
            let lower = part.to_ascii_lowercase();
            assert!(!lower.contains("src="), "tag with src: <{tag}>");
            assert!(!lower.split_whitespace().any(|w| w.starts_with("on")), "tag with an event handler: <{tag}>");
            if lower.ends_with("href=") {
                assert!(parts.get(i + 1).is_some_and(|v| v.starts_with('#')), "non-local href: <{tag}>");
            }
        }
    }
}

#[test]
fn demo_report_has_every_chart_and_is_self_contained() {
    let report = demo::demo_report(3_000);
    for lang in [Lang::Zh, Lang::En] {
        let html = render(&report, lang);
        assert_offline(&html);
        assert_eq!(tag_problems(&html), Vec::<String>::new());
        assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
        for kind in ["histogram", "bars", "line", "scatter", "heatmap", "treemap"] {
            assert!(html.contains(&format!("chart-{kind}\"")), "missing {kind}");
        }
        // Both languages are in the page whichever opens first.
        for s in ["客户终身价值", "Customer lifetime value", "冠军客户", "Champions", "同期群留存", "Cohort retention", "已流失", "Lost"] {
            assert!(html.contains(s), "missing {s}");
        }
        assert!(html.contains(&format!("data-lang=\"{}\"", lang.code())));
        // Thousands separators.
        assert!(html.contains("541,909"));
        // Exactly one script: ours.
        assert_eq!(html.matches("<script").count(), 1);
        // Table of contents links to every section.
        for id in ["overview", "segments", "clv", "pareto", "p-alive", "cohorts", "models", "holdout", "data-quality", "timings"] {
            assert!(html.contains(&format!("href=\"#{id}\"")) && html.contains(&format!("id=\"{id}\"")), "{id}");
        }
    }
}

const EVIL: &str = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>";

#[test]
fn user_strings_cannot_inject_markup() {
    let evil = || Text::new(EVIL, EVIL);
    let seg = SegmentSummary { name: EVIL.into(), customers: 10, revenue: 100.0, mean_recency: 1.0, mean_frequency: 2.0, mean_monetary: 3.0 };
    let mut report = Report::new(evil()).subtitle(evil()).generated_at(EVIL);
    report.push(rfm_segments(&[seg.clone(), SegmentSummary { name: "Champions".into(), ..seg }], EVIL, TimeUnit::Days));
    report.push(data_quality(&[FileQuality { file: EVIL.into(), rows_read: 10, accepted: 8, quarantined: 2, filtered: 0 }], Some(EVIL)));
    report.push(models(&ModelSelection {
        fits: vec![ModelFit { name: EVIL.into(), params: vec![(EVIL.into(), 1.0)], log_likelihood: -1.0, converged: false, boundary_note: Some(evil()) }],
        selected: EVIL.into(),
        reason: evil(),
    }));
    report.push(cohort_retention(&[CohortRow { label: EVIL.into(), size: 5, retention: vec![Some(1.0), Some(0.2)] }]));
    report.push(timings(&[Timing { stage: evil(), seconds: 1.0 }]));
    report.push(overview(&Overview {
        customers: 1,
        transactions: 1,
        revenue: 1.0,
        currency: EVIL.into(),
        repeat_rate: 0.0,
        first_date: EVIL.into(),
        last_date: EVIL.into(),
        selected_model: Some(EVIL.into()),
        time_unit: TimeUnit::Days,
    }));
    let spec = ChartSpec::new(evil()).x_label(evil()).y_label(evil()).x_format(NumFormat::Money(EVIL.into()));
    let mut s = Section::new(EVIL, evil()).intro(evil());
    s.push(Block::chart(chart::histogram(&spec, &[1.0, 2.0, 3.0], 0), evil()));
    s.push(Block::chart(chart::bars(&spec, &[evil()], &[BarSeries::new(evil(), vec![1.0]).color(EVIL)], Orientation::Vertical), evil()));
    s.push(Block::chart(chart::line(&spec, &[Series::new(evil(), vec![(0.0, 1.0), (1.0, 2.0)]).color(EVIL)], &[Marker::new(0.5, 1.5, evil())]), evil()));
    s.push(Block::chart(chart::scatter(&spec, &[(1.0, 1.0)], PointColors::Groups { index: &[0], names: &[evil()] }), evil()));
    s.push(Block::chart(chart::heatmap(&spec, &[evil()], &[evil()], &[vec![Some(0.5)]]), evil()));
    s.push(Block::chart(chart::treemap(&spec, &[Tile::new(evil(), 1.0).line(evil()).color(EVIL)]), evil()));
    s.push(Block::Table(Table::new(vec![evil()]).row(vec![evil()]).caption(evil())));
    s.push(Block::KeyFigures(vec![KeyFigure::new(evil(), EVIL).note(evil())]));
    s.push(Block::Note(evil()));
    s.push(Block::Columns(vec![Block::Paragraph(evil())]));
    report.push(s);
    for lang in [Lang::Zh, Lang::En] {
        let html = render(&report, lang);
        assert_eq!(html.matches("<script").count(), 1, "a <script> got through");
        assert!(!html.contains("<img"), "an <img> got through");
        assert!(html.contains("&lt;script&gt;"));
        assert_offline(&html);
        assert_eq!(tag_problems(&html), Vec::<String>::new());
    }
}

#[test]
fn empty_and_non_finite_data_never_panic() {
    let spec = ChartSpec::new(Text::new("图", "Chart")).x_label("x").y_label("y");
    let nan = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
    let mut charts = vec![
        chart::histogram(&spec, &[], 10),
        chart::histogram(&spec, &nan, 10),
        chart::histogram(&spec.clone().log_x(true), &[0.0, -1.0, f64::NAN], 10),
        chart::bars(&spec, &[], &[], Orientation::Vertical),
        chart::bars(&spec, &[Text::same("a")], &[BarSeries::new("s", vec![f64::NAN])], Orientation::Horizontal),
        chart::line(&spec, &[], &[]),
        chart::area(&spec, &[Series::new("s", vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)])], &[Marker::new(f64::NAN, 0.0, "m")]),
        chart::scatter(&spec, &[], PointColors::Single),
        chart::scatter(&spec, &[(f64::NAN, 1.0)], PointColors::Single),
        chart::heatmap(&spec, &[], &[], &[]),
        chart::heatmap(&spec, &[Text::same("r")], &[Text::same("c")], &[vec![None]]),
        chart::treemap(&spec, &[]),
        chart::treemap(&spec, &[Tile::new("t", 0.0), Tile::new("u", f64::NAN)]),
    ];
    for c in &charts {
        assert!(c.as_str().contains("No data") && c.as_str().contains("暂无数据"), "{}", c.as_str());
    }
    // Degenerate but drawable data.
    charts = vec![
        chart::histogram(&spec, &[5.0; 100], 10),
        chart::histogram(&spec.clone().log_x(true), &[0.0, 3.0, 3.0, f64::NAN], 10),
        chart::histogram(&spec, &[1.0, 2.0, f64::NAN, 1e300], 0),
        chart::histogram(&spec.clone().x_domain(0.0, 10.0), &[-5.0, 1.0, 2.0, 50.0], 5),
        chart::bars(&spec, &[Text::same("a"), Text::same("b")], &[BarSeries::new("s", vec![0.0])], Orientation::Vertical),
        chart::bars(&spec, &[Text::same("a"), Text::same("b")], &[BarSeries::new("s", vec![-3.0, 2.0])], Orientation::Horizontal),
        chart::line(&spec, &[Series::new("one point", vec![(1.0, 1.0)])], &[]),
        chart::scatter(&spec.clone().log_x(true), &[(0.0, 1.0), (1.0, 1.0)], PointColors::Groups { index: &[7, 0], names: &[] }),
        chart::heatmap(&spec, &[Text::same("r1"), Text::same("r2")], &[Text::same("c1"), Text::same("c2")], &[vec![Some(0.5)], vec![None, Some(f64::NAN)]]),
        chart::treemap(&spec, &[Tile::new("only", 3.0)]),
    ];
    for c in &charts {
        assert!(!c.as_str().contains("No data"), "{}", c.as_str());
        assert!(!c.as_str().contains("NaN") && !c.as_str().contains("inf"), "{}", c.as_str());
        assert_eq!(tag_problems(c.as_str()), Vec::<String>::new());
    }

    // Every value section with nothing in it.
    let mut report = Report::new("empty");
    report.push(rfm_segments(&[], "¥", TimeUnit::Days));
    report.push(clv_distribution(&[], "¥", None));
    report.push(clv_distribution(&nan, "¥", None));
    report.push(pareto(&[], "¥"));
    report.push(pareto(&[0.0, -1.0, f64::NAN], "¥"));
    report.push(p_alive_vs_recency(&[], None, TimeUnit::Weeks));
    report.push(p_alive_vs_recency(&[(1.0, 0.5)], Some(&[]), TimeUnit::Weeks));
    report.push(cohort_retention(&[]));
    report.push(models(&ModelSelection { fits: vec![], selected: String::new(), reason: Text::default() }));
    report.push(holdout(&Holdout { buckets: vec![], predicted_total: 0.0, actual_total: 0.0, mae: f64::NAN, aucs: vec![], length: None, unit: TimeUnit::Days }));
    report.push(data_quality(&[], None));
    report.push(timings(&[]));
    report.push(overview(&Overview {
        customers: 0,
        transactions: 0,
        revenue: 0.0,
        currency: String::new(),
        repeat_rate: f64::NAN,
        first_date: String::new(),
        last_date: String::new(),
        selected_model: None,
        time_unit: TimeUnit::Days,
    }));
    report.push(Section::default());
    for lang in [Lang::Zh, Lang::En] {
        let html = render(&report, lang);
        assert!(!html.contains("NaN") && !html.contains(">inf"));
        assert_eq!(tag_problems(&html), Vec::<String>::new());
        assert_offline(&html);
    }
    let html = render(&Report::default(), Lang::En);
    assert!(html.contains("no content"));
}

#[test]
fn scatter_is_downsampled_deterministically() {
    let pts: Vec<(f64, f64)> = (0..100_000).map(|i| (i as f64, (i % 97) as f64 / 97.0)).collect();
    let spec = ChartSpec::new("s");
    let a = chart::scatter(&spec, &pts, PointColors::Single);
    let b = chart::scatter(&spec, &pts, PointColors::Single);
    assert_eq!(a, b);
    assert_eq!(a.as_str().matches("<circle").count(), chart::DEFAULT_MAX_POINTS);
    assert!(a.as_str().contains("2,000"));
    let small = chart::scatter(&spec.max_points(10), &pts, PointColors::Single);
    assert_eq!(small.as_str().matches("<circle").count(), 10);
}

#[test]
fn a_million_customers_render_quickly() {
    let d = demo::demo_data(1_000_000);
    let start = Instant::now();
    let mut report = Report::new("big");
    report.push(clv_distribution(&d.clv, "¥", None));
    report.push(pareto(&d.revenue, "¥"));
    report.push(p_alive_vs_recency(&d.alive, Some(&d.repeats), TimeUnit::Weeks));
    let html = render(&report, Lang::Zh);
    let elapsed = start.elapsed();
    eprintln!("1e6 customers: {elapsed:?}, {} KB", html.len() / 1024);
    assert!(html.len() < 2_000_000, "page too big: {}", html.len());
    // Generous bound for unoptimised test builds; release builds take a fraction of this.
    assert!(elapsed.as_secs_f64() < 3.0, "took {elapsed:?}");
}

#[test]
fn pareto_marks_top_twenty_percent() {
    // 20 customers worth 4, 80 worth 1: the top 20 % bring 80/160 = 50 % of revenue.
    let mut v = vec![1.0; 80];
    v.extend([4.0; 20]);
    let html = render(&Report::new("p").section(pareto(&v, "$")), Lang::En);
    assert!(html.contains("Top 20% → 50% of revenue"), "{html}");
    assert!(html.contains("前 20% 客户 → 50% 收入"));
}
