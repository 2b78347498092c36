//! The right to erasure: every row of a customer, in every table, in one transaction, with a
//! receipt that names the subject only by digest.

use serde::Serialize;

use crate::crypto::digest_hex;
use crate::{now_ms, Store, StoreError};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErasureReceipt {
    pub receipt_id: String,
    pub erased_at: i64,
    /// SHA-256 of the external id that was asked for (the id itself is gone).
    pub subject_digest: String,
    /// Rows removed per table.
    pub rows: Vec<(String, u64)>,
}

impl Store {
    /// Erases the customer an external id names (and everything merged into it). `None` when
    /// no customer has that id.
    ///
    /// On SQLite, `secure_delete` overwrites the freed pages and the WAL is checkpointed and
    /// truncated afterwards, so the old page images leave the files too. On PostgreSQL dead
    /// tuples stay in the heap until `VACUUM` (docs/serve.md).
    pub fn erase_customer(&mut self, external: &str) -> Result<Option<ErasureReceipt>, StoreError> {
        let receipt = self.transaction(|s| {
            let Some(cid) = s.find_customer(external)? else { return Ok(None) };
            s.clear_cache();
            let mut rows = Vec::new();
            for table in [
                "events",
                "orders",
                "reviews",
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
            Ok(Some(ErasureReceipt { receipt_id, erased_at: now, subject_digest, rows }))
        })?;
        if receipt.is_some() && self.backend() == crate::sql::Backend::Sqlite {
            self.conn.query("PRAGMA wal_checkpoint(TRUNCATE)", &[])?;
        }
        Ok(receipt)
    }
}
