//! Importers: the canonical data contract, shop-export presets, mappings, encodings and quarantine.
//!
//! Everything that reads shop data into xinli goes through this crate. See
//! `docs/data-contract.md` for the contract (kinds, columns, presets, mapping files, rules and
//! quarantine). Entry points:
//!
//! - [`import_dir`]: a shop directory of canonical files (`orders.csv.gz`, `events.jsonl`, …);
//! - [`import_file`]: one canonical file of a given [`Kind`];
//! - [`import_preset`]: a real export in a known layout ([`Preset`]: `online-retail`, `cdnow`, `taobao`);
//! - [`import_with_mapping`]: any other CSV, described by a TOML [`Mapping`].
//!
//! Every row read ends up accepted, quarantined (malformed: see [`QuarantineEntry`]) or filtered
//! by a named rule, and [`FileSummary`] counts them so that `read = accepted + quarantined + Σ filtered`.

mod canonical;
mod error;
mod export;
mod fuzz;
mod input;
mod mapping;
mod presets;
mod run;
mod summary;
mod text;

pub use canonical::Kind;
pub use error::ImportError;
pub use export::{write_canonical, write_canonical_part};
pub use fuzz::{parse_bytes_for_fuzzing, FUZZ_TARGETS};
pub use mapping::Mapping;
pub use presets::Preset;
pub use summary::{write_quarantine_csv, FileSummary, ImportSummary, QuarantineEntry, MAX_QUARANTINE_VALUE};

use input::{open_path, Opened, Progress};
use run::{Builder, FileRun};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use xinli_core::{Event, Shop};

/// Called with (bytes read so far, total bytes) of the files being imported (sizes on disk, so
/// compressed sizes for `.gz`). May be called from the importer's reading thread.
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Which text encoding to read files in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EncodingChoice {
    /// UTF-8 (with or without BOM) if the start of the file is valid UTF-8, else GB18030
    /// (a superset of GBK). A UTF-8 file's occasional non-UTF-8 row is read as GB18030 and counted.
    #[default]
    Auto,
    Utf8,
    Gbk,
    Gb18030,
    /// Latin-1 / Windows-1252 (e.g. some copies of UCI Online Retail). Never auto-detected.
    Windows1252,
}

impl std::str::FromStr for EncodingChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "auto" => Ok(EncodingChoice::Auto),
            "utf-8" | "utf8" | "utf-8-bom" => Ok(EncodingChoice::Utf8),
            "gbk" | "cp936" | "gb2312" => Ok(EncodingChoice::Gbk),
            "gb18030" => Ok(EncodingChoice::Gb18030),
            "windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" => Ok(EncodingChoice::Windows1252),
            other => Err(format!("unknown encoding {other:?} (use auto, utf-8, gbk, gb18030 or windows-1252)")),
        }
    }
}

/// How to import.
#[derive(Clone)]
pub struct ImportOptions {
    pub encoding: EncodingChoice,
    /// Stop at the first malformed row with [`ImportError::BadRow`] instead of quarantining it.
    pub strict: bool,
    /// Progress callback (bytes read, total bytes), called about every MiB read.
    pub progress: Option<ProgressFn>,
    /// A physical line longer than this is an [`ImportError::LineTooLong`] (default 64 MiB).
    pub max_line_bytes: u64,
    /// At most this many quarantine entries are kept (counts stay exact; default 100,000).
    pub max_quarantine_entries: usize,
    /// [`import_dir`] streams canonical events into this sink instead of keeping them in
    /// `shop.events` (the other importers keep them).
    pub event_sink: Option<SharedEventSink>,
}

/// Receives a canonical directory's events one at a time, so a shop with 10⁸ events is never
/// held in memory. Files are read in kind order (customers, products, orders, events, reviews,
/// campaigns), so [`EventSink::begin`] sees every customer, product and order line.
pub trait EventSink {
    /// Called once, before the first event, with everything imported before events.
    fn begin(&mut self, shop: &Shop);
    fn event(&mut self, event: &Event);
}

/// An [`EventSink`] shared with the importer; take it back after the import.
pub type SharedEventSink = std::sync::Arc<std::sync::Mutex<dyn EventSink + Send>>;

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            encoding: EncodingChoice::Auto,
            strict: false,
            progress: None,
            max_line_bytes: 64 << 20,
            max_quarantine_entries: 100_000,
            event_sink: None,
        }
    }
}

impl fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportOptions")
            .field("encoding", &self.encoding)
            .field("strict", &self.strict)
            .field("progress", &self.progress.as_ref().map(|_| "<callback>"))
            .field("max_line_bytes", &self.max_line_bytes)
            .field("max_quarantine_entries", &self.max_quarantine_entries)
            .field("event_sink", &self.event_sink.as_ref().map(|_| "<sink>"))
            .finish()
    }
}

/// The long-line guard alone, for tests of the guard on generated streams (not a stable API).
#[doc(hidden)]
pub fn guard_reader_for_tests(inner: Box<dyn std::io::Read + Send>, max_line_bytes: u64) -> Box<dyn std::io::Read + Send> {
    Box::new(input::LineGuard::new(inner, max_line_bytes))
}

/// What an import produced.
#[derive(Debug)]
pub struct ImportOutcome {
    pub shop: Shop,
    pub summary: ImportSummary,
    pub quarantine: Vec<QuarantineEntry>,
}

/// One import in progress: the shop, the accounting, the progress counter.
pub(crate) struct Session<'o> {
    pub options: &'o ImportOptions,
    pub builder: Builder,
    pub summary: ImportSummary,
    pub quarantine: Vec<QuarantineEntry>,
    progress: Progress,
    started: Instant,
}

impl<'o> Session<'o> {
    pub(crate) fn new(options: &'o ImportOptions, files: &[PathBuf]) -> Self {
        let total = files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
        Session {
            options,
            builder: Builder::new(),
            summary: ImportSummary::default(),
            quarantine: Vec::new(),
            progress: Progress::new(total, options.progress.clone()),
            started: Instant::now(),
        }
    }

    /// Opens `path` and runs `read` on it with fresh per-file accounting.
    pub(crate) fn run_file(
        &mut self,
        path: &Path,
        kind: &str,
        format: &str,
        encoding: Option<EncodingChoice>,
        read: impl FnOnce(&mut FileRun<'_>, &mut Builder, Opened) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let mut options = self.options.clone();
        if let Some(e) = encoding {
            if options.encoding == EncodingChoice::Auto {
                options.encoding = e;
            }
        }
        let opened = open_path(path, &options, &self.progress)?;
        self.run_opened(path.display().to_string(), kind, format, opened, read)
    }

    pub(crate) fn run_opened(
        &mut self,
        name: String,
        kind: &str,
        format: &str,
        opened: Opened,
        read: impl FnOnce(&mut FileRun<'_>, &mut Builder, Opened) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let summary = FileSummary {
            path: name,
            kind: kind.to_string(),
            format: format.to_string(),
            encoding: opened.encoding_name.clone(),
            compressed: opened.compressed,
            bytes: opened.bytes,
            ..FileSummary::default()
        };
        let mut run = FileRun {
            summary,
            strict: self.options.strict,
            quarantine: &mut self.quarantine,
            max_entries: self.options.max_quarantine_entries,
            dropped_entries: 0,
        };
        read(&mut run, &mut self.builder, opened)?;
        if run.dropped_entries > 0 {
            self.summary.warnings.push(format!(
                "{}: {} more quarantined rows not listed (limit {} entries)",
                run.summary.path, run.dropped_entries, self.options.max_quarantine_entries
            ));
        }
        if run.summary.rows_decoded_as_gb18030 > 0 {
            self.summary.warnings.push(format!(
                "{}: {} rows were not valid UTF-8 and were read as GB18030",
                run.summary.path, run.summary.rows_decoded_as_gb18030
            ));
        }
        debug_assert!(run.summary.balances(), "{:?}", run.summary);
        self.summary.files.push(run.summary);
        Ok(())
    }

    pub(crate) fn finish(mut self) -> ImportOutcome {
        let shop = self.builder.shop;
        let records = &mut self.summary.records;
        records.insert("customers".into(), shop.customers.len() as u64);
        records.insert("products".into(), shop.products.len() as u64);
        records.insert("orders".into(), shop.orders.len() as u64);
        records.insert("events".into(), shop.events.len() as u64 + self.builder.events_streamed);
        records.insert("reviews".into(), shop.reviews.len() as u64);
        records.insert("campaigns".into(), shop.campaigns.len() as u64);
        self.summary.seconds = self.started.elapsed().as_secs_f64();
        ImportOutcome { shop, summary: self.summary, quarantine: self.quarantine }
    }
}

/// The file formats of a shop directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileFormat {
    Csv,
    Tsv,
    Jsonl,
}

/// Splits a shop file name into its kind and format: `orders.csv.gz` → (Orders, Csv). Names may
/// carry a suffix after `-`, `_` or `.` (`orders-2024-01.csv`).
pub(crate) fn classify_name(name: &str) -> Option<(Kind, FileFormat)> {
    let lower = name.to_ascii_lowercase();
    let base = lower.strip_suffix(".gz").unwrap_or(&lower);
    let (stem, format) = if let Some(s) = base.strip_suffix(".csv") {
        (s, FileFormat::Csv)
    } else if let Some(s) = base.strip_suffix(".tsv") {
        (s, FileFormat::Tsv)
    } else if let Some(s) = base.strip_suffix(".jsonl").or_else(|| base.strip_suffix(".ndjson")) {
        (s, FileFormat::Jsonl)
    } else {
        return None;
    };
    Kind::ALL.into_iter().find_map(|k| {
        let rest = stem.strip_prefix(k.name())?;
        (rest.is_empty() || rest.starts_with(['-', '_', '.'])).then_some((k, format))
    })
}

fn read_canonical(
    session: &mut Session<'_>,
    path: &Path,
    kind: Kind,
    format: FileFormat,
) -> Result<(), ImportError> {
    session.run_file(path, kind.name(), "canonical", None, |run, b, opened| {
        read_canonical_opened(run, b, opened, kind, format)
    })
}

pub(crate) fn read_canonical_opened(
    run: &mut FileRun<'_>,
    b: &mut Builder,
    opened: Opened,
    kind: Kind,
    format: FileFormat,
) -> Result<(), ImportError> {
    match format {
        FileFormat::Jsonl => canonical::read_jsonl(run, b, opened, kind),
        FileFormat::Csv | FileFormat::Tsv => {
            let spec = canonical::Delimited {
                delimiter: if format == FileFormat::Tsv { b'\t' } else { b',' },
                has_header: true,
                layout: None,
                fields: None,
            };
            canonical::read_delimited(run, b, opened, spec, &|names| Ok(canonical::Layout::from_header(kind, names)))
        }
    }
}

/// Imports a shop directory of canonical files (see the data contract). Unknown file names are
/// listed in `summary.warnings`; a directory without any shop file is an error.
pub fn import_dir(path: impl AsRef<Path>, options: &ImportOptions) -> Result<ImportOutcome, ImportError> {
    let dir = path.as_ref();
    let name = dir.display().to_string();
    let meta = std::fs::metadata(dir).map_err(|e| ImportError::opening(&name, e))?;
    if !meta.is_dir() {
        return Err(ImportError::NotADirectory { path: name });
    }
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| ImportError::io(&name, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ImportError::io(&name, e))?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if file_name.starts_with('.') {
            continue;
        }
        let p = entry.path();
        if p.is_dir() {
            warnings.push(format!("{}: directory ignored", p.display()));
            continue;
        }
        match classify_name(&file_name) {
            Some((kind, format)) => files.push((kind, file_name, format, p)),
            None => warnings.push(format!(
                "{}: not a shop file name (expected customers|products|orders|events|reviews|campaigns .csv/.csv.gz/.tsv/.jsonl[.gz]); ignored",
                p.display()
            )),
        }
    }
    if files.is_empty() {
        return Err(ImportError::NoShopFiles { path: name });
    }
    files.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    warnings.sort();
    let paths: Vec<PathBuf> = files.iter().map(|f| f.3.clone()).collect();
    let mut session = Session::new(options, &paths);
    session.builder.event_sink = options.event_sink.clone();
    session.summary.warnings = warnings;
    for (kind, _, format, p) in &files {
        read_canonical(&mut session, p, *kind, *format)?;
    }
    Ok(session.finish())
}

/// Imports one canonical file of the given kind (format from the extension; CSV otherwise).
pub fn import_file(path: impl AsRef<Path>, kind: Kind, options: &ImportOptions) -> Result<ImportOutcome, ImportError> {
    let p = path.as_ref();
    let lower = p.to_string_lossy().to_ascii_lowercase();
    let base = lower.strip_suffix(".gz").unwrap_or(&lower);
    let format = if base.ends_with(".jsonl") || base.ends_with(".ndjson") {
        FileFormat::Jsonl
    } else if base.ends_with(".tsv") {
        FileFormat::Tsv
    } else {
        FileFormat::Csv
    };
    let mut session = Session::new(options, &[p.to_path_buf()]);
    read_canonical(&mut session, p, kind, format)?;
    Ok(session.finish())
}

/// Imports a real export in a known layout. Each path is a file, or a directory whose matching
/// files (see [`Preset`]) are all imported, in name order.
pub fn import_preset<P: AsRef<Path>>(
    preset: Preset,
    paths: &[P],
    options: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let files = presets::expand(preset, paths)?;
    let mut session = Session::new(options, &files);
    for f in &files {
        presets::read(&mut session, preset, f)?;
    }
    presets::finish(&mut session, preset);
    Ok(session.finish())
}

/// Imports CSV files described by a TOML mapping file (see [`Mapping`]). With no data paths,
/// the mapping's own `file` (relative to the mapping file) is read.
pub fn import_with_mapping<P: AsRef<Path>>(
    mapping: impl AsRef<Path>,
    data: &[P],
    options: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let mapping_path = mapping.as_ref();
    let m = Mapping::from_file(mapping_path)?;
    let mut files: Vec<PathBuf> = data.iter().map(|p| p.as_ref().to_path_buf()).collect();
    if files.is_empty() {
        match &m.file {
            Some(f) => files.push(mapping_path.parent().unwrap_or(Path::new(".")).join(f)),
            None => {
                return Err(ImportError::Mapping {
                    path: mapping_path.display().to_string(),
                    reason: "no data file given and the mapping names no `file`".into(),
                })
            }
        }
    }
    import_with_mapping_spec(&m, &files, options)
}

/// Like [`import_with_mapping`] with an already parsed mapping.
pub fn import_with_mapping_spec<P: AsRef<Path>>(
    mapping: &Mapping,
    data: &[P],
    options: &ImportOptions,
) -> Result<ImportOutcome, ImportError> {
    let files: Vec<PathBuf> = data.iter().map(|p| p.as_ref().to_path_buf()).collect();
    let mut session = Session::new(options, &files);
    for f in &files {
        let enc = mapping.encoding_choice();
        session.run_file(f, mapping.kind.name(), "mapping", enc, |run, b, opened| mapping.read(run, b, opened))?;
    }
    Ok(session.finish())
}
