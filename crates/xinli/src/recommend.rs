//! `xinli recommend`: top-N lists with reasons and the serving index, or the offline evaluation.

use crate::cli::InputArgs;
use crate::commands::{date_flag, import_options, lang, say, source, Failure};
use crate::progress::Bars;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use xinli_recommend::{read_product_list, RecommendOptions, RunError};

#[derive(Args, Debug)]
pub struct RecommendArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Evaluate offline instead: train before --split-date, test on what customers bought on or after it.
    #[arg(long, requires = "split_date")]
    pub evaluate: bool,
    /// First day of the test period of --evaluate (YYYY-MM-DD).
    #[arg(long)]
    pub split_date: Option<String>,
    /// Items per customer.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// customers.csv written by `xinli analyze` (persona, trait_* columns) for persona-aware re-ranking.
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// Product ids never to recommend (one per line, or a CSV with a product_id column).
    #[arg(long)]
    pub exclude: Option<PathBuf>,
    /// Product ids out of stock (same format as --exclude).
    #[arg(long)]
    pub out_of_stock: Option<PathBuf>,
    /// At most this many items of one category per list.
    #[arg(long, default_value_t = 4)]
    pub max_per_category: usize,
    /// An already-bought item stays eligible when at least this share of its buyers rebought it (0 = keep all bought items).
    #[arg(long, default_value_t = 0.2)]
    pub rebuy_share: f32,
    /// Half-life of interactions in days (older views, carts and purchases count less).
    #[arg(long, default_value_t = 120.0)]
    pub half_life: f64,
    /// Days before the cut held out to choose the blend's weights (0 = fixed default weights).
    #[arg(long, default_value_t = 30)]
    pub tune_days: i64,
    /// A basket of product ids (comma-separated): also writes bought_together.csv, "frequently bought together".
    #[arg(long, value_delimiter = ',')]
    pub basket: Vec<String>,
    /// Report language: zh or en.
    #[arg(long, default_value = "en")]
    pub lang: String,
}

pub fn run(args: RecommendArgs) -> Result<(), Failure> {
    let language = lang(&args.lang)?;
    if args.top == 0 || args.top > 1000 {
        return Err(Failure::input(format!("--top must be between 1 and 1000, got {}", args.top)));
    }
    if !(args.half_life.is_finite() && args.half_life > 0.0) {
        return Err(Failure::input(format!("--half-life must be a positive number of days, got {}", args.half_life)));
    }
    if !(args.rebuy_share.is_finite() && args.rebuy_share >= 0.0) {
        return Err(Failure::input(format!("--rebuy-share must be ≥ 0, got {}", args.rebuy_share)));
    }
    if !(0..=365).contains(&args.tune_days) {
        return Err(Failure::input(format!("--tune-days must be between 0 and 365, got {}", args.tune_days)));
    }
    let split = args.split_date.as_deref().map(|d| date_flag("--split-date", d)).transpose()?;
    let mut options = RecommendOptions { top_n: args.top, tune_days: args.tune_days, ..RecommendOptions::default() };
    options.interactions.half_life_days = args.half_life;
    options.rerank.max_per_category = args.max_per_category.max(1);
    options.rerank.rebuy_share = args.rebuy_share;
    if let Some(path) = &args.customers {
        options.profiles = xinli_recommend::read_profiles(path).map_err(|e| Failure::input(e.to_string()))?;
    }
    for (flag, list) in [(&args.exclude, &mut options.excluded), (&args.out_of_stock, &mut options.out_of_stock)] {
        if let Some(path) = flag {
            *list = read_product_list(path).map_err(Failure::input)?;
        }
    }
    options.basket = args
        .basket
        .iter()
        .map(|id| xinli_core::ProductId::parse(id).map_err(|e| Failure::input(format!("--basket: {e} (value {id:?})"))))
        .collect::<Result<_, _>>()?;
    let bars = Arc::new(Bars::new(args.input.quiet));
    let imported = xinli_analyze::import(&source(&args.input)?, &import_options(&args.input, &bars)?)?;
    let out = &args.input.out;
    let outcome = match (args.evaluate, split) {
        (true, Some(split)) => xinli_recommend::write_evaluation(&imported.shop, split, &options, out, language),
        _ => xinli_recommend::write_recommendations(&imported.shop, &options, out),
    }
    .map_err(|e| match e {
        RunError::NoInteractions(_) => Failure::input(e.to_string()),
        _ => Failure::internal(e.to_string()),
    })?;
    if args.input.quiet {
        return Ok(());
    }
    say(format_args!(
        "{} customers × {} items, {} interactions; trained in {:.2} s",
        outcome.customers, outcome.items, outcome.interactions, outcome.train_seconds
    ))?;
    if outcome.unknown_listed_products > 0 {
        say(format_args!("{} ids of --exclude/--out-of-stock/--basket are not in the data (ignored)", outcome.unknown_listed_products))?;
    }
    if let Some(t) = &outcome.tuning {
        say(format_args!(
            "blend weights (tuned on {} customers from {}): reorder {}, item-kNN {}, EASE {}, popularity {}",
            t.validation_customers, t.validation_from, t.weights.reorder, t.weights.item_knn, t.weights.ease, t.weights.popularity
        ))?;
    }
    for m in &outcome.metrics {
        say(format_args!(
            "{:<16} HR@{k} {:.3}  precision@{k} {:.3}  recall@{k} {:.3}  NDCG@{k} {:.3}  coverage {:.1} %  ({} customers)",
            m.model, m.hit_rate, m.precision, m.recall, m.ndcg, 100.0 * m.coverage, m.customers, k = args.top
        ))?;
    }
    if outcome.lists_written > 0 {
        say(format_args!("{} lists ({} cold-start customers)", outcome.lists_written, outcome.cold_start_customers))?;
    }
    say(format_args!("wrote {} to {}", outcome.files.join(", "), out.display()))
}
