#![allow(dead_code)]
use std::io::Write;
use std::path::{Path, PathBuf};
use xinli_ingest::{ImportOutcome, ImportSummary};

/// A fresh temporary directory for one test (removed on drop).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("xinli-ingest-{}-{}-{}", name, std::process::id(), nanos()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
    pub fn write_gz(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, gzip(bytes)).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// The shared data folder (`shared/data` beside the checkout), if present.
pub fn shared_data() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("XINLI_SHARED") {
        let p = PathBuf::from(p).join("data");
        if p.is_dir() {
            return Some(p);
        }
    }
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let here = here.canonicalize().unwrap_or(here);
    here.ancestors().map(|a| a.join("shared/data")).find(|p| p.is_dir())
}

/// The repository root (holds `data/`).
pub fn repo_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let here = here.canonicalize().unwrap_or(here);
    here.ancestors().nth(2).unwrap().to_path_buf()
}

pub fn assert_balanced(summary: &ImportSummary) {
    for f in &summary.files {
        let filtered: u64 = f.filtered.values().sum();
        assert_eq!(f.rows_read, f.accepted + f.quarantined + filtered, "summary does not balance: {f:?}");
    }
}

pub fn check(outcome: &ImportOutcome) {
    assert_balanced(&outcome.summary);
    assert!(outcome.quarantine.len() as u64 <= outcome.summary.quarantined());
    // The summary is serialisable for summary.json.
    let json = serde_json::to_string(&outcome.summary).unwrap();
    let back: ImportSummary = serde_json::from_str(&json).unwrap();
    assert_eq!(back.files.len(), outcome.summary.files.len());
}
