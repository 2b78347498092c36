//! The report's price-elasticity section (`xinli-price`): pooled elasticity overall and per
//! category with 95 % intervals, as a forest plot and a table, and the verdict per product.

use xinli_price::{ElasticityReport, Estimate, PooledElasticity, Verdict};
use xinli_report::chart::{self, ChartSpec, ForestRow};
use xinli_report::format;
use xinli_report::page::{Block, Section, Table};
use xinli_report::Text;

fn verdict_label(v: Verdict) -> Text {
    match v {
        Verdict::Elastic => Text::new("富有弹性（|ε|>1）", "Elastic (|ε| > 1)"),
        Verdict::Inelastic => Text::new("缺乏弹性（|ε|<1）", "Inelastic (|ε| < 1)"),
        Verdict::Unclear => Text::new("不确定（区间含 −1）", "Unclear (interval holds −1)"),
        Verdict::UpwardSloping => Text::new("向上倾斜（定价内生）", "Upward sloping (endogenous pricing)"),
        Verdict::NotIdentified => Text::new("无法识别（价格变化不足）", "Not identified (too little price variation)"),
    }
}

fn pooled_label(p: &PooledElasticity) -> Text {
    match &p.category {
        Some(c) => Text::same(c.as_str()),
        None => Text::new("全部商品", "All products"),
    }
}

/// The section, or `None` when no order line carried a product and a price.
pub fn elasticity_section(report: &ElasticityReport) -> Option<Section> {
    if report.lines_used == 0 {
        return None;
    }
    let mut section = Section::new("elasticity", Text::new("价格弹性", "Price elasticity")).intro(Text::new(
        "对数数量对对数价格的回归（每周汇总、季节项控制；类目与全店为商品固定效应、按商品聚类的稳健标准误），给出 95% 区间。这是观察数据的弹性：促销时机与批量折扣会让弹性偏负，请把它当作方向而非因果。",
        "Log quantity on log price (weekly cells, seasonality controls; categories and the shop pool products with product fixed effects and product-clustered errors), with 95 % intervals. These are observational elasticities: promotion timing and quantity discounts push them negative, so read them as direction, not cause.",
    ));
    let pooled: Vec<(&PooledElasticity, &Estimate)> = std::iter::once(&report.overall)
        .chain(&report.categories)
        .filter_map(|p| p.result.as_ref().ok().map(|e| (p, e)))
        .collect();
    if !pooled.is_empty() {
        let rows: Vec<ForestRow> = pooled.iter().map(|(p, e)| ForestRow::new(pooled_label(p), e.elasticity, e.lower, e.upper)).collect();
        let spec = ChartSpec::new(Text::new("弹性与 95% 区间（虚线 = −1）", "Elasticity with 95 % interval (dashed line = −1)"))
            .y_label(Text::new("弹性 ε", "Elasticity ε"))
            .size(620.0, 60.0 + 28.0 * rows.len() as f64);
        section.push(Block::chart(chart::forest(&spec, &rows, -1.0), Text::default()));
    }
    let mut table = Table::new(vec![
        Text::new("范围", "Scope"),
        Text::new("商品数", "Products"),
        Text::new("弹性 ε", "Elasticity ε"),
        Text::new("95% 区间", "95 % interval"),
        Text::new("结论", "Verdict"),
    ])
    .numeric(&[1, 2]);
    for p in std::iter::once(&report.overall).chain(&report.categories) {
        let (estimate, interval) = match &p.result {
            Ok(e) => (format::num(e.elasticity, 2), format!("[{}, {}]", format::num(e.lower, 2), format::num(e.upper, 2))),
            Err(_) => ("—".to_string(), "—".to_string()),
        };
        table.push_row(vec![
            pooled_label(p),
            Text::same(format!("{} / {}", format::int(p.products_with_variation as u64), format::int(p.products as u64))),
            Text::same(estimate),
            Text::same(interval),
            verdict_label(p.verdict()),
        ]);
    }
    section.push(Block::Table(table.caption(Text::new(
        "全店与各类目（商品数 = 有价格变化的 / 参与回归的）",
        "Shop and categories (products = with price variation / in the regression)",
    ))));
    let mut verdicts = Table::new(vec![Text::new("单品结论", "Product verdict"), Text::new("商品数", "Products")]).numeric(&[1]);
    for (v, n) in report.verdict_counts() {
        verdicts.push_row(vec![verdict_label(v), Text::same(format::int(n as u64))]);
    }
    section.push(Block::Table(verdicts.caption(Text::new("逐个商品的弹性结论", "Per-product elasticity verdicts (elasticity.json lists each)"))));
    Some(section)
}
