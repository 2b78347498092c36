//! The right to erasure: every row of a customer, in every table, in one transaction, with a
//! receipt that names the subject only by digest. The analysis runs' JSON documents
//! (`analysis_artifacts`: the dashboard's complaint queue quotes reviews with their authors)
//! are scrubbed of the customer in the same transaction.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value as Json;

use crate::crypto::digest_hex;
use crate::sql::Val;
use crate::{now_ms, Store, StoreError};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErasureReceipt {
    pub receipt_id: String,
    pub erased_at: i64,
    /// SHA-256 of the external id that was asked for (the id itself is gone).
    pub subject_digest: String,
    /// Rows removed per table.
    pub rows: Vec<(String, u64)>,
    /// Analysis documents rewritten without the customer.
    pub documents_scrubbed: u64,
    /// Files of analysis runs rewritten or removed without the customer (see
    /// [`Store::erase_customer_and`]): by name in the server's `<data-dir>/analysis`, by path
    /// in any other run's output directory (`xinli analyze --db --out DIR`).
    pub files_scrubbed: Vec<String>,
}

/// Removes what names the customer from a JSON document: an array element that is one of the
/// `traces`, or an object with one among its own fields (a complaint, a listed customer), is
/// dropped; any other such string becomes null, and an object key equal to one goes with its
/// value. Aggregates (counts, shares) stay. Returns whether anything changed.
pub fn scrub(doc: &mut Json, traces: &HashSet<String>) -> bool {
    let names = |v: &Json| matches!(v, Json::String(s) if traces.contains(s));
    match doc {
        Json::String(s) if traces.contains(s.as_str()) => {
            *doc = Json::Null;
            true
        }
        Json::Array(items) => {
            let before = items.len();
            items.retain(|item| match item {
                Json::Object(fields) => !fields.values().any(names),
                other => !names(other),
            });
            let mut changed = items.len() != before;
            for item in items.iter_mut() {
                changed |= scrub(item, traces);
            }
            changed
        }
        Json::Object(fields) => {
            let before = fields.len();
            fields.retain(|k, _| !traces.contains(k));
            let mut changed = fields.len() != before;
            for value in fields.values_mut() {
                changed |= scrub(value, traces);
            }
            changed
        }
        _ => false,
    }
}

impl Store {
    /// Erases the customer an external id names (and everything merged into it). `None` when
    /// no customer has that id.
    ///
    /// On SQLite, `secure_delete` overwrites the freed pages and the WAL is checkpointed and
    /// truncated afterwards, so the old page images leave the files too. On PostgreSQL dead
    /// tuples stay in the heap until `VACUUM` (docs/serve.md).
    pub fn erase_customer(&mut self, external: &str) -> Result<Option<ErasureReceipt>, StoreError> {
        self.erase_customer_and(external, |_, _| Ok(Vec::new()))
    }

    /// [`Store::erase_customer`], also running `scrub_files` inside the transaction with what
    /// names the customer (ids, order and review ids, review texts, survey comments) and the
    /// output directory of every recorded analysis run ([`Store::run_output_dirs`]): it
    /// rewrites files outside the store (the analysis files) and returns their names for the
    /// receipt. If it fails, nothing is erased and the error is returned.
    pub fn erase_customer_and(
        &mut self,
        external: &str,
        scrub_files: impl FnOnce(&HashSet<String>, &[PathBuf]) -> Result<Vec<String>, StoreError>,
    ) -> Result<Option<ErasureReceipt>, StoreError> {
        let mut erased_ids = Vec::new();
        let receipt = self.transaction(|s| {
            let Some(cid) = s.find_customer(external)? else { return Ok(None) };
            s.clear_cache();
            if let Some(known) = &s.stored_ids {
                let rows = s.conn.query("SELECT message_id FROM events WHERE cid = $1", &[cid.into()])?;
                erased_ids = rows.iter().map(|r| known.fingerprint(&r.text(0))).collect();
            }
            let traces = s.traces(cid)?;
            let documents_scrubbed = s.scrub_documents(&traces)?;
            let run_dirs = s.run_output_dirs()?;
            let files_scrubbed = scrub_files(&traces, &run_dirs)?;
            let mut rows = Vec::new();
            for table in [
                "events",
                "orders",
                "reviews",
                "surveys",
                "campaign_touches",
                "order_updates",
                "segment_members",
                "customer_scores",
                "customer_evidence",
                "customer_recommendations",
                "identities",
                "profiles",
                "customers",
            ] {
                let n = s.conn.exec(&format!("DELETE FROM {table} WHERE cid = $1"), &[cid.into()])?;
                rows.push((table.to_string(), n));
            }
            let now = now_ms();
            let subject_digest = digest_hex(external);
            let receipt_id = format!("erasure-{now}-{}", &digest_hex(&format!("{subject_digest}{now}{cid}"))[..12]);
            let counts = serde_json::to_string(&rows).expect("counts serialise");
            s.conn.exec(
                "INSERT INTO erasures (receipt_id, at, subject_digest, counts) VALUES ($1, $2, $3, $4)",
                &[receipt_id.as_str().into(), now.into(), subject_digest.as_str().into(), counts.into()],
            )?;
            Ok(Some(ErasureReceipt { receipt_id, erased_at: now, subject_digest, rows, documents_scrubbed, files_scrubbed }))
        })?;
        // A replay of an erased message is a new message, as after a restart.
        if let Some(known) = &mut self.stored_ids {
            known.deleted(&erased_ids);
        }
        if receipt.is_some() && self.backend() == crate::sql::Backend::Sqlite {
            self.conn.query("PRAGMA wal_checkpoint(TRUNCATE)", &[])?;
        }
        Ok(receipt)
    }

    /// What names the customer in a document: its user and anonymous ids, its order and review
    /// ids, its review texts and survey comments.
    fn traces(&mut self, cid: i64) -> Result<HashSet<String>, StoreError> {
        let rows = self.conn.query(
            "SELECT value FROM identities WHERE cid = $1 UNION SELECT order_id FROM orders WHERE cid = $1 \
             UNION SELECT order_id FROM order_updates WHERE cid = $1 \
             UNION SELECT review_id FROM reviews WHERE cid = $1 UNION SELECT text FROM reviews WHERE cid = $1 \
             UNION SELECT comment FROM surveys WHERE cid = $1",
            &[cid.into()],
        )?;
        Ok(rows.iter().filter_map(|r| r.opt_text(0)).filter(|t| !t.is_empty()).collect())
    }

    /// Rewrites every analysis document that names the customer; returns how many. A document
    /// that is not JSON (none is written so) and holds a trace is deleted whole.
    fn scrub_documents(&mut self, traces: &HashSet<String>) -> Result<u64, StoreError> {
        let mut changed = 0;
        for r in self.conn.query("SELECT run_id, name, body FROM analysis_artifacts", &[])? {
            let (key, body) = ([Val::Int(r.int(0)), Val::Text(r.text(1))], r.text(2));
            let scrubbed = match serde_json::from_str::<Json>(&body) {
                Ok(mut doc) => {
                    if !scrub(&mut doc, traces) {
                        continue;
                    }
                    Some(doc.to_string())
                }
                Err(_) if traces.iter().any(|t| body.contains(t.as_str())) => None,
                Err(_) => continue,
            };
            match scrubbed {
                Some(body) => {
                    let [run_id, name] = key;
                    self.conn.exec("UPDATE analysis_artifacts SET body = $3 WHERE run_id = $1 AND name = $2", &[run_id, name, body.into()])?
                }
                None => self.conn.exec("DELETE FROM analysis_artifacts WHERE run_id = $1 AND name = $2", &key)?,
            };
            changed += 1;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn documents_lose_what_names_the_customer_and_keep_aggregates() {
        let traces = ["u9", "r9", "awful, never again"].map(String::from).into_iter().collect();
        let mut doc = json!({
            "customers": 3,
            "voice": {"top_complaints": [
                {"review_id": "r9", "customer_id": "u9", "text": "awful, never again"},
                {"review_id": "r1", "customer_id": "u1", "text": "late"}
            ]},
            "examples": ["u1", "u9"],
            "by_customer": {"u9": 1, "u1": 2},
            "best": {"customer_id": "u9", "clv": 10.0}
        });
        assert!(super::scrub(&mut doc, &traces));
        assert_eq!(doc, json!({
            "customers": 3,
            "voice": {"top_complaints": [{"review_id": "r1", "customer_id": "u1", "text": "late"}]},
            "examples": ["u1"],
            "by_customer": {"u1": 2},
            "best": {"customer_id": null, "clv": 10.0}
        }));
        assert!(!super::scrub(&mut doc, &traces), "nothing left to scrub");
    }
}
