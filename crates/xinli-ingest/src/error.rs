//! The one error type of the importers.

/// A file (or a whole import) that cannot be read as what it claims to be, or — with
/// `strict: true` — the first bad row. Every variant names the file; `Display` gives the
/// details a person needs to fix the input.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not found")]
    NotFound { path: String },
    #[error("{path}: not a directory of shop files")]
    NotADirectory { path: String },
    #[error("{path}: no shop files found (expected customers, products, orders, events, reviews or campaigns as .csv, .csv.gz, .tsv or .jsonl)")]
    NoShopFiles { path: String },
    #[error("{path}: looks binary (NUL byte at offset {offset}), not a text export")]
    Binary { path: String, offset: u64 },
    #[error("{path}: corrupt or truncated gzip data near line {line}: {detail}")]
    CorruptGzip { path: String, line: u64, detail: String },
    #[error("{path}: file is empty")]
    Empty { path: String },
    #[error("{path}: missing required column(s) {missing:?}; found columns {found:?}")]
    MissingColumns { path: String, missing: Vec<String>, found: Vec<String> },
    #[error("{path}: line {line} is longer than the limit of {limit} bytes (not a line-oriented export?)")]
    LineTooLong { path: String, line: u64, limit: u64 },
    #[error("{path}: unsupported encoding: {detail}")]
    Encoding { path: String, detail: String },
    #[error("{path}, line {line}, column {column}: {reason} (value {value:?})")]
    BadRow { path: String, line: u64, column: String, value: String, reason: String },
    #[error("{path}: invalid mapping: {reason}")]
    Mapping { path: String, reason: String },
    #[error("{path}: {reason}")]
    Unrecognised { path: String, reason: String },
}

impl ImportError {
    /// The file the error is about.
    pub fn path(&self) -> &str {
        match self {
            ImportError::Io { path, .. }
            | ImportError::NotFound { path }
            | ImportError::NotADirectory { path }
            | ImportError::NoShopFiles { path }
            | ImportError::Binary { path, .. }
            | ImportError::CorruptGzip { path, .. }
            | ImportError::Empty { path }
            | ImportError::MissingColumns { path, .. }
            | ImportError::LineTooLong { path, .. }
            | ImportError::Encoding { path, .. }
            | ImportError::BadRow { path, .. }
            | ImportError::Mapping { path, .. }
            | ImportError::Unrecognised { path, .. } => path,
        }
    }

    /// True for a bad row reported because of `strict: true` (the CLI's exit code 2).
    pub fn is_bad_row(&self) -> bool {
        matches!(self, ImportError::BadRow { .. })
    }

    pub(crate) fn io(path: &str, source: std::io::Error) -> Self {
        ImportError::Io { path: path.to_string(), source }
    }

    /// An error opening `path`: `NotFound` when it does not exist, else an I/O error.
    pub(crate) fn opening(path: &str, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            ImportError::NotFound { path: path.to_string() }
        } else {
            ImportError::io(path, source)
        }
    }
}
