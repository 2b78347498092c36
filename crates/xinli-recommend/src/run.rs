//! What `xinli recommend` does: lists for every customer (with reasons) plus the serving index,
//! or the offline evaluation with its JSON and report section.

use crate::evaluate::{evaluate_model, Metrics, MetricsAccumulator, Split};
use crate::index::{Index, IndexError};
use crate::interactions::{InteractionConfig, Interactions};
use crate::model::{Model, ModelConfig, Recommender, Scratch};
use crate::rerank::{recommend, Profile, RerankConfig};
use crate::tune::{tune_blend, Tuning};
use foldhash::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use xinli_core::{CustomerId, ProductId, Shop, Timestamp};
use xinli_report::chart::{self, BarSeries, ChartSpec, Orientation};
use xinli_report::{format, Block, KeyFigure, Lang, Report, Section, Table, Text};

/// Everything `xinli recommend` is asked to do, parsed.
#[derive(Clone, Debug)]
pub struct RecommendOptions {
    pub interactions: InteractionConfig,
    pub models: ModelConfig,
    pub rerank: RerankConfig,
    /// Items never to recommend, and items out of stock (product ids).
    pub excluded: Vec<ProductId>,
    pub out_of_stock: Vec<ProductId>,
    /// Persona and trait scores per customer (from `customers.csv` of `xinli analyze`).
    pub profiles: HashMap<CustomerId, Profile>,
    /// List length.
    pub top_n: usize,
    /// Days before the cut held out to tune the blend's weights (0: keep the defaults).
    pub tune_days: i64,
    /// A basket for "frequently bought together" (`bought_together.csv`); empty: none.
    pub basket: Vec<ProductId>,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        RecommendOptions {
            interactions: InteractionConfig::default(),
            models: ModelConfig::default(),
            rerank: RerankConfig::default(),
            excluded: Vec::new(),
            out_of_stock: Vec::new(),
            profiles: HashMap::default(),
            top_n: 10,
            tune_days: 30,
            basket: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no completed purchases or product events before {0}: nothing to learn from")]
    NoInteractions(String),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error(transparent)]
    Index(#[from] IndexError),
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Write { path: path.display().to_string(), source }
}

/// What a run produced, for the caller to print.
#[derive(Debug, serde::Serialize)]
pub struct RunOutcome {
    pub customers: usize,
    pub items: usize,
    pub interactions: usize,
    pub lists_written: usize,
    pub cold_start_customers: usize,
    pub unknown_listed_products: usize,
    pub tuning: Option<Tuning>,
    pub train_seconds: f64,
    pub files: Vec<String>,
    pub metrics: Vec<Metrics>,
}

/// Trains on everything before `as_of` with tuned weights.
fn train<'a>(shop: &Shop, data: &'a Interactions, options: &RecommendOptions) -> (Recommender<'a>, Option<Tuning>) {
    let mut models = options.models.clone();
    let tuning = (options.tune_days > 0)
        .then(|| tune_blend(shop, data.as_of, options.tune_days, &options.interactions, &models, options.top_n.max(1)))
        .flatten();
    if let Some(t) = &tuning {
        models.weights = t.weights;
    }
    (Recommender::fit(data, &models), tuning)
}

fn rerank_config(data: &Interactions, options: &RecommendOptions) -> (RerankConfig, usize) {
    let mut config = options.rerank.clone();
    let mut unknown = 0;
    for (ids, set) in [(&options.excluded, &mut config.excluded), (&options.out_of_stock, &mut config.out_of_stock)] {
        for id in ids {
            match data.item(id) {
                Some(i) => {
                    set.insert(i);
                }
                None => unknown += 1,
            }
        }
    }
    (config, unknown)
}

/// Writes `recommendations.csv` (top-N per customer with reasons in English and Chinese),
/// `cold_start.csv` (the list for visitors without history), `recommend.index` and
/// `recommend_summary.json` into `out`.
pub fn write_recommendations(shop: &Shop, options: &RecommendOptions, out: &Path) -> Result<RunOutcome, RunError> {
    let as_of = shop
        .orders
        .iter()
        .map(|l| l.ordered_at)
        .chain(shop.events.iter().map(|e| e.ts))
        .max()
        .map(|t| Timestamp::from_unix_seconds(t.unix_seconds() + 1))
        .ok_or_else(|| RunError::NoInteractions("the end of the data".into()))?;
    let data = Interactions::build(shop, as_of, &options.interactions);
    if data.orders.nnz() == 0 && data.decayed.nnz() == 0 {
        return Err(RunError::NoInteractions(as_of.date().to_string()));
    }
    let started = Instant::now();
    let (rec, tuning) = train(shop, &data, options);
    let train_seconds = started.elapsed().as_secs_f64();
    let (config, unknown_listed_products) = rerank_config(&data, options);
    std::fs::create_dir_all(out).map_err(write_error(out))?;

    // Every customer with interactions, then customers known only from customers.csv (cold start).
    let mut customers: Vec<(CustomerId, Option<u32>)> = data.customers.iter().enumerate().map(|(u, c)| (c.clone(), Some(u as u32))).collect();
    customers.extend(shop.customers.iter().filter(|c| data.customer(&c.customer_id).is_none()).map(|c| (c.customer_id.clone(), None)));
    let cold_start_customers = customers.iter().filter(|(_, u)| !u.is_some_and(|u| !data.orders.row(u).0.is_empty())).count();

    let path = out.join("recommendations.csv");
    let mut scratch = Scratch::new(data.catalog.len());
    let mut writer = ListWriter::create(&path, true).map_err(write_error(&path))?;
    for (id, u) in &customers {
        let list = recommend(&rec, *u, options.profiles.get(id), &config, options.top_n, &mut scratch);
        writer.write(Some(id.as_str()), &list, &data).map_err(write_error(&path))?;
    }
    writer.finish().map_err(write_error(&path))?;
    let cold_path = out.join("cold_start.csv");
    let mut cold = ListWriter::create(&cold_path, false).map_err(write_error(&cold_path))?;
    let list = recommend(&rec, None, None, &config, options.top_n, &mut scratch);
    cold.write(None, &list, &data).map_err(write_error(&cold_path))?;
    cold.finish().map_err(write_error(&cold_path))?;
    let index_path = out.join("recommend.index");
    Index::build(&rec).save(&index_path)?;
    let mut files: Vec<String> = ["recommendations.csv", "cold_start.csv", "similar_items.csv", "recommend.index", "recommend_summary.json"].map(String::from).to_vec();
    let similar_path = out.join("similar_items.csv");
    write_item_lists(&similar_path, &data, (0..data.catalog.len() as u32).map(|i| (Some(i), rec.similar_items(i, options.top_n))))
        .map_err(write_error(&similar_path))?;
    let basket: Vec<u32> = options.basket.iter().filter_map(|p| data.item(p)).collect();
    let unknown_basket = options.basket.len() - basket.len();
    if !options.basket.is_empty() {
        let path = out.join("bought_together.csv");
        let together = rec.bought_together(&basket, options.top_n, &mut scratch);
        write_item_lists(&path, &data, std::iter::once((None, together))).map_err(write_error(&path))?;
        files.push("bought_together.csv".into());
    }

    let outcome = RunOutcome {
        customers: customers.len(),
        items: data.catalog.len(),
        interactions: data.decayed.nnz(),
        lists_written: customers.len(),
        cold_start_customers,
        unknown_listed_products: unknown_listed_products + unknown_basket,
        tuning,
        train_seconds,
        files,
        metrics: Vec::new(),
    };
    write_json(&out.join("recommend_summary.json"), &outcome)?;
    Ok(outcome)
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(value).expect("plain data serialises");
    std::fs::write(path, text + "\n").map_err(write_error(path))
}

/// `similar_items.csv` (one list per product) and `bought_together.csv` (one list for the
/// basket): product_id (the product, empty for the basket), rank, then the other product.
fn write_item_lists(path: &Path, data: &Interactions, lists: impl Iterator<Item = (Option<u32>, Vec<(u32, f32)>)>) -> std::io::Result<()> {
    let catalog = &data.catalog;
    let mut out = csv::Writer::from_writer(std::io::BufWriter::new(std::fs::File::create(path)?));
    out.write_record(["product_id", "rank", "other_product_id", "other_product_name", "score"])?;
    for (item, list) in lists {
        let id = item.map_or("", |i| catalog.ids[i as usize].as_str());
        for (rank, (other, score)) in list.iter().enumerate() {
            let rank = (rank + 1).to_string();
            let name = catalog.names[*other as usize].as_deref().unwrap_or("");
            out.write_record([id, &rank, catalog.ids[*other as usize].as_str(), name, &format!("{score:.4}")])?;
        }
    }
    out.flush()?;
    out.into_inner().map_err(|e| e.into_error())?.flush()
}

/// `recommendations.csv` / `cold_start.csv`.
struct ListWriter {
    out: csv::Writer<std::io::BufWriter<std::fs::File>>,
}

impl ListWriter {
    fn create(path: &PathBuf, with_customer: bool) -> std::io::Result<ListWriter> {
        let mut out = csv::Writer::from_writer(std::io::BufWriter::new(std::fs::File::create(path)?));
        let columns = ["rank", "product_id", "product_name", "category", "score", "reason_code", "reason_en", "reason_zh"];
        if with_customer {
            out.write_record(std::iter::once("customer_id").chain(columns))?;
        } else {
            out.write_record(columns)?;
        }
        Ok(ListWriter { out })
    }

    fn write(&mut self, customer: Option<&str>, list: &[crate::Recommendation], data: &Interactions) -> std::io::Result<()> {
        let catalog = &data.catalog;
        for (rank, r) in list.iter().enumerate() {
            let reason = r.reason.text(catalog);
            let category = catalog.category[r.item as usize].map_or("", |c| catalog.category_names[c as usize].as_str());
            let fields = [
                (rank + 1).to_string(),
                catalog.ids[r.item as usize].as_str().to_string(),
                catalog.names[r.item as usize].clone().unwrap_or_default(),
                category.to_string(),
                format!("{:.4}", r.score),
                r.reason.code().to_string(),
                reason.en,
                reason.zh,
            ];
            match customer {
                Some(c) => self.out.write_record(std::iter::once(c.to_string()).chain(fields))?,
                None => self.out.write_record(fields)?,
            }
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()?;
        self.out.into_inner().map_err(|e| e.into_error())?.flush()
    }
}

/// Metrics of re-ranked lists (filters, diversity and, with profiles, persona boosts).
pub fn evaluate_reranked(rec: &Recommender, split: &Split, config: &RerankConfig, profiles: &HashMap<CustomerId, Profile>, k: usize, name: &str) -> Metrics {
    let mut scratch = Scratch::new(rec.data.catalog.len());
    let mut acc = MetricsAccumulator::new(k, rec.data.catalog.len());
    for (u, truth) in &split.test.customers {
        let profile = profiles.get(&rec.data.customers[*u as usize]);
        let items: Vec<u32> = recommend(rec, Some(*u), profile, config, k, &mut scratch).iter().map(|r| r.item).collect();
        acc.add(&items, truth);
    }
    acc.finish(name, rec.data.active_items(), rec.training_time().as_secs_f64())
}

/// The offline evaluation: `evaluation.json` and `report.html` in `out`.
pub fn write_evaluation(shop: &Shop, split_at: Timestamp, options: &RecommendOptions, out: &Path, lang: Lang) -> Result<RunOutcome, RunError> {
    let split = Split::new(shop, split_at, &options.interactions);
    if split.data.orders.nnz() == 0 {
        return Err(RunError::NoInteractions(split_at.date().to_string()));
    }
    let started = Instant::now();
    let (rec, tuning) = train(shop, &split.data, options);
    let train_seconds = started.elapsed().as_secs_f64();
    let k = options.top_n;
    let mut metrics: Vec<Metrics> = Model::ALL.iter().map(|&m| evaluate_model(&rec, m, &split.test, k)).collect();
    let (config, unknown_listed_products) = rerank_config(&split.data, options);
    metrics.push(evaluate_reranked(&rec, &split, &config, &HashMap::default(), k, "blend_filtered"));
    if !options.profiles.is_empty() {
        metrics.push(evaluate_reranked(&rec, &split, &config, &options.profiles, k, "blend_persona"));
    }
    std::fs::create_dir_all(out).map_err(write_error(out))?;
    let outcome = RunOutcome {
        customers: split.data.customers.len(),
        items: split.data.catalog.len(),
        interactions: split.data.decayed.nnz(),
        lists_written: 0,
        cold_start_customers: 0,
        unknown_listed_products,
        tuning,
        train_seconds,
        files: vec!["evaluation.json".into(), "report.html".into()],
        metrics,
    };
    #[derive(serde::Serialize)]
    struct EvaluationFile<'a> {
        split_date: String,
        k: usize,
        evaluated_customers: usize,
        protocol: &'static str,
        #[serde(flatten)]
        outcome: &'a RunOutcome,
    }
    write_json(
        &out.join("evaluation.json"),
        &EvaluationFile {
            split_date: split_at.date().to_string(),
            k,
            evaluated_customers: split.test.customers.len(),
            protocol: "train on completed purchases and events before the split; test = distinct products each customer bought on or after it, for customers who bought in both periods; already-bought items may be recommended",
            outcome: &outcome,
        },
    )?;
    let section = evaluation_section(&outcome, &split_at.date().to_string(), split.test.customers.len(), k);
    let report = Report::new(Text::new("推荐效果离线评估", "Recommendation evaluation")).section(section);
    let path = out.join("report.html");
    let mut file = std::fs::File::create(&path).map_err(write_error(&path))?;
    file.write_all(xinli_report::render(&report, lang).as_bytes()).map_err(write_error(&path))?;
    Ok(outcome)
}

fn model_label(name: &str) -> Text {
    match name {
        "popularity" => Text::new("热门（基线）", "Popularity (baseline)"),
        "trending" => Text::new("近期热门", "Trending"),
        "reorder" => Text::new("回购", "Reorder"),
        "cosine_item_knn" => Text::new("物品近邻（余弦）", "Item-kNN (cosine)"),
        "bm25_item_knn" => Text::new("物品近邻（BM25）", "Item-kNN (BM25)"),
        "ease" => Text::new("EASE 线性模型", "EASE"),
        "blend" => Text::new("融合模型", "Blend"),
        "blend_filtered" => Text::new("融合 + 业务过滤与多样性", "Blend + filters and diversity"),
        "blend_persona" => Text::new("融合 + 画像重排", "Blend + persona re-ranking"),
        other => Text::same(other),
    }
}

/// The report section: key figures, the metrics table and a chart of HR and NDCG per model.
pub fn evaluation_section(outcome: &RunOutcome, split: &str, customers: usize, k: usize) -> Section {
    let metric = |name: &str| outcome.metrics.iter().find(|m| m.model == name);
    let mut section = Section::new("recommendations", Text::new("个性化推荐：离线评估", "Personalised recommendations: offline evaluation")).intro(Text::new(
        format!("以 {split} 之前的数据训练，检验 {customers} 位在前后两段都有购买的顾客之后实际买了什么（前 {k} 名）。"),
        format!("Trained on data before {split}; tested on what the {customers} customers who bought in both periods actually bought on or after it (top {k})."),
    ));
    if let (Some(blend), Some(pop)) = (metric("blend"), metric("popularity")) {
        section.push(Block::KeyFigures(vec![
            KeyFigure::new(Text::new(format!("融合模型 HR@{k}"), format!("Blend HR@{k}")), format::pct(blend.hit_rate, 1))
                .note(Text::new(format!("热门基线 {}", format::pct(pop.hit_rate, 1)), format!("popularity {}", format::pct(pop.hit_rate, 1)))),
            KeyFigure::new(Text::new(format!("融合模型 NDCG@{k}"), format!("Blend NDCG@{k}")), format::num(blend.ndcg, 3))
                .note(Text::new(format!("热门基线 {}", format::num(pop.ndcg, 3)), format!("popularity {}", format::num(pop.ndcg, 3)))),
            KeyFigure::new(Text::new("目录覆盖率", "Catalogue coverage"), format::pct(blend.coverage, 1)),
            KeyFigure::new(Text::new("训练时间", "Training time"), format!("{:.2} s", outcome.train_seconds)),
        ]));
    }
    let mut table = Table::new(vec![
        Text::new("模型", "Model"),
        Text::same(format!("HR@{k}")),
        Text::same(format!("Precision@{k}")),
        Text::same(format!("Recall@{k}")),
        Text::same(format!("NDCG@{k}")),
        Text::new("覆盖率", "Coverage"),
    ])
    .numeric(&[1, 2, 3, 4, 5]);
    for m in &outcome.metrics {
        table.push_row(vec![
            model_label(&m.model),
            Text::same(format::num(m.hit_rate, 3)),
            Text::same(format::num(m.precision, 3)),
            Text::same(format::num(m.recall, 3)),
            Text::same(format::num(m.ndcg, 3)),
            Text::same(format::pct(m.coverage, 1)),
        ]);
    }
    if let Some(best) = outcome.metrics.iter().position(|m| m.model == "blend") {
        table = table.highlight(best);
    }
    section.push(Block::Table(table));
    let categories: Vec<Text> = outcome.metrics.iter().map(|m| model_label(&m.model)).collect();
    let series = [
        BarSeries::new(Text::same(format!("HR@{k}")), outcome.metrics.iter().map(|m| m.hit_rate).collect()),
        BarSeries::new(Text::same(format!("NDCG@{k}")), outcome.metrics.iter().map(|m| m.ndcg).collect()),
    ];
    let spec = ChartSpec::new(Text::new("各模型命中率与 NDCG", "Hit rate and NDCG by model")).y_domain(0.0, 1.0);
    section.push(Block::chart(
        chart::bars(&spec, &categories, &series, Orientation::Horizontal),
        Text::new("融合模型 = 回购 + 物品近邻 + EASE + 热门，权重在训练期最后一段上选出。", "Blend = reorder + item-kNN + EASE + popularity, weights chosen on the last part of the training period."),
    ));
    if let Some(t) = &outcome.tuning {
        section.push(Block::note(Text::new(
            format!("融合权重（在 {} 起的 {} 位顾客上选出）：回购 {}，近邻 {}，EASE {}，热门 {}。", t.validation_from, t.validation_customers, t.weights.reorder, t.weights.item_knn, t.weights.ease, t.weights.popularity),
            format!("Blend weights (chosen on {} customers from {}): reorder {}, item-kNN {}, EASE {}, popularity {}.", t.validation_customers, t.validation_from, t.weights.reorder, t.weights.item_knn, t.weights.ease, t.weights.popularity),
        )));
    }
    section
}

/// Reads a list of product ids: one per line, or a CSV whose header has `product_id`.
pub fn read_product_list(path: &Path) -> Result<Vec<ProductId>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines().enumerate().peekable();
    let column = match lines.peek() {
        Some((_, header)) if header.split(',').any(|h| h.trim().eq_ignore_ascii_case("product_id")) => {
            let c = header.split(',').position(|h| h.trim().eq_ignore_ascii_case("product_id")).expect("checked");
            lines.next();
            c
        }
        _ => 0,
    };
    let mut ids = Vec::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let raw = line.split(',').nth(column).unwrap_or_default();
        let id = ProductId::parse(raw).map_err(|e| format!("{}, line {}, column product_id: {e} (value {raw:?})", path.display(), n + 1))?;
        ids.push(id);
    }
    Ok(ids)
}
