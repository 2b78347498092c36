//! Mapping files: describe any CSV export in TOML and read it as a canonical kind.

use crate::canonical::{read_delimited, Delimited, Kind, Layout, Src};
use crate::input::Opened;
use crate::run::{Builder, FileRun};
use crate::text::TsFormat;
use crate::{EncodingChoice, ImportError};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// A source column: a header name, or a 1-based position (for files without header).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ColumnRef {
    Index(usize),
    Name(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    kind: String,
    file: Option<String>,
    delimiter: Option<String>,
    header: Option<bool>,
    encoding: Option<String>,
    timestamp_format: Option<String>,
    keep_extra: Option<bool>,
    #[serde(default)]
    columns: BTreeMap<String, ColumnRef>,
    #[serde(default)]
    constants: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
}

/// A parsed mapping file. See `docs/data-contract.md`, section "Mapping files".
#[derive(Clone, Debug)]
pub struct Mapping {
    pub kind: Kind,
    /// The data file, relative to the mapping file, when the mapping names one.
    pub file: Option<String>,
    pub delimiter: u8,
    pub header: bool,
    pub encoding: Option<EncodingChoice>,
    pub keep_extra: bool,
    pub columns: BTreeMap<String, ColumnRef>,
    pub constants: BTreeMap<String, String>,
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    ts: TsFormat,
    /// Where the mapping came from (for error messages).
    pub origin: String,
}

impl Mapping {
    pub fn from_file(path: &Path) -> Result<Mapping, ImportError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ImportError::opening(&name, e))?;
        Mapping::from_toml_str(&text, &name)
    }

    /// Parses and checks a mapping; `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Mapping, ImportError> {
        let err = |reason: String| ImportError::Mapping { path: origin.to_string(), reason };
        let raw: RawMapping = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let kind = Kind::parse(&raw.kind)
            .ok_or_else(|| err(format!("unknown kind {:?} (customers|products|orders|events|reviews|campaigns)", raw.kind)))?;
        let delimiter = match raw.delimiter.as_deref() {
            None => b',',
            Some("\\t" | "tab" | "\t") => b'\t',
            Some(d) if d.len() == 1 && d.is_ascii() && !matches!(d, "\"" | "\n" | "\r") => d.as_bytes()[0],
            Some(d) => return Err(err(format!("delimiter must be one ASCII character (or \"tab\"), not {d:?}"))),
        };
        let encoding = match raw.encoding.as_deref() {
            None => None,
            Some(e) => Some(e.parse::<EncodingChoice>().map_err(err)?),
        };
        let ts = match raw.timestamp_format.as_deref().map(str::trim) {
            None | Some("" | "contract" | "auto") => TsFormat::Contract,
            Some("unix" | "unix_s" | "unix_seconds") => TsFormat::Unix,
            Some("unix_ms" | "unix_millis") => TsFormat::UnixMillis,
            Some(f) => {
                if !f.contains('%') {
                    return Err(err(format!("timestamp_format {f:?} is neither `unix`, `unix_ms` nor a chrono format (%Y-%m-%d …)")));
                }
                TsFormat::Chrono(f.to_string())
            }
        };
        let header = raw.header.unwrap_or(true);
        for name in raw.columns.keys().chain(raw.constants.keys()).chain(raw.values.keys()) {
            if kind.column_index(name).is_none() {
                return Err(err(format!("{name:?} is not a column of {} (columns: {})", kind.name(), kind.columns().join(", "))));
            }
        }
        for (name, col) in &raw.columns {
            match col {
                ColumnRef::Index(0) => return Err(err(format!("column {name}: positions are 1-based"))),
                ColumnRef::Name(_) if !header => {
                    return Err(err(format!("column {name}: header = false, so give the 1-based position, not a name")))
                }
                _ => {}
            }
        }
        let m = Mapping {
            kind,
            file: raw.file,
            delimiter,
            header,
            encoding,
            keep_extra: raw.keep_extra.unwrap_or(true),
            columns: raw.columns,
            constants: raw.constants,
            values: raw.values,
            ts,
            origin: origin.to_string(),
        };
        let present: Vec<bool> = kind
            .columns()
            .iter()
            .map(|c| m.columns.contains_key(*c) || m.constants.contains_key(*c))
            .collect();
        let missing = kind.missing(&present);
        if !missing.is_empty() {
            return Err(err(format!("no source column or constant for required column(s) {missing:?}")));
        }
        Ok(m)
    }

    pub(crate) fn encoding_choice(&self) -> Option<EncodingChoice> {
        self.encoding
    }

    fn layout(&self, header: Option<&[String]>, path: &str) -> Result<Layout, ImportError> {
        let kind = self.kind;
        let mut src = vec![Src::Absent; kind.columns().len()];
        let mut used = Vec::new();
        let mut missing = Vec::new();
        for (name, col) in &self.columns {
            let c = kind.column_index(name).expect("checked");
            let i = match (col, header) {
                (ColumnRef::Index(i), _) => Some(i - 1),
                (ColumnRef::Name(n), Some(h)) => {
                    let want = n.trim().to_lowercase();
                    let found = h.iter().position(|x| x.trim().to_lowercase() == want);
                    if found.is_none() {
                        missing.push(n.clone());
                    }
                    found
                }
                (ColumnRef::Name(_), None) => None,
            };
            if let Some(i) = i {
                src[c] = Src::Column(i);
                used.push(i);
            }
        }
        if !missing.is_empty() {
            return Err(ImportError::MissingColumns {
                path: path.to_string(),
                missing,
                found: header.map(|h| h.to_vec()).unwrap_or_default(),
            });
        }
        for (name, value) in &self.constants {
            let c = kind.column_index(name).expect("checked");
            if src[c] == Src::Absent {
                src[c] = Src::Const(value.clone());
            }
        }
        let mut value_maps: Vec<Option<HashMap<String, String>>> = vec![None; src.len()];
        for (name, map) in &self.values {
            let c = kind.column_index(name).expect("checked");
            value_maps[c] = Some(map.iter().map(|(k, v)| (k.trim().to_string(), v.clone())).collect());
        }
        let extra = match (self.keep_extra, header) {
            (true, Some(h)) => h
                .iter()
                .enumerate()
                .filter(|(i, _)| !used.contains(i))
                .map(|(i, n)| (n.trim().to_string(), i))
                .collect(),
            _ => Vec::new(),
        };
        Ok(Layout { kind, src, extra, value_maps, ts: self.ts.clone() })
    }

    pub(crate) fn read(&self, run: &mut FileRun<'_>, b: &mut Builder, opened: Opened) -> Result<(), ImportError> {
        let path = run.summary.path.clone();
        let spec = Delimited {
            delimiter: self.delimiter,
            has_header: self.header,
            layout: if self.header { None } else { Some(self.layout(None, &path)?) },
            fields: None,
        };
        read_delimited(run, b, opened, spec, &|names| self.layout(Some(names), &path))
    }
}
