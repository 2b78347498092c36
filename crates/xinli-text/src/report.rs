//! The bilingual "voice of the customer" report section: key figures, aspect bar chart,
//! negative-review drivers, the complaint list and the CSAT / NPS trend.

use crate::lexicon::Aspect;
use crate::score::Sentiment;
use crate::voice::Voice;
use xinli_report::chart::{bars, line, BarSeries, Orientation, Series};
use xinli_report::format::{int, num, pct, NumFormat};
use xinli_report::{Block, ChartSpec, KeyFigure, Section, Table, Text};

fn t(zh: &str, en: &str) -> Text {
    Text::new(zh, en)
}

fn aspect_name(a: Aspect) -> Text {
    let (en, zh) = a.names();
    t(zh, en)
}

/// Complaints listed in the report (the full queue is in `complaints.csv`).
const COMPLAINTS_SHOWN: usize = 15;

pub fn section(v: &Voice) -> Section {
    let n = v.reviews.len();
    let mut s = Section::new("voice", t("顾客之声：评价、情绪与满意度", "Voice of the customer: reviews, emotion and satisfaction")).intro(t(
        "每条评价的情感（中英文模型，校准概率）、提及的方面及其褒贬、情绪、投诉与严重程度；满意度来自星级评分和调查问卷。",
        "Each review's sentiment (zh/en model, calibrated probability), the aspects it mentions with their polarity, its emotion, and complaints with severity; satisfaction comes from star ratings and surveys.",
    ));
    if n == 0 {
        return s.block(Block::note(t("没有评价数据。", "No reviews in the data.")));
    }
    let count = |sent: Sentiment| v.reviews.iter().filter(|r| r.scored.sentiment == sent).count();
    let all = v.satisfaction.get(&(crate::voice::Scope::All, String::new(), String::new()));
    let mut figures = vec![
        KeyFigure::new(t("评价数", "Reviews"), int(n as i64)),
        KeyFigure::new(t("负面评价", "Negative reviews"), pct(count(Sentiment::Negative) as f64 / n as f64, 1)),
        KeyFigure::new(t("投诉", "Complaints"), int(v.complaint_queue.len() as i64)),
    ];
    if let Some(csat) = all.and_then(|a| a.csat()) {
        figures.push(KeyFigure::new(t("CSAT（4–5 分占比）", "CSAT (share of 4–5)"), pct(csat, 1)));
    }
    if let Some(nps) = all.and_then(|a| a.nps()) {
        figures.push(KeyFigure::new(t("NPS", "NPS"), num(nps, 0)));
    }
    if let Some(a) = all.filter(|a| a.rated_reviews > 0) {
        figures.push(
            KeyFigure::new(t("星级与文字不符", "Stars contradict text"), pct(a.mismatches as f64 / a.rated_reviews as f64, 1))
                .note(t("≥4 星但文字负面，或 ≤2 星但文字正面", "≥ 4 stars with negative text, or ≤ 2 stars with positive text")),
        );
    }
    s.push(Block::KeyFigures(figures));

    let shop = v.shop_aspects();
    let names: Vec<Text> = shop.iter().map(|(a, _)| aspect_name(*a)).collect();
    let series = [
        BarSeries::new(t("正面", "positive"), shop.iter().map(|(_, c)| c.positive as f64).collect()).color("#2e7d32"),
        BarSeries::new(t("负面", "negative"), shop.iter().map(|(_, c)| c.negative as f64).collect()).color("#c62828"),
        BarSeries::new(t("中性", "neutral"), shop.iter().map(|(_, c)| (c.mentions - c.positive - c.negative) as f64).collect()).color("#9e9e9e"),
    ];
    let spec = ChartSpec::new(t("各方面被提及次数", "Aspect mentions")).y_label(t("提及次数", "mentions"));
    s.push(Block::chart(bars(&spec, &names, &series, Orientation::Horizontal), t("每个方面的正面、负面、中性提及（触发词与位置见 aspect_mentions.csv）", "Positive, negative and neutral mentions per aspect (trigger spans in aspect_mentions.csv)")));

    // Negative drivers: which aspects negative reviews complain about.
    let negative: Vec<_> = v.reviews.iter().filter(|r| r.scored.sentiment == Sentiment::Negative).collect();
    if !negative.is_empty() {
        let mut drivers = Table::new(vec![t("方面", "Aspect"), t("负面评价中提及（负面）", "Negative reviews naming it negatively"), t("占负面评价", "Share of negative reviews"), t("该方面负面占比", "Share negative of its mentions")]).numeric(&[1, 2, 3]);
        let mut rows: Vec<(Aspect, usize)> = Aspect::ALL
            .iter()
            .map(|&a| (a, negative.iter().filter(|r| r.scored.mentions.iter().any(|m| m.aspect == a && m.polarity == crate::Polarity::Negative)).count()))
            .collect();
        rows.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        for (a, k) in rows {
            let share = shop.iter().find(|(b, _)| *b == a).and_then(|(_, c)| c.share_negative());
            drivers.push_row(vec![aspect_name(a), Text::same(int(k as i64)), Text::same(pct(k as f64 / negative.len() as f64, 1)), Text::same(share.map_or("–".into(), |x| pct(x, 1)))]);
        }
        s.push(Block::Table(drivers.caption(t("负面评价的驱动因素", "What negative reviews are about"))));
    }

    if !v.complaint_queue.is_empty() {
        let mut list = Table::new(vec![t("严重度", "Severity"), t("顾客", "Customer"), t("顾客价值（CLV）", "Customer value (CLV)"), t("情绪", "Emotion"), t("诉求", "Asks for"), t("评价", "Review")]).numeric(&[0, 2]);
        for &i in v.complaint_queue.iter().take(COMPLAINTS_SHOWN) {
            let r = &v.reviews[i];
            let clv = r.review.customer_id.as_ref().and_then(|c| v.clv.get(c));
            let excerpt: String = r.review.text.chars().take(80).collect();
            list.push_row(vec![
                Text::same(r.scored.severity.map_or(String::new(), |x| x.to_string())),
                Text::same(r.review.customer_id.as_ref().map_or("–", |c| c.as_str())),
                Text::same(clv.map_or("–".into(), |x| num(*x, 2))),
                t(r.scored.emotion.zh(), r.scored.emotion.code()),
                Text::same(r.scored.complaint_reasons.join(", ")),
                Text::same(excerpt),
            ]);
        }
        s.push(Block::Table(list.caption(t("投诉队列（按严重度、顾客价值排序；完整列表见 complaints.csv）", "Complaint queue (by severity, then customer value; full list in complaints.csv)"))));
    }

    let months = v.monthly();
    let x = |i: usize| i as f64;
    let csat: Vec<(f64, f64)> = months.iter().enumerate().filter_map(|(i, (_, m))| Some((x(i), m.csat()?))).collect();
    let nps: Vec<(f64, f64)> = months.iter().enumerate().filter_map(|(i, (_, m))| Some((x(i), m.nps()? / 100.0))).collect();
    if csat.len() + nps.len() >= 2 {
        let mut series = Vec::new();
        if !csat.is_empty() {
            series.push(Series::new(t("CSAT", "CSAT"), csat));
        }
        if !nps.is_empty() {
            series.push(Series::new(t("NPS ÷ 100", "NPS ÷ 100"), nps).dashed());
        }
        let first = months.first().map_or("", |m| m.0);
        let last = months.last().map_or("", |m| m.0);
        let spec = ChartSpec::new(t("满意度趋势（按月）", "Satisfaction by month"))
            .x_label(Text::same(format!("{first} … {last}")))
            .y_format(NumFormat::Percent(0));
        s.push(Block::chart(line(&spec, &series, &[]), t("横轴为月份序号；各月数值见 satisfaction.csv", "x: month number from the first month; values per month in satisfaction.csv")));
    }
    s
}
