//! What each subcommand does, on top of the library crates.

use crate::cli::{AnalyzeArgs, Cli, Command, GenArgs, ImportArgs, InputArgs, SimulateArgs};
use crate::generate;
use crate::progress::Bars;
use xinli_analyze::Progress;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use xinli_analyze::{AnalyzeConfig, AnalyzeError, AnalyzeOutcome, Source};
use xinli_core::{TimeUnit, Timestamp};
use xinli_ingest::{ImportOptions, Kind};
use xinli_report::Lang;

/// A failed command: the message for standard error and the process exit code.
pub struct Failure {
    pub message: String,
    pub exit_code: u8,
}

impl Failure {
    /// Bad input or usage: exit code 2.
    pub fn input(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), exit_code: 2 }
    }
    pub fn internal(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), exit_code: 1 }
    }
}

impl From<AnalyzeError> for Failure {
    fn from(e: AnalyzeError) -> Failure {
        match e {
            AnalyzeError::Import(_) | AnalyzeError::Surveys(_) | AnalyzeError::Config(_) | AnalyzeError::NoPurchases(_) => Failure::input(e.to_string()),
            AnalyzeError::Model(_) | AnalyzeError::Write { .. } => Failure::internal(e.to_string()),
        }
    }
}

/// Standard output closed early (`xinli … | head`) is a normal end, not a failure.
pub fn stdout_result(written: std::io::Result<()>) -> Result<(), Failure> {
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::internal(format!("cannot write output: {e}"))),
        _ => Ok(()),
    }
}

/// One line on standard output.
pub fn say(line: std::fmt::Arguments) -> Result<(), Failure> {
    stdout_result(writeln!(std::io::stdout(), "{line}"))
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Analyze(args) => analyze(*args),
        Command::Import(args) => import(args),
        Command::Demo(args) => crate::demo::run(args),
        Command::GenTransactions(args) => gen_transactions(args),
        Command::Simulate(args) => simulate(args),
        Command::Segment(args) => {
            let language = lang(&args.lang)?;
            crate::segment::run(args, language)
        }
        Command::Recommend(args) => crate::recommend::run(*args),
        Command::Reviews(args) => crate::reviews::reviews(args),
        Command::Text(command) => crate::reviews::text(command),
        Command::Serve(args) => crate::serve::serve(args),
        Command::Keys(args) => crate::serve::keys(args),
    }
}

fn analyze(args: AnalyzeArgs) -> Result<(), Failure> {
    let quiet = args.input.quiet;
    let bars = Arc::new(Bars::new(quiet));
    let db = args.store.db.is_some();
    if db && !args.input.input.is_empty() {
        return Err(Failure::input("--db analyses the live store: give no input files with it / 使用 --db 时不要再给输入文件"));
    }
    let source = if db { Source::Directory(PathBuf::new()) } else { source(&args.input)? };
    let mut config = AnalyzeConfig::new(source, args.input.out.clone());
    config.import = import_options(&args.input, &bars)?;
    config.time_unit = args.time_unit.parse::<TimeUnit>().map_err(Failure::input)?;
    config.calibration_end = args.calibration_end.as_deref().map(|d| date_flag("--calibration-end", d)).transpose()?;
    config.holdout_end = args.holdout_end.as_deref().map(|d| date_flag("--holdout-end", d)).transpose()?;
    config.horizon_days = duration_days("--horizon", &args.horizon)?;
    config.churn_horizon_days = args.churn_horizon.as_deref().map(|h| duration_days("--churn-horizon", h)).transpose()?;
    if !(args.discount_rate.is_finite() && (0.0..10.0).contains(&args.discount_rate)) {
        return Err(Failure::input(format!("--discount-rate must be in [0, 10), got {}", args.discount_rate)));
    }
    config.discount_rate = args.discount_rate;
    config.model = args.model.parse().map_err(Failure::input)?;
    if !(args.penalizer.is_finite() && args.penalizer >= 0.0) {
        return Err(Failure::input(format!("--penalizer must be ≥ 0, got {}", args.penalizer)));
    }
    config.penalizer = args.penalizer;
    config.lang = lang(&args.lang)?;
    config.currency = args.currency;
    config.shop_name = args.shop_name;
    config.playbook = args.playbook;
    if db {
        return crate::serve::analyze_store(config, &args.store, args.top, quiet);
    }
    let outcome = xinli_analyze::run(&config, bars.as_ref())?;
    if quiet {
        return Ok(());
    }
    print_outcome(&outcome)
}

pub(crate) fn print_outcome(o: &AnalyzeOutcome) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    stdout_result((|| {
        writeln!(
            out,
            "analysed {} customers, {} transactions; model {}; {} rows quarantined",
            o.customers, o.transactions, o.selected_model, o.quarantined
        )?;
        if let Some(v) = &o.validation {
            let auc = |a: Option<f64>| a.map_or("n/a".to_string(), |a| format!("{a:.3}"));
            writeln!(
                out,
                "holdout {}..{}: predicted {:.0} vs actual {:.0} repeat purchases (MAE {:.3}); AUC churn risk {}, expected purchases {}, P(alive) {}",
                v.calibration_end, v.holdout_end, v.predicted_total, v.actual_total, v.mae_per_customer,
                auc(v.auc_churn_risk), auc(v.auc_expected_purchases), auc(v.auc_p_alive)
            )?;
        }
        let total: f64 = o.timings.iter().map(|(_, d)| d.as_secs_f64()).sum();
        writeln!(out, "wrote {} in {total:.2} s", o.out_dir.display())?;
        writeln!(out, "report: {}", o.report_path.display())?;
        if let Ok(path) = o.report_path.canonicalize() {
            writeln!(out, "open file://{}", path.display())?;
        }
        out.flush()
    })())
}

fn import(args: ImportArgs) -> Result<(), Failure> {
    let bars = Arc::new(Bars::new(args.input.quiet));
    let options = import_options(&args.input, &bars)?;
    let source = source(&args.input)?;
    let outcome = xinli_analyze::import(&source, &options)?;
    let out = &args.input.out;
    let written = xinli_ingest::write_canonical(&outcome.shop, out)
        .map_err(|e| Failure::internal(format!("cannot write {}: {e}", out.display())))?;
    xinli_ingest::write_quarantine_csv(&outcome.quarantine, &out.join("quarantine.csv"))
        .map_err(|e| Failure::internal(format!("cannot write quarantine.csv: {e}")))?;
    let summary = serde_json::to_string_pretty(&outcome.summary).map_err(|e| Failure::internal(e.to_string()))?;
    std::fs::write(out.join("summary.json"), summary + "\n").map_err(|e| Failure::internal(format!("cannot write summary.json: {e}")))?;
    if !args.input.quiet {
        for f in &outcome.summary.files {
            let filtered: u64 = f.filtered.values().sum();
            say(format_args!(
                "{}: read {} = accepted {} + quarantined {} + filtered {filtered} {:?}",
                f.path, f.rows_read, f.accepted, f.quarantined, f.filtered
            ))?;
        }
        say(format_args!("wrote {} to {}", written.join(", "), out.display()))?;
    }
    if args.store.db.is_some() {
        let surveys = xinli_analyze::voice::read_surveys(&source).map_err(|e| Failure::input(e.to_string()))?;
        crate::serve::load_store(&outcome.shop, &surveys.answers, &args.store, args.input.quiet)?;
    }
    Ok(())
}

/// The CDNOW 1/10 sample (Fader, Hardie & Lee 2005), embedded so `demo` works from anywhere.
pub(crate) const CDNOW_SAMPLE: &str = include_str!("../../../data/cdnow_sample/CDNOW_sample.txt");

fn gen_transactions(args: GenArgs) -> Result<(), Failure> {
    if args.customers == 0 || args.customers > u64::from(u32::MAX) {
        return Err(Failure::input(format!("--customers must be between 1 and {}", u32::MAX)));
    }
    if !(args.weeks.is_finite() && args.weeks > 0.0) {
        return Err(Failure::input("--weeks must be positive"));
    }
    let start = date_flag("--start", &args.start)?;
    let simulation = generate::simulate(&args.params, args.customers as usize, args.weeks, start, args.seed).map_err(Failure::input)?;
    match &args.out {
        Some(path) => write_file(path, |out| generate::write_orders(&simulation, out))
            .map_err(|e| Failure::internal(format!("cannot write {}: {e}", path.display()))),
        None => stdout_result(generate::write_orders(&simulation, &mut std::io::stdout().lock())),
    }
}

/// Customers simulated and written at a time: bounds `xinli simulate`'s memory.
const SIMULATION_PART: usize = 50_000;

fn simulate(args: SimulateArgs) -> Result<(), Failure> {
    if !(0.0..=1.0).contains(&args.sparse_share) {
        return Err(Failure::input(format!("--sparse-share must be in [0, 1], got {}", args.sparse_share)));
    }
    let config = xinli_sim::SimConfig {
        customers: args.customers,
        products: args.products.max(1),
        categories: args.categories.max(1),
        days: args.days.max(1),
        start: date_flag("--start", &args.start)?,
        seed: args.seed,
        sparse_share: args.sparse_share,
    };
    let bars = Bars::new(args.quiet);
    bars.step("simulate");
    let written = xinli_sim::write_shop_in_parts(&config, &args.out, SIMULATION_PART, |done| {
        bars.count(done as u64, config.customers as u64)
    })
    .map_err(|e| Failure::internal(format!("cannot write {}: {e}", args.out.display())))?;
    bars.finish_step();
    say(format_args!(
        "wrote a simulated shop of {} customers ({} order lines, {} events, {} part(s)) with planted traits to {}",
        written.customers,
        written.order_lines,
        written.events,
        written.parts,
        args.out.display()
    ))
}

/// Writes a file through `write`, gzip-compressed when its name ends in `.gz`.
fn write_file(path: &Path, write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::new(std::fs::File::create(path)?);
    if path.extension().is_some_and(|e| e == "gz") {
        let mut gz = flate2::write::GzEncoder::new(buffered, flate2::Compression::fast());
        write(&mut gz)?;
        gz.finish()?.flush()
    } else {
        write(&mut buffered)?;
        buffered.flush()
    }
}

pub fn source(input: &InputArgs) -> Result<Source, Failure> {
    if let Some(preset) = &input.preset {
        let preset = preset.parse().map_err(Failure::input)?;
        return Ok(Source::Preset(preset, input.input.clone()));
    }
    if let Some(mapping) = &input.mapping {
        return Ok(Source::Mapping { mapping: mapping.clone(), files: input.input.clone() });
    }
    if input.input.is_empty() {
        return Err(Failure::input("give the shop to read: a directory, a file, or export files with --preset / --mapping / 请给出要读取的数据"));
    }
    let [path] = input.input.as_slice() else {
        return Err(Failure::input("several inputs need --preset or --mapping; a canonical shop is one directory"));
    };
    if path.is_dir() {
        return Ok(Source::Directory(path.clone()));
    }
    if !path.exists() {
        return Err(Failure::input(format!("{}: no such file or directory", path.display())));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    let kind = match stem {
        "customers" => Kind::Customers,
        "products" => Kind::Products,
        "orders" => Kind::Orders,
        "events" => Kind::Events,
        "reviews" => Kind::Reviews,
        "campaigns" => Kind::Campaigns,
        _ => {
            return Err(Failure::input(format!(
                "{}: cannot tell what this file holds; name it orders.csv (customers, products, events, reviews, campaigns), \
                 or read it with --preset online-retail|cdnow|taobao or --mapping FILE",
                path.display()
            )))
        }
    };
    Ok(Source::File(path.clone(), kind))
}

pub fn import_options(input: &InputArgs, bars: &Arc<Bars>) -> Result<ImportOptions, Failure> {
    let bars = Arc::clone(bars);
    Ok(ImportOptions {
        encoding: input.encoding.parse().map_err(Failure::input)?,
        strict: input.strict,
        progress: Some(Arc::new(move |done, total| bars.bytes(done, total))),
        ..ImportOptions::default()
    })
}

pub fn date_flag(flag: &str, value: &str) -> Result<Timestamp, Failure> {
    Timestamp::parse(value).map_err(|e| Failure::input(format!("{flag}: {e}")))
}

/// `90`, `90d`, `13w`, `12m` (30.4375 days), `1y` (365.25 days) → whole days.
fn duration_days(flag: &str, value: &str) -> Result<i64, Failure> {
    let v = value.trim().to_ascii_lowercase();
    let (number, days_per) = match v.chars().last() {
        Some('d') => (&v[..v.len() - 1], 1.0),
        Some('w') => (&v[..v.len() - 1], 7.0),
        Some('m') => (&v[..v.len() - 1], 30.4375),
        Some('y') => (&v[..v.len() - 1], 365.25),
        _ => (v.as_str(), 1.0),
    };
    let n: f64 = number.trim().parse().map_err(|_| Failure::input(format!("{flag}: {value:?} is not a duration (e.g. 90d, 13w, 12m, 1y)")))?;
    let days = (n * days_per).round();
    if !(1.0..=36_525.0).contains(&days) {
        return Err(Failure::input(format!("{flag}: {value:?} must be between 1 day and 100 years")));
    }
    Ok(days as i64)
}

pub fn lang(value: &str) -> Result<Lang, Failure> {
    match value.trim().to_ascii_lowercase().as_str() {
        "zh" | "zh-cn" | "cn" | "中文" => Ok(Lang::Zh),
        "en" | "english" => Ok(Lang::En),
        other => Err(Failure::input(format!("--lang: {other:?} (use zh or en)"))),
    }
}
