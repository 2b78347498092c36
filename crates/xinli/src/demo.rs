//! `xinli demo`: the CDNOW sample's analysis and report (the published fit), then a simulated
//! shop with planted traits loaded into a local store, analysed with write-back and served —
//! so a new user ends with the dashboard open in a browser.

use std::path::{Path, PathBuf};
use clap::Args;
use xinli_analyze::{AnalyzeConfig, Progress, Source};
use xinli_core::TimeUnit;

use crate::commands::{date_flag, lang, print_outcome, say, Failure, CDNOW_SAMPLE};
use crate::progress::Bars;
use crate::serve::{ServeArgs, StoreArgs};

/// Recommended products kept per customer of the demo shop.
const RECOMMENDATIONS: usize = 10;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where to write the demo's output.
    #[arg(long, default_value = "xinli-demo")]
    pub out: PathBuf,
    /// Report language: zh or en.
    #[arg(long, default_value = "en")]
    pub lang: String,
    #[arg(long, short)]
    pub quiet: bool,
    /// Build everything (reports and the analysed store) but do not start the dashboard.
    #[arg(long)]
    pub no_serve: bool,
    /// Where the dashboard listens.
    #[arg(long, default_value = "127.0.0.1:8600")]
    pub bind: String,
    /// Customers of the simulated shop behind the dashboard.
    #[arg(long, default_value_t = 3000)]
    pub customers: usize,
}

pub fn run(args: DemoArgs) -> Result<(), Failure> {
    cdnow(&args)?;
    let store = shop_store(&args)?;
    if args.no_serve {
        return Ok(());
    }
    say(format_args!(
        "\nxinli demo: the dashboard of a simulated shop ({} customers) — open the address below and sign in with the admin key\n\
         xinli 演示：模拟店铺（{} 位客户）的仪表盘 —— 打开下面的地址，用管理员密钥登录（Ctrl-C 停止）",
        args.customers, args.customers
    ))?;
    crate::serve::serve(ServeArgs { store, bind: args.bind.clone(), rate_limit: 5000.0, timeout: 30, readers: 4, refresh_every: None, ack_after_commit: false })
}

/// The CDNOW 1/10 sample: the published BG/NBD fit and its report.
fn cdnow(args: &DemoArgs) -> Result<(), Failure> {
    let input_dir = args.out.join("input");
    std::fs::create_dir_all(&input_dir).map_err(|e| Failure::internal(format!("cannot create {}: {e}", input_dir.display())))?;
    let input = input_dir.join("CDNOW_sample.txt");
    std::fs::write(&input, CDNOW_SAMPLE).map_err(|e| Failure::internal(format!("cannot write {}: {e}", input.display())))?;
    let bars = Bars::new(args.quiet);
    let mut config = AnalyzeConfig::new(Source::Preset(xinli_ingest::Preset::Cdnow, vec![input]), args.out.clone());
    config.time_unit = TimeUnit::Weeks;
    config.calibration_end = Some(date_flag("calibration end", "1997-09-30")?);
    config.holdout_end = Some(date_flag("holdout end", "1998-06-30")?);
    config.lang = lang(&args.lang)?;
    config.currency = "$".into();
    config.shop_name = Some("CDNOW sample".into());
    let outcome = xinli_analyze::run(&config, &bars)?;
    if args.quiet {
        return Ok(());
    }
    say(format_args!("xinli demo: the CDNOW 1/10 sample (2,357 customers, Jan 1997 – Jun 1998; Fader, Hardie & Lee 2005)"))?;
    print_outcome(&outcome)
}

/// The simulated shop (`<out>/shop`), loaded into a fresh store (`<out>/store/xinli.db`) and
/// analysed from the store with write-back (files in `<out>/shop-analysis`). Returns where the
/// store is.
fn shop_store(args: &DemoArgs) -> Result<StoreArgs, Failure> {
    let shop = args.out.join("shop");
    let bars = Bars::new(args.quiet);
    bars.step("simulate");
    let config = xinli_sim::SimConfig { customers: args.customers.max(1), seed: 7, ..xinli_sim::SimConfig::default() };
    xinli_sim::write_shop_in_parts(&config, &shop, config.customers, |_| {})
        .map_err(|e| Failure::internal(format!("cannot write {}: {e}", shop.display())))?;
    bars.finish_step();
    let store = StoreArgs { db: None, data_dir: args.out.join("store"), pii_key_file: None };
    // A demo starts over: a store left by an earlier run would hold its keys and segments.
    remove_store_files(&store.data_dir)?;
    let options = xinli_ingest::ImportOptions::default();
    let imported = xinli_analyze::import(&Source::Directory(shop), &options)?;
    // The simulator writes no surveys file.
    crate::serve::load_store(&imported.shop, &[], &store, args.quiet)?;
    drop(imported);
    // The store is analysed (exported, as `xinli analyze --db` does) and the scores written back.
    let mut analysis = AnalyzeConfig::new(Source::Directory(PathBuf::new()), args.out.join("shop-analysis"));
    analysis.lang = lang(&args.lang)?;
    analysis.shop_name = Some("xinli demo shop".into());
    crate::serve::analyze_store(analysis, &store, RECOMMENDATIONS, args.quiet)?;
    Ok(store)
}

fn remove_store_files(dir: &Path) -> Result<(), Failure> {
    for name in ["xinli.db", "xinli.db-wal", "xinli.db-shm"] {
        let path = dir.join(name);
        if path.exists() {
            std::fs::remove_file(&path).map_err(|e| Failure::internal(format!("cannot remove {}: {e}", path.display())))?;
        }
    }
    // The server's ingest log: what a killed demo server left would be replayed into the new store.
    let log = xinli_serve::ingest_log::log_dir_for(&dir.join("xinli.db"));
    if log.exists() {
        std::fs::remove_dir_all(&log).map_err(|e| Failure::internal(format!("cannot remove {}: {e}", log.display())))?;
    }
    Ok(())
}
