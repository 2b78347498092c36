//! Flags and subcommands.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "xinli",
    version,
    about = "xinli 心理 — understand your online shop's customers: value, churn and loyalty",
    long_about = "xinli imports a shop's orders and measures each customer's value (RFM, 80/20 \
tiers, CLV from BG/NBD, MBG/NBD or Pareto/NBD with Gamma-Gamma spend), churn risk (a model \
back-tested on the shop's own history) and cohort retention, and writes CSV/JSON files and a \
self-contained bilingual HTML report.",
    after_help = "Examples:\n  xinli demo\n  xinli analyze ./my-shop --out ./xinli-out\n  \
xinli analyze online_retail.csv.gz --preset online-retail --calibration-end 2011-09-08 --holdout-end 2011-12-09 --out out\n  \
xinli import export.csv --mapping shop.toml --out canonical/\n  \
xinli gen-transactions --customers 100000 --seed 7 --out orders.csv"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse a shop: customer value, CLV, churn risk, segments, report.
    #[command(after_help = "Examples:\n  \
xinli analyze ./my-shop --out ./xinli-out\n  \
xinli analyze online_retail.csv.gz --preset online-retail --time-unit days \\\n      --calibration-end 2011-09-08 --holdout-end 2011-12-09 --out ./retail\n  \
xinli analyze CDNOW_sample.txt --preset cdnow --time-unit weeks --calibration-end 1997-09-30 --out ./cdnow\n  \
xinli analyze 订单.csv --mapping shop.toml --encoding gbk --lang zh --currency ¥ --out ./out\n  \
xinli analyze ./my-shop --playbook my-playbook.toml --lang zh --out ./out   # your own strategy rules\n  \
xinli analyze --db xinli-data/xinli.db --out ./xinli-out   # the live store; scores written back\n\n\
Writes customers.csv, evidence.csv, strategy.json, elasticity.json, models.json, validation.json (with --holdout-end), \
summary.json, dashboard.json, quarantine.csv and report.html; with --db also recommendations.csv, and the store gets \
the scores, evidence, top products and documents of the run (分析线上数据库并写回评分).")]
    Analyze(Box<AnalyzeArgs>),
    /// Import only: read a shop, write canonical files, quarantine.csv and summary.json.
    #[command(after_help = "Examples:\n  \
xinli import online_retail.csv.gz --preset online-retail --out ./canonical\n  \
xinli import ./my-shop --strict --out ./checked\n  \
xinli import ./my-shop --out ./checked --db xinli-data/xinli.db   # also load the live store")]
    Import(ImportArgs),
    /// The CDNOW sample's analysis and report, then the dashboard of a simulated shop (store, analysis, server).
    #[command(after_help = "Examples:\n  xinli demo                      # reports, then the dashboard on http://127.0.0.1:8600/\n  \
xinli demo --out ./xinli-demo --lang zh --bind 127.0.0.1:9000\n  \
xinli demo --no-serve --quiet    # everything but the server (scripts, tests)\n\n\
Writes the CDNOW report (report.html, customers.csv, …) to --out, a simulated shop to <out>/shop, its analysis to \
<out>/shop-analysis and the analysed store to <out>/store/xinli.db, then serves the dashboard and prints an admin key.")]
    Demo(crate::demo::DemoArgs),
    /// Draw a synthetic shop from the BG/NBD + Gamma-Gamma generative process (canonical orders CSV).
    #[command(name = "gen-transactions", after_help = "Examples:\n  \
xinli gen-transactions --customers 100000 --seed 7 --out orders.csv\n  \
xinli gen-transactions --customers 1000000 --params r=0.25,alpha=4,a=0.8,b=2.5,p=6,q=4,v=15 --weeks 78 --out shop/orders.csv.gz")]
    GenTransactions(GenArgs),
    /// Generate a shop whose customers carry planted psychological traits (orders, events, reviews + truth.csv).
    #[command(after_help = "Examples:\n  \
xinli simulate --out ./sim-shop\n  \
xinli simulate --customers 50000 --days 365 --seed 7 --out ./big-shop\n  \
xinli simulate --customers 1000000 --out ./huge-shop   # written in parts of 50,000 customers (orders-0001.csv, …)\n\n\
Writes canonical customers.csv, products.csv, orders.csv, events.csv, reviews.csv and truth.csv \
(each customer's six planted traits, persona and number of sessions). The generative story is \
documented in the xinli-sim crate.")]
    Simulate(SimulateArgs),
    /// List the members of a custom segment, or the sizes of the tag tree, over a customers.csv.
    #[command(after_help = "Examples:\n  \
xinli segment out/customers.csv --where 'churn_risk > 0.5 and rfm_segment in [\"At risk\", \"Can'\\''t lose\"]'\n  \
xinli segment out/customers.csv --where 'trait_price_sensitivity > 0.7 且 clv > 100' --lang zh\n  \
xinli segment out/customers.csv --tags\n  \
xinli segment out/customers.csv --tags my-tags.toml\n\n\
Expressions: and/or/not (且/或/非), = != < <= > >=, in [..], between a and b, is null; empty cells \
are unknown and never match.")]
    Segment(SegmentArgs),
    /// Personalised recommendations: top-N per customer with reasons (中文/English), or --evaluate offline.
    #[command(after_help = "Examples:\n  \
xinli recommend ./my-shop --out ./recs\n  \
xinli recommend ./my-shop --customers ./xinli-out/customers.csv --exclude no-promo.txt --out-of-stock oos.csv --out ./recs\n  \
xinli recommend ./my-shop --basket SKU-1,SKU-7 --out ./recs   # also bought_together.csv\n  \
xinli recommend online_retail.csv.gz --preset online-retail --evaluate --split-date 2011-11-01 --out ./rec-eval\n\n\
Writes recommendations.csv (customer_id, rank, product_id, product_name, category, score, reason_code, \
reason_en, reason_zh), cold_start.csv, similar_items.csv and recommend.index (the serving index); with --evaluate, \
evaluation.json and report.html (HR, precision, recall, NDCG at --top and coverage per model). \
为每位顾客生成带理由的推荐清单；--evaluate 按时间切分做离线评估。")]
    Recommend(Box<crate::recommend::RecommendArgs>),
    /// Voice of the customer: score reviews (sentiment, aspects, emotion, complaints) and satisfaction (CSAT, NPS).
    #[command(after_help = "Examples:\n  \
xinli reviews ./my-shop --out ./voice\n  \
xinli reviews reviews.csv --out ./voice --lang zh\n  \
xinli reviews ./my-shop --customers ./xinli-out/customers.csv --surveys nps-2024.csv --out ./voice\n\n\
Writes reviews_scored.csv (review_id, language, sentiment, probability, aspects, emotion, complaint, severity, …), \
aspect_mentions.csv (each aspect mention with its trigger span), aspects.csv (per product/category and month: \
mentions, share negative), complaints.csv (the queue by severity, then CLV), satisfaction.csv (CSAT, NPS, \
star/text mismatches), quarantine.csv, reviews_summary.json and report.html. \
评价情感、方面（质量、价格、物流、客服、包装、正品/描述、尺码）、情绪、投诉严重度与满意度（CSAT、NPS）。")]
    Reviews(crate::reviews::ReviewsArgs),
    /// Train the review sentiment model (`xinli text train`).
    #[command(subcommand)]
    Text(crate::reviews::TextCommand),
    /// Run the live service: Segment-compatible ingestion, real-time profiles and segments, the JSON query API.
    #[command(after_help = "Examples:\n  \
xinli serve                                   # SQLite in ./xinli-data, http://127.0.0.1:8600\n  \
xinli serve --db postgres://postgres@127.0.0.1:5432/shop --bind 0.0.0.0:8600\n  \
XINLI_PII_KEY=$(cat pii.key) xinli serve --data-dir /var/lib/xinli\n\n\
The first start prints an admin key. Point a Segment SDK at the URL with a write key \
(xinli keys create --role write); the API is described at /api/openapi.json. \
On SQLite a request is answered once its events are synced to the ingest log (<db>-log/), \
which the writer applies behind; a restart replays what a crash left there. \
首次启动会打印管理员密钥；Segment SDK 使用 write 密钥即可直接上报。SQLite 下事件写入并同步到摄取日志后即确认，崩溃后重启会重放。")]
    Serve(crate::serve::ServeArgs),
    /// Manage the live service's API keys (create, list, revoke) and rotate the PII key.
    #[command(after_help = "Examples:\n  \
xinli keys create --role write --name web-sdk\n  \
xinli keys create --role analyst --db postgres://postgres@127.0.0.1:5432/shop\n  \
xinli keys list\n  \
xinli keys revoke 3f9a0c1d2e4b\n  \
XINLI_PII_KEY=<new> XINLI_PII_PREVIOUS_KEYS=<old> xinli keys rotate-pii\n\n\
Roles: write (ingest only), analyst (read, PII masked), admin. 角色：write 仅上报，analyst 只读（个人信息打码），admin 全部权限。")]
    Keys(crate::serve::KeysArgs),
}

#[derive(Args, Debug)]
pub struct SegmentArgs {
    /// A customers.csv written by `xinli analyze`.
    pub customers: PathBuf,
    /// The segment's expression; prints one member id a line and the size.
    #[arg(long = "where", conflicts_with = "tags", required_unless_present = "tags")]
    pub expression: Option<String>,
    /// Print the size of every tag of the tag tree (the built-in one, or a TOML file).
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    pub tags: Option<String>,
    /// Language of names and error messages: zh or en.
    #[arg(long, default_value = "en")]
    pub lang: String,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    #[arg(long, default_value_t = 2000)]
    pub customers: usize,
    #[arg(long, default_value_t = 400)]
    pub products: usize,
    #[arg(long, default_value_t = 12)]
    pub categories: usize,
    /// Length of the simulated period in days.
    #[arg(long, default_value_t = 180)]
    pub days: u32,
    /// First day of the simulated shop.
    #[arg(long, default_value = "2024-01-01")]
    pub start: String,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Share of customers with very little data (1–2 sessions).
    #[arg(long, default_value_t = 0.1)]
    pub sparse_share: f64,
    /// Directory to write the shop into.
    #[arg(long, short)]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// How to read the input (shared by `analyze` and `import`).
#[derive(Args, Debug)]
pub struct InputArgs {
    /// A shop directory in the canonical format, a canonical file (orders.csv, …), or export files read with --preset / --mapping
    /// (`analyze --db` reads the live store instead).
    pub input: Vec<PathBuf>,
    /// Read a known export: online-retail, cdnow or taobao.
    #[arg(long, conflicts_with = "mapping")]
    pub preset: Option<String>,
    /// A TOML mapping file describing any other CSV (see docs/data-contract.md).
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Text encoding: auto (UTF-8, else GB18030), utf-8, gbk, gb18030 or windows-1252.
    #[arg(long, default_value = "auto")]
    pub encoding: String,
    /// Stop at the first malformed row (exit code 2) instead of quarantining it.
    #[arg(long)]
    pub strict: bool,
    /// Where to write the output files.
    #[arg(long, short)]
    pub out: PathBuf,
    /// No progress bars or summary lines.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Unit of recency, T and model time: days or weeks.
    #[arg(long, default_value = "days")]
    pub time_unit: String,
    /// Last day (inclusive) of the calibration period. Default: the last purchase's day.
    #[arg(long)]
    pub calibration_end: Option<String>,
    /// Last day (inclusive) of a holdout period after --calibration-end, for validation.json.
    #[arg(long)]
    pub holdout_end: Option<String>,
    /// Horizon of expected purchases and CLV: days, or with a suffix d/w/m/y (e.g. 52w, 12m).
    #[arg(long, default_value = "365d")]
    pub horizon: String,
    /// Horizon of churn risk (no purchase within it). Default: the holdout length, else 90d.
    #[arg(long)]
    pub churn_horizon: Option<String>,
    /// Annual discount rate for CLV (0.1 = 10 %).
    #[arg(long, default_value_t = 0.1)]
    pub discount_rate: f64,
    /// Transaction model: auto, bgnbd, mbgnbd or pareto.
    #[arg(long, default_value = "auto")]
    pub model: String,
    /// L2 penalty on model parameters (0 = plain maximum likelihood).
    #[arg(long, default_value_t = 0.0)]
    pub penalizer: f64,
    /// Report language: zh or en (the report has a switch for the other).
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// Currency symbol shown in the report (e.g. ¥, £, $).
    #[arg(long, default_value = "")]
    pub currency: String,
    /// Shop name shown as the report's title.
    #[arg(long)]
    pub shop_name: Option<String>,
    /// Strategy playbook (TOML) replacing the built-in one: rules that pick each customer's
    /// next best action (docs/strategy.md). 策略手册，替换内置手册。
    #[arg(long, value_name = "FILE")]
    pub playbook: Option<PathBuf>,
    /// With --db: analyse the live store of `xinli serve` instead of files, and write the scores,
    /// evidence and recommendations back into it (every file is still written to --out).
    #[command(flatten)]
    pub store: crate::serve::StoreArgs,
    /// With --db: recommended products kept per customer.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// With --db: also load the shop into the live store of `xinli serve`.
    #[command(flatten)]
    pub store: crate::serve::StoreArgs,
}

#[derive(Args, Debug)]
pub struct GenArgs {
    /// Number of customers.
    #[arg(long)]
    pub customers: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Model parameters (weekly rates): r, alpha, a, b (BG/NBD) and p, q, v (Gamma-Gamma).
    #[arg(long, default_value = "r=0.25,alpha=4,a=0.8,b=2.5,p=6,q=4,v=15")]
    pub params: String,
    /// Length of the observed period in weeks (customers are acquired over its first half).
    #[arg(long, default_value_t = 78.0)]
    pub weeks: f64,
    /// First day of the simulated shop.
    #[arg(long, default_value = "2024-01-01")]
    pub start: String,
    /// Output file (.csv or .csv.gz); standard output when absent.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}
