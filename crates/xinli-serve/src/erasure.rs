//! Erasure reaches the files analysis runs wrote — the server's own (`<data-dir>/analysis`) and
//! every output directory the store recorded for a run (`xinli analyze --db --out DIR`, run
//! from anywhere): each file that names the erased customer is rewritten without it,
//! atomically (a temporary file in the same directory, then a rename), inside the store's
//! erasure transaction ([`xinli_store::Store::erase_customer_and`]) — if a file cannot be
//! rewritten, nothing is erased and the request fails.
//!
//! What names the customer are its `traces` (ids, order and review ids, review texts, survey
//! comments). A CSV row with a cell equal to a trace, or holding a long trace (a text), is
//! dropped (customers.csv, evidence.csv, recommendations.csv, voice.csv, quarantine.csv…); a
//! JSON document is scrubbed as the stored documents are ([`xinli_store::erase::scrub`]);
//! other text (report.html) has every occurrence of a trace, as its HTML-escaped text, replaced
//! by `[erased]` where it stands whole (an element's text or an attribute's value) and, for long
//! traces, anywhere; a binary file that holds a trace (the recommender's `recommend.index`) is
//! removed.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A trace at least this long (in bytes) is a text, not an id: it is looked for inside cells
/// and markup, not only as a whole value.
const LONG_TRACE: usize = 16;

const ERASED: &str = "[erased]";

/// [`scrub_analysis_files`] over the server's own analysis directory `own` (files named as
/// they are) and every recorded run directory `runs` that still exists and is not `own` (files
/// named by their path). A directory that is gone (removed by its owner) is passed over.
pub fn scrub_run_files(own: &Path, runs: &[PathBuf], traces: &HashSet<String>) -> std::io::Result<Vec<String>> {
    let mut scrubbed = scrub_analysis_files(own, traces)?;
    let own = std::fs::canonicalize(own).unwrap_or_else(|_| own.to_path_buf());
    let mut seen = HashSet::from([own]);
    for dir in runs {
        let Ok(dir) = std::fs::canonicalize(dir) else { continue };
        if !seen.insert(dir.clone()) {
            continue;
        }
        scrubbed.extend(scrub_analysis_files(&dir, traces)?.into_iter().map(|name| dir.join(name).display().to_string()));
    }
    Ok(scrubbed)
}

/// Rewrites every file of `dir` that names the customer; returns their names, sorted. Hidden
/// entries (a run's export in progress) and sub-directories are left alone: the export is
/// removed when its run ends, and a run that was going is refused at write-back.
pub fn scrub_analysis_files(dir: &Path, traces: &HashSet<String>) -> std::io::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut scrubbed = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.file_type()?.is_file() {
            continue;
        }
        let path = entry.path();
        let bytes = std::fs::read(&path)?;
        if bytes.contains(&0) || std::str::from_utf8(&bytes).is_err() {
            // A binary file (recommend.index) cannot be rewritten here: one that names the
            // customer is removed (the server does not read it; the next run writes it again).
            if traces.iter().any(|t| !t.is_empty() && bytes.windows(t.len()).any(|w| w == t.as_bytes())) {
                std::fs::remove_file(&path)?;
                scrubbed.push(name);
            }
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let rewritten = if name.ends_with(".csv") {
            scrub_csv(&bytes, traces)?
        } else if name.ends_with(".json") {
            match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(mut doc) => xinli_store::erase::scrub(&mut doc, traces).then(|| {
                    let mut body = serde_json::to_vec_pretty(&doc).expect("a JSON value serialises");
                    body.push(b'\n');
                    body
                }),
                // Not JSON after all: treated as text below.
                Err(_) => scrub_text(&text, traces).map(String::into_bytes),
            }
        } else {
            scrub_text(&text, traces).map(String::into_bytes)
        };
        if let Some(body) = rewritten {
            replace_file(dir, &name, &body)?;
            scrubbed.push(name);
        }
    }
    scrubbed.sort();
    Ok(scrubbed)
}

fn names(cell: &str, traces: &HashSet<String>) -> bool {
    traces.contains(cell.trim()) || traces.iter().any(|t| t.len() >= LONG_TRACE && cell.contains(t.as_str()))
}

/// The CSV without the rows that name the customer (the header stays), or `None` when no row
/// does.
fn scrub_csv(bytes: &[u8], traces: &HashSet<String>) -> std::io::Result<Option<Vec<u8>>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(Vec::with_capacity(bytes.len()));
    let mut dropped = false;
    for record in reader.records() {
        let record = record.map_err(std::io::Error::other)?;
        if record.iter().any(|cell| names(cell, traces)) {
            dropped = true;
        } else {
            writer.write_record(&record)?;
        }
    }
    if !dropped {
        return Ok(None);
    }
    writer.into_inner().map(Some).map_err(|e| std::io::Error::other(e.to_string()))
}

/// Text (HTML) with each trace replaced where it stands whole — between `>` and `<`, or as a
/// quoted attribute value — and long traces anywhere; `None` when none occurs.
fn scrub_text(text: &str, traces: &HashSet<String>) -> Option<String> {
    let mut out = text.to_string();
    for trace in traces {
        let escaped = escape_html(trace);
        for form in [trace.as_str(), escaped.as_str()] {
            if form.len() >= LONG_TRACE {
                out = out.replace(form, ERASED);
            } else {
                for (open, close) in [(">", "<"), ("\"", "\""), ("'", "'")] {
                    out = out.replace(&format!("{open}{form}{close}"), &format!("{open}{ERASED}{close}"));
                }
            }
        }
    }
    (out != text).then_some(out)
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Writes `body` to a temporary file beside `name`, syncs it, then renames it over `name`.
fn replace_file(dir: &Path, name: &str, body: &[u8]) -> std::io::Result<()> {
    let temporary = dir.join(format!(".{name}.erasure"));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(body)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traces() -> HashSet<String> {
        ["u9", "o9", "the parcel came crushed and late"].map(String::from).into_iter().collect()
    }

    #[test]
    fn files_lose_the_customers_rows_and_mentions_atomically() {
        let dir = std::env::temp_dir().join(format!("xinli-serve-erasure-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".store-export-3")).unwrap();
        std::fs::write(dir.join("customers.csv"), "customer_id,clv\nu1,3.5\nu9,7\nu90,1\n").unwrap();
        std::fs::write(dir.join("voice.csv"), "product_id,quote\np1,\"Awful: the parcel came crushed and late!\"\np2,fine\n").unwrap();
        std::fs::write(dir.join("cold_start.csv"), "rank,product_id\n1,p1\n").unwrap();
        std::fs::write(dir.join("summary.json"), r#"{"customers": 3, "top": ["u1", "u9"]}"#).unwrap();
        std::fs::write(dir.join("report.html"), "<td>u9</td><td>u90</td><p title=\"o9\">the parcel came crushed and late</p>").unwrap();
        std::fs::write(dir.join(".store-export-3/customers.csv"), "customer_id\nu9\n").unwrap();
        std::fs::write(dir.join("recommend.index"), b"XINLIREC\0\0\x02\0u9\x02\0u1").unwrap();
        std::fs::write(dir.join("other.index"), b"XINLIREC\0\0\x02\0u1").unwrap();

        let scrubbed = scrub_analysis_files(&dir, &traces()).unwrap();
        assert_eq!(scrubbed, ["customers.csv", "recommend.index", "report.html", "summary.json", "voice.csv"]);
        assert!(!dir.join("recommend.index").exists() && dir.join("other.index").exists(), "a binary file naming the customer is removed");
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(read("customers.csv"), "customer_id,clv\nu1,3.5\nu90,1\n");
        assert_eq!(read("voice.csv"), "product_id,quote\np2,fine\n");
        assert_eq!(read("cold_start.csv"), "rank,product_id\n1,p1\n", "untouched");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&read("summary.json")).unwrap(), serde_json::json!({"customers": 3, "top": ["u1"]}));
        assert_eq!(read("report.html"), "<td>[erased]</td><td>u90</td><p title=\"[erased]\">[erased]</p>");
        assert_eq!(read(".store-export-3/customers.csv"), "customer_id\nu9\n", "a run's export is its own");
        assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".erasure")), "no temporary file left");
        assert!(scrub_analysis_files(&dir, &traces()).unwrap().is_empty(), "nothing left to scrub");
        assert!(scrub_analysis_files(&dir.join("missing"), &traces()).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
