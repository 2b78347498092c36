//! The message ids a SQLite store holds, known in memory: the duplicate check of ingestion.
//!
//! A unique index of `events.message_id` made every new event write one random page of that
//! index into the WAL, because Segment libraries send random ids (UUIDs): 4 KB of disk writes
//! an event on top of ~3 KB for everything else, which at 50,000 events/s is more than this
//! machine's disk takes (bench/serve.sh, docs/serve.md). Instead, each connection that ingests
//! keeps a keyed 128-bit fingerprint of every stored id: loaded from the events table at its
//! first ingestion, brought up to date inside each write transaction with the rows other
//! connections added since (`events.id` is AUTOINCREMENT, so never reused: "after the last id
//! seen" is exact). The catch-up is the transaction's first read, and the transaction began
//! `IMMEDIATE`, holding the write lock: no other connection commits between the catch-up and
//! this transaction's end, so no duplicate slips in between.
//!
//! The set is shared with the server's ingest log ([`MessageIds`]), which counts a request's
//! duplicates against it before the writer has the request.
//!
//! Two different ids share a fingerprint with probability about n²/2¹²⁹ among n ids (10⁻²¹
//! at 10⁹ events); the key is random per process, so no sender can aim for a collision. The
//! cost is memory, ~26 bytes per stored event in each ingesting process, and the first
//! ingestion's read of every id. PostgreSQL keeps the unique index: its WAL records an index
//! entry, not the page.

use std::sync::{Arc, PoisonError, RwLock};

use rand::rngs::OsRng;
use rand::RngCore;
use siphasher::sip128::{Hasher128, SipHasher13};

use crate::sql::{Conn, Val};
use crate::{FastSet, Store, StoreError};

/// Rows read per statement while catching up.
const CATCH_UP_ROWS: i64 = 10_000;

pub(crate) struct StoredIds {
    known: MessageIds,
    /// The events row up to which the fingerprints cover the table.
    through: i64,
}

/// The fingerprints of the stored message ids, shared: the server's ingest log checks new
/// messages against the writer's set instead of keeping a second one (~26 bytes an event).
/// The writer adds to it after each commit and removes an erased customer's ids.
#[derive(Clone)]
pub struct MessageIds {
    key: (u64, u64),
    fingerprints: Arc<RwLock<FastSet<u128>>>,
}

impl MessageIds {
    pub fn fingerprint(&self, message_id: &str) -> u128 {
        let mut h = SipHasher13::new_with_keys(self.key.0, self.key.1);
        std::hash::Hasher::write(&mut h, message_id.as_bytes());
        u128::from(h.finish128())
    }

    /// Whether each fingerprint is known, under one lock.
    pub fn known(&self, fingerprints: &[u128]) -> Vec<bool> {
        let set = self.fingerprints.read().unwrap_or_else(PoisonError::into_inner);
        fingerprints.iter().map(|f| set.contains(f)).collect()
    }
}

impl StoredIds {
    /// Knows nothing yet: the first [`StoredIds::catch_up`] reads every stored id.
    pub(crate) fn new() -> StoredIds {
        let known = MessageIds { key: (OsRng.next_u64(), OsRng.next_u64()), fingerprints: Arc::default() };
        StoredIds { known, through: 0 }
    }

    pub(crate) fn fingerprint(&self, message_id: &str) -> u128 {
        self.known.fingerprint(message_id)
    }

    /// Those of `ids` already stored.
    pub(crate) fn stored<'i>(&self, ids: impl Iterator<Item = &'i str>) -> FastSet<String> {
        let set = self.known.fingerprints.read().unwrap_or_else(PoisonError::into_inner);
        ids.filter(|id| set.contains(&self.fingerprint(id))).map(str::to_string).collect()
    }

    /// Adds the events stored after the last one known (all of them, the first time). As the
    /// first read of a write transaction, so that none can be added behind it before the commit.
    pub(crate) fn catch_up(&mut self, conn: &mut dyn Conn) -> Result<(), StoreError> {
        loop {
            let rows = conn.query("SELECT id, message_id FROM events WHERE id > $1 ORDER BY id LIMIT $2", &[self.through.into(), Val::Int(CATCH_UP_ROWS)])?;
            let fingerprints: Vec<u128> = rows.iter().map(|row| self.fingerprint(&row.text(1))).collect();
            if let Some(last) = rows.last() {
                self.committed(fingerprints, last.int(0));
            }
            if (rows.len() as i64) < CATCH_UP_ROWS {
                return Ok(());
            }
        }
    }

    /// After a commit that stored events under these fingerprints, the last of them `through`.
    pub(crate) fn committed(&mut self, fingerprints: Vec<u128>, through: i64) {
        self.known.fingerprints.write().unwrap_or_else(PoisonError::into_inner).extend(fingerprints);
        self.through = self.through.max(through);
    }

    /// After a commit that deleted events (an erasure): their ids may be stored again.
    pub(crate) fn deleted(&mut self, fingerprints: &[u128]) {
        let mut set = self.known.fingerprints.write().unwrap_or_else(PoisonError::into_inner);
        for f in fingerprints {
            set.remove(f);
        }
    }
}

impl Store {
    /// The stored message ids, loaded now and kept up to date by this connection's ingestion
    /// and erasures: on SQLite only (PostgreSQL checks its unique index instead).
    pub fn message_ids(&mut self) -> Result<Option<MessageIds>, StoreError> {
        if self.conn.backend() != crate::sql::Backend::Sqlite {
            return Ok(None);
        }
        let known = self.stored_ids.get_or_insert_with(StoredIds::new);
        known.catch_up(self.conn.as_mut())?;
        Ok(Some(known.known.clone()))
    }
}
