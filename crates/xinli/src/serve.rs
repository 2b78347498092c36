//! `xinli serve`, `xinli keys …` and the store half of `xinli import --db`: flags into a
//! [`xinli_serve::ServeConfig`] / [`xinli_store::Store`], and the PII key from the environment
//! or a key file.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use xinli_serve::ServeConfig;
use xinli_store::{Location, PiiCipher, Role, Store};

use crate::commands::{stdout_result, Failure};

/// Where the store is: `--db` (a SQLite path or a postgres:// URL), else `<data-dir>/xinli.db`.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// The database: a SQLite file path, or postgres://user@host:port/database.
    #[arg(long = "db", visible_alias = "database-url", global = true)]
    pub db: Option<String>,
    /// Directory for the default SQLite file (xinli.db) and the generated PII key file.
    #[arg(long, default_value = "xinli-data", global = true)]
    pub data_dir: PathBuf,
    /// A file holding the 32-byte PII key (64 hex digits or base64). Default: XINLI_PII_KEY,
    /// else <data-dir>/pii.key (created on first use).
    #[arg(long, global = true)]
    pub pii_key_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8600")]
    pub bind: String,
    /// Requests per second allowed per API key (bursts of twice that).
    #[arg(long, default_value_t = 5000.0)]
    pub rate_limit: f64,
    /// Seconds before a request is answered 503.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Read connections.
    #[arg(long, default_value_t = 4)]
    pub readers: usize,
    /// Analyse the store this often in the background and write the scores back (e.g. 30m, 1h, 1d).
    #[arg(long, value_name = "DURATION")]
    pub refresh_every: Option<String>,
    /// SQLite: answer ingestion once the writer has committed it, not once it is durable in
    /// the ingest log (<db>-log/). Slower under load; a process reading the database file
    /// directly then sees an event as soon as its request is answered.
    #[arg(long)]
    pub ack_after_commit: bool,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Create a key (its secret is printed once).
    Create {
        /// write (ingest only), analyst (read, PII masked) or admin.
        #[arg(long)]
        role: String,
        /// A label for people.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id.
    Revoke { id: String },
    /// Re-seal all PII under the current XINLI_PII_KEY (old key in XINLI_PII_PREVIOUS_KEYS).
    RotatePii,
}

#[derive(Args, Debug)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub command: KeysCommand,
    #[command(flatten)]
    pub store: StoreArgs,
}

fn say(line: std::fmt::Arguments) -> Result<(), Failure> {
    stdout_result(writeln!(std::io::stdout(), "{line}").and_then(|_| std::io::stdout().flush()))
}

impl StoreArgs {
    pub fn location(&self) -> Location {
        match &self.db {
            Some(db) => Location::parse(db),
            None => Location::Sqlite(self.data_dir.join("xinli.db")),
        }
    }

    /// The PII cipher: XINLI_PII_KEY, else the key file (created with a fresh key, mode 0600,
    /// when it is the default one and absent); previous keys from XINLI_PII_PREVIOUS_KEYS.
    fn cipher(&self) -> Result<PiiCipher, Failure> {
        let bad = |e: xinli_store::StoreError| Failure::input(e.to_string());
        let current = match std::env::var("XINLI_PII_KEY") {
            Ok(k) if !k.trim().is_empty() => xinli_store::crypto::parse_key(&k).map_err(bad)?,
            _ => {
                let path = self.pii_key_file.clone().unwrap_or_else(|| self.data_dir.join("pii.key"));
                if !path.exists() && self.pii_key_file.is_none() {
                    create_key_file(&path)?;
                }
                let text = std::fs::read_to_string(&path).map_err(|e| Failure::input(format!("cannot read the PII key file {}: {e}", path.display())))?;
                xinli_store::crypto::parse_key(&text).map_err(bad)?
            }
        };
        let previous = std::env::var("XINLI_PII_PREVIOUS_KEYS")
            .unwrap_or_default()
            .split(',')
            .filter(|k| !k.trim().is_empty())
            .map(xinli_store::crypto::parse_key)
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        Ok(PiiCipher::new(current, &previous))
    }

    /// The directory the store's batch analyses write their files into.
    pub fn analysis_dir(&self) -> PathBuf {
        self.data_dir.join("analysis")
    }

    /// The store for the batch analysis, which never reads or writes PII: a throwaway key,
    /// so analysing never creates a key file or needs the real one.
    pub fn open_for_analysis(&self) -> Result<Store, Failure> {
        let location = self.location();
        let key = xinli_store::crypto::parse_key(&xinli_store::crypto::generate_key_hex()).map_err(|e| Failure::internal(e.to_string()))?;
        Store::open(&location, PiiCipher::new(key, &[])).map_err(|e| Failure::input(format!("cannot open the store {}: {e}", location.display())))
    }

    pub fn open(&self) -> Result<Store, Failure> {
        let location = self.location();
        Store::open(&location, self.cipher()?).map_err(|e| Failure::input(format!("cannot open the store {}: {e}", location.display())))
    }
}

fn create_key_file(path: &Path) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Failure::input(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| Failure::input(format!("cannot create the PII key file {}: {e}", path.display())))?;
    writeln!(file, "{}", xinli_store::crypto::generate_key_hex()).map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
    eprintln!("created a new PII key in {} — back it up: without it the stored PII cannot be read (新建了 PII 密钥，请备份)", path.display());
    Ok(())
}

pub fn serve(args: ServeArgs) -> Result<(), Failure> {
    let bind = args.bind.parse().map_err(|_| Failure::input(format!("--bind: {:?} is not an address like 127.0.0.1:8600", args.bind)))?;
    if !(args.rate_limit.is_finite() && args.rate_limit > 0.0) {
        return Err(Failure::input("--rate-limit must be a positive number"));
    }
    let mut store = args.store.open()?;
    let first_admin = if store.list_keys().map_err(|e| Failure::input(e.to_string()))?.is_empty() {
        Some(store.create_key(Role::Admin, "first admin").map_err(|e| Failure::input(e.to_string()))?)
    } else {
        None
    };
    drop(store);
    let location = args.store.location();
    let mut config = ServeConfig::new(location.clone(), args.store.cipher()?);
    config.bind = bind;
    config.rate_limit = args.rate_limit;
    config.request_timeout = std::time::Duration::from_secs(args.timeout.max(1));
    config.readers = args.readers.max(1);
    config.stop_on_signal = true;
    config.analysis = xinli_serve::analysis::AnalysisSettings::new(args.store.analysis_dir());
    config.refresh_every = args.refresh_every.as_deref().map(refresh_interval).transpose()?;
    config.ingest_log = !args.ack_after_commit;
    let server = xinli_serve::spawn(config).map_err(Failure::input)?;
    say(format_args!("xinli serve: listening on http://{} (store: {})", server.addr, location.display()))?;
    say(format_args!("dashboard / 仪表盘: http://{}/", server.addr))?;
    match first_admin {
        Some(k) => say(format_args!(
            "first admin key (shown once, keep it safe / 首个管理员密钥，仅显示一次): {}\n\
             create ingest keys with: xinli keys create --role write",
            k.key
        ))?,
        None => say(format_args!("keys: xinli keys list | xinli keys create --role write|analyst|admin"))?,
    }
    server.wait().map_err(Failure::input)
}


/// `--refresh-every`: a number with s, m, h or d (at least a minute, at most 30 days).
fn refresh_interval(value: &str) -> Result<std::time::Duration, Failure> {
    let v = value.trim().to_ascii_lowercase();
    let bad = || Failure::input(format!("--refresh-every: {value:?} is not a duration like 30m, 1h or 1d (at least 1m) / 刷新间隔格式如 30m、1h、1d"));
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
    let n: f64 = v[..split].parse().map_err(|_| bad())?;
    let seconds = match v[split..].trim() {
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86_400.0,
        _ => return Err(bad()),
    };
    if !(60.0..=30.0 * 86_400.0).contains(&seconds) {
        return Err(bad());
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

/// `xinli analyze --db`: the store analysed and the scores written back.
pub fn analyze_store(config: xinli_analyze::AnalyzeConfig, store_args: &StoreArgs, top: usize, quiet: bool) -> Result<(), Failure> {
    if top == 0 || top > 1000 {
        return Err(Failure::input(format!("--top must be between 1 and 1000, got {top}")));
    }
    let mut store = store_args.open_for_analysis()?;
    let settings = xinli_serve::analysis::AnalysisSettings { config, top_n: top };
    let source = format!("xinli analyze --db {}", store_args.location().display());
    let r = xinli_serve::analysis::analyze_store(&mut store, &settings, &source).map_err(Failure::input)?;
    if quiet {
        return Ok(());
    }
    say(format_args!(
        "analysis run {} of {}: {} customers, {} products, {} order lines, {} events, {} reviews, {} survey answers, {} campaign touches as of {}{}",
        r.run_id,
        store_args.location().display(),
        r.customers,
        r.products,
        r.orders,
        r.events,
        r.reviews,
        r.surveys,
        r.campaigns,
        r.as_of,
        xinli_serve::analysis::skipped_note(&r.skipped)
    ))?;
    say(format_args!(
        "export {:.1} s, analysis {:.1} s, recommendations {:.1} s, write-back {:.1} s; files in {}",
        r.export_seconds,
        r.analyze_seconds,
        r.recommend_seconds,
        r.write_back_seconds,
        settings.config.out_dir.display()
    ))
}

pub fn keys(args: KeysArgs) -> Result<(), Failure> {
    let mut store = args.store.open()?;
    let failed = |e: xinli_store::StoreError| Failure::input(e.to_string());
    match args.command {
        KeysCommand::Create { role, name } => {
            let role = Role::parse(&role).ok_or_else(|| Failure::input(format!("--role must be write, analyst or admin, not {role:?} / 角色须为 write、analyst 或 admin")))?;
            let k = store.create_key(role, &name).map_err(failed)?;
            store.audit("cli", "create_key", &k.id, role.name()).map_err(failed)?;
            say(format_args!("{}", k.key))?;
            eprintln!("created {} key {} — the secret above is shown only once (密钥仅显示一次)", role.name(), k.id);
        }
        KeysCommand::List => {
            say(format_args!("id\trole\tname\tcreated_at\trevoked_at"))?;
            for k in store.list_keys().map_err(failed)? {
                say(format_args!("{}\t{}\t{}\t{}\t{}", k.id, k.role.name(), k.name, k.created_at, k.revoked_at.map_or(String::new(), |r| r.to_string())))?;
            }
        }
        KeysCommand::Revoke { id } => {
            if !store.revoke_key(&id).map_err(failed)? {
                return Err(Failure::input(format!("no active key {id:?} / 没有这个有效密钥")));
            }
            store.audit("cli", "revoke_key", &id, "").map_err(failed)?;
            say(format_args!("revoked {id} (running servers stop accepting it within 5 s)"))?;
        }
        KeysCommand::RotatePii => {
            let n = store.rotate_pii().map_err(failed)?;
            store.audit("cli", "rotate_pii", "customers", &n.to_string()).map_err(failed)?;
            say(format_args!("re-sealed the PII of {n} customers under the current key"))?;
        }
    }
    Ok(())
}

/// `xinli import --db`: the imported shop into the store, in batches through the same
/// ingestion as the HTTP API, with the shop's products, its reviews without a customer and its
/// surveys files' answers (read as `xinli analyze` reads them; rows it would quarantine are not
/// loaded).
pub fn load_store(shop: &xinli_core::Shop, surveys: &[xinli_text::satisfaction::Survey], db: &StoreArgs, quiet: bool) -> Result<(), Failure> {
    let mut store = db.open()?;
    let loading = |e: xinli_store::StoreError| Failure::internal(format!("loading the store: {e}"));
    let products = store.put_products(&shop.products).map_err(loading)?;
    let anonymous_reviews = store.put_anonymous_reviews(&shop.reviews).map_err(loading)?;
    let mut messages = xinli_store::import::messages_from_shop(shop);
    messages.extend(surveys.iter().map(|a| {
        let scale = match a.scale {
            xinli_text::satisfaction::Scale::ZeroToTen => 10,
            xinli_text::satisfaction::Scale::OneToFive => 5,
        };
        let answer = xinli_store::SurveyInput {
            score: i64::from(a.score),
            scale,
            comment: a.comment.clone(),
            product_id: a.product_id.as_ref().map(|p| p.as_str().to_string()),
        };
        xinli_store::import::survey_message(a.customer_id.as_str(), a.ts.unix_seconds() * 1000, answer)
    }));
    let mut total = xinli_store::IngestOutcome::default();
    for chunk in messages.chunks(5000) {
        let outcome = store.ingest(chunk).map_err(loading)?;
        total.add(&outcome);
    }
    store.gather_statistics().map_err(loading)?;
    if !quiet {
        say(format_args!(
            "store {}: {} products; {} reviews without a customer newly stored; {} messages = stored {} + already stored {} ({} merges)",
            db.location().display(),
            products,
            anonymous_reviews,
            messages.len(),
            total.stored,
            total.duplicates,
            total.merges,
        ))?;
    }
    Ok(())
}
