//! Errors of the text crate: each names the file, and the line and column where it applies.

#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}, line {line}: {message}")]
    Csv { path: String, line: u64, message: String },
    #[error("{path}: missing column {column:?} (found: {found})")]
    MissingColumn { path: String, column: String, found: String },
    #[error("{path}, line {line}, column {column}: {reason} (value {value:?})")]
    BadValue { path: String, line: u64, column: String, value: String, reason: String },
    #[error("{path}: {message}")]
    Model { path: String, message: String },
    #[error(transparent)]
    Import(#[from] xinli_ingest::ImportError),
}

impl TextError {
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        TextError::Io { path: path.display().to_string(), source }
    }

    pub fn csv(path: &std::path::Path, e: csv::Error) -> Self {
        let line = e.position().map_or(0, |p| p.line());
        match e.into_kind() {
            csv::ErrorKind::Io(source) => TextError::Io { path: path.display().to_string(), source },
            kind => TextError::Csv { path: path.display().to_string(), line, message: format!("{kind:?}") },
        }
    }
}
