//! What an import did: per-file counts, named filter rules, warnings and the quarantine.

use crate::ImportError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Counts for one imported file. Invariant: `rows_read = accepted + quarantined + Σ filtered`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    pub path: String,
    /// Canonical kind (`orders`, `events`, …) or the preset that read the file.
    pub kind: String,
    /// `canonical`, a preset name (`online-retail`, `cdnow`, `taobao`) or `mapping`.
    pub format: String,
    /// Text encoding used: `utf-8`, `utf-8-bom`, `gb18030`, `gbk`, `windows-1252`.
    pub encoding: String,
    pub compressed: bool,
    pub bytes: u64,
    /// Data rows read (header lines are not rows).
    pub rows_read: u64,
    /// Rows that became records.
    pub accepted: u64,
    /// Malformed rows: see the quarantine.
    pub quarantined: u64,
    /// Rows left out on purpose, by the named rule that left them out.
    pub filtered: BTreeMap<String, u64>,
    /// Rows of a UTF-8 file that were not valid UTF-8 and were read as GB18030 instead.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rows_decoded_as_gb18030: u64,
    /// Records of other kinds this file also produced (e.g. customers derived from an order export).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub derived: BTreeMap<String, u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl FileSummary {
    pub fn filtered_total(&self) -> u64 {
        self.filtered.values().sum()
    }
    /// `rows_read == accepted + quarantined + Σ filtered`.
    pub fn balances(&self) -> bool {
        self.rows_read == self.accepted + self.quarantined + self.filtered_total()
    }
}

/// The summary of a whole import (written by the CLI into `summary.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub files: Vec<FileSummary>,
    /// Things worth telling a person that are not errors: unknown file names, odd data.
    pub warnings: Vec<String>,
    /// Records in the resulting shop, by kind.
    pub records: BTreeMap<String, u64>,
    pub seconds: f64,
}

impl ImportSummary {
    pub fn rows_read(&self) -> u64 {
        self.files.iter().map(|f| f.rows_read).sum()
    }
    pub fn accepted(&self) -> u64 {
        self.files.iter().map(|f| f.accepted).sum()
    }
    pub fn quarantined(&self) -> u64 {
        self.files.iter().map(|f| f.quarantined).sum()
    }
    /// Filtered rows by rule, over all files.
    pub fn filtered(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for f in &self.files {
            for (rule, n) in &f.filtered {
                *out.entry(rule.clone()).or_insert(0) += n;
            }
        }
        out
    }
    pub fn balances(&self) -> bool {
        self.files.iter().all(FileSummary::balances)
    }
}

/// One malformed row (or the part of it that was wrong).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    pub file: String,
    /// 1-based line where the row starts.
    pub line: u64,
    /// Column name (as in the file, or the canonical name), or empty for whole-row problems.
    pub column: String,
    /// The offending value, truncated to [`MAX_QUARANTINE_VALUE`] characters.
    pub value: String,
    pub reason: String,
}

/// Quarantined values are cut to this many characters.
pub const MAX_QUARANTINE_VALUE: usize = 200;

pub(crate) fn truncate_value(value: &str) -> String {
    match value.char_indices().nth(MAX_QUARANTINE_VALUE) {
        None => value.to_string(),
        Some((cut, _)) => format!("{}…", &value[..cut]),
    }
}

/// Writes the quarantine as CSV with columns `file,line,column,value,reason`.
pub fn write_quarantine_csv(entries: &[QuarantineEntry], path: &Path) -> Result<(), ImportError> {
    let p = path.display().to_string();
    let file = std::fs::File::create(path).map_err(|e| ImportError::io(&p, e))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    let io = |e: csv::Error| ImportError::io(&p, std::io::Error::other(e));
    w.write_record(["file", "line", "column", "value", "reason"]).map_err(io)?;
    for e in entries {
        let line = e.line.to_string();
        let value = truncate_value(&e.value);
        w.write_record([e.file.as_str(), &line, &e.column, &value, &e.reason]).map_err(io)?;
    }
    let mut inner = w.into_inner().map_err(|e| ImportError::io(&p, std::io::Error::other(e.to_string())))?;
    inner.flush().map_err(|e| ImportError::io(&p, e))
}
