//! `xinli reviews` (score a shop's reviews: sentiment, aspects, emotion, complaints, satisfaction)
//! and `xinli text train` (train the shipped sentiment model).

use crate::commands::{lang, say, Failure};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use xinli_ingest::ImportOptions;
use xinli_text::run::{run, ReviewsConfig};
use xinli_text::train::{train, TrainConfig};
use xinli_text::{SentimentModel, TextError};

#[derive(Args, Debug)]
pub struct ReviewsArgs {
    /// A canonical shop directory (reviews.csv, products.csv, surveys.csv, …) or one reviews file.
    pub input: PathBuf,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// customers.csv written by `xinli analyze`: its clv column orders the complaint queue.
    #[arg(long)]
    pub customers: Option<PathBuf>,
    /// A surveys file (customer_id, ts, score, scale, comment); repeatable. A shop directory's own
    /// surveys*.csv[.gz] are always read.
    #[arg(long)]
    pub surveys: Vec<PathBuf>,
    /// Text encoding: auto, utf-8, gbk, gb18030, windows-1252.
    #[arg(long, default_value = "auto")]
    pub encoding: String,
    /// Stop at the first malformed row instead of quarantining it.
    #[arg(long)]
    pub strict: bool,
    /// Report language on opening: zh or en (both are in the page).
    #[arg(long, default_value = "en")]
    pub lang: String,
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum TextCommand {
    /// Train the zh + en sentiment model from the labelled corpora; write the model and metrics.json.
    #[command(after_help = "Examples:\n  \
xinli text train                                   # ../shared/data → crates/xinli-text/model/\n  \
xinli text train --data /data/corpora --out ./my-model\n\n\
Reads DATA/zh_reviews/online_shopping_10_cats_train80.csv and DATA/en_reviews/womens_clothing_reviews_train80.csv; \
split by row_id (% 10 == 0 held out, == 1 calibration). Deterministic: the same data gives the same model. \
用带标注的中英文评价语料训练情感模型，按 row_id 确定性划分，报告留出集上各类别的准确率和宏平均 F1。")]
    Train {
        /// The shared data directory holding zh_reviews/ and en_reviews/.
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        /// Where to write sentiment.bin.gz and metrics.json.
        #[arg(long, default_value = "crates/xinli-text/model")]
        out: PathBuf,
    },
}

fn failure(e: TextError) -> Failure {
    match e {
        TextError::Io { .. } | TextError::Model { .. } => Failure::internal(e.to_string()),
        _ => Failure::input(e.to_string()),
    }
}

pub fn reviews(args: ReviewsArgs) -> Result<(), Failure> {
    let config = ReviewsConfig {
        input: args.input,
        out: args.out.clone(),
        customers: args.customers,
        surveys: args.surveys,
        import: ImportOptions { encoding: args.encoding.parse().map_err(Failure::input)?, strict: args.strict, ..ImportOptions::default() },
        lang: lang(&args.lang)?,
    };
    let s = run(&config, SentimentModel::embedded()).map_err(failure)?;
    if args.quiet {
        return Ok(());
    }
    let rate = if s.seconds_scoring > 0.0 { s.reviews as f64 / s.seconds_scoring } else { 0.0 };
    say(format_args!(
        "{} reviews scored ({:.0}/s): {} negative, {} complaints, {} aspect mentions; {} survey answers; {} rows quarantined",
        s.reviews, rate, s.negative, s.complaints, s.aspect_mentions, s.survey_answers, s.quarantined
    ))?;
    say(format_args!("wrote {} to {}", s.files.join(", "), args.out.display()))
}

pub fn text(command: TextCommand) -> Result<(), Failure> {
    match command {
        TextCommand::Train { data, out } => {
            let config = TrainConfig::from_data_dir(&data);
            let (model, report) = train(&config, &mut |line| eprintln!("{line}")).map_err(failure)?;
            std::fs::create_dir_all(&out).map_err(|e| Failure::internal(format!("{}: {e}", out.display())))?;
            let model_path = out.join("sentiment.bin.gz");
            std::fs::write(&model_path, model.to_bytes()).map_err(|e| Failure::internal(format!("{}: {e}", model_path.display())))?;
            let metrics_path = out.join("metrics.json");
            let json = serde_json::to_string_pretty(&report).expect("metrics serialise");
            std::fs::write(&metrics_path, json + "\n").map_err(|e| Failure::internal(format!("{}: {e}", metrics_path.display())))?;
            for r in [&report.zh, &report.en] {
                let m = &r.held_out_metrics;
                say(format_args!("{}: held-out n = {}, accuracy {:.4}, macro-F1 {:.4} (λ = {:e})", r.language, m.n, m.accuracy, m.macro_f1, r.lambda))?;
                for (cat, c) in &r.held_out_by_category {
                    say(format_args!("    {cat}: n = {}, accuracy {:.4}, macro-F1 {:.4}", c.n, c.accuracy, c.macro_f1))?;
                }
            }
            say(format_args!("wrote {} ({} bytes) and {}", model_path.display(), report.model_bytes, metrics_path.display()))
        }
    }
}
