//! Acknowledgement from a log of our own (SQLite): a request is answered once its messages are
//! appended to the ingest log and `fdatasync`ed; the writer applies them to the store behind it.
//!
//! Why: the writer's commits stall for 30–60 ms every few hundred milliseconds (its WAL
//! checkpoints, docs/serve.md), and a request that waited for its commit waited for those. An
//! append to a file of our own never does. Measured at 50,000 events/s (bench/serve.sh): request
//! p99 14–23 ms with the log against 67–142 ms waiting for the commit.
//!
//! What keeps the API's promises:
//! * **Durable before answered.** The `xinli-ingest-log` thread appends every waiting request's
//!   record (sealed with the PII key, [`segments`]) and syncs once, then answers them all.
//! * **Stored once.** The thread counts duplicates against the writer's stored message ids
//!   ([`MessageIds`]) plus the ids handed to the writer and not applied yet, so `stored` and
//!   `duplicates` in the answer are what the store will hold. The writer checks again on apply:
//!   a record replayed after a crash stores nothing twice.
//! * **Read what you were told is stored.** A read first waits until the writer has applied
//!   everything acknowledged when the read began ([`Progress::caught_up`]).
//! * **Recovery.** At start, before the server listens, every segment left is replayed into
//!   the store ([`recover`]); a segment is deleted once all its records are durable in the store,
//!   by a thread of its own (`xinli-log-delete`): removing a 32 MiB file took the log thread
//!   25–42 ms, during which no request was answered.
//! * **Erasure.** The current segment is closed, the writer catches up, the erasure runs, then
//!   the closed segments are deleted: no file keeps the erased customer's events.
//! * **Bounded lag.** The thread stops acknowledging while more than [`MAX_LAG_MESSAGES`] are
//!   waiting for the writer, so memory and replay time stay bounded.
//!
//! PostgreSQL deployments do not use it: their servers may share the database from several
//! machines, and a log on one machine's disk would not survive that machine.

pub(crate) mod segments;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};
use xinli_store::{IngestOutcome, Message, MessageIds, PiiCipher, Store};

use crate::metrics::Metrics;
use crate::writer::Writer;
use segments::{LogDir, Segment, SegmentWriter};

/// Acknowledged messages the writer may be behind by before appends wait for it.
pub(crate) const MAX_LAG_MESSAGES: usize = 200_000;
/// Messages in one append (one fsync) at most.
const MAX_APPEND_MESSAGES: usize = 20_000;
/// Messages per transaction when replaying at start.
const REPLAY_GROUP_MESSAGES: usize = 20_000;

/// The log directory of a SQLite store at `db`: `db` with `-log` appended, as SQLite names its
/// `-wal` and `-shm` files.
pub fn log_dir_for(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-log");
    PathBuf::from(name)
}

/// How far the log and the writer have come, in record sequence numbers.
pub(crate) struct Progress {
    acknowledged: AtomicU64,
    applied: watch::Sender<Applied>,
    durable: AtomicU64,
}

#[derive(Clone, Default)]
struct Applied {
    through: u64,
    /// The writer could not apply acknowledged records (they stay in the log for a restart).
    failed: Option<Arc<str>>,
}

impl Progress {
    /// Everything through record `through` acknowledged, applied and durable.
    pub(crate) fn new(through: u64) -> Progress {
        Progress {
            acknowledged: AtomicU64::new(through),
            applied: watch::Sender::new(Applied { through, failed: None }),
            durable: AtomicU64::new(through),
        }
    }

    /// The writer committed the records through `seq` (readers see them).
    pub(crate) fn applied(&self, seq: u64) {
        self.applied.send_modify(|a| a.through = a.through.max(seq));
    }

    /// Those commits are on disk: the log may delete them.
    pub(crate) fn durable(&self, seq: u64) {
        self.durable.fetch_max(seq, Ordering::AcqRel);
    }

    /// The writer cannot go on: acknowledged records stay in the log, for a restart.
    pub(crate) fn failed(&self, why: String) {
        self.applied.send_modify(|a| a.failed = Some(why.into()));
    }

    pub(crate) fn is_failed(&self) -> bool {
        self.applied.borrow().failed.is_some()
    }

    pub(crate) fn failure(&self) -> Option<Arc<str>> {
        self.applied.borrow().failed.clone()
    }

    pub(crate) fn applied_through(&self) -> u64 {
        self.applied.borrow().through
    }

    /// Waits until the writer has applied every record acknowledged before this call.
    pub(crate) async fn caught_up(&self) -> Result<(), Arc<str>> {
        let target = self.acknowledged.load(Ordering::Acquire);
        self.caught_up_to(target).await
    }

    async fn caught_up_to(&self, target: u64) -> Result<(), Arc<str>> {
        if self.applied.borrow().through >= target {
            return Ok(());
        }
        let mut rx = self.applied.subscribe();
        let applied = rx.wait_for(|a| a.through >= target || a.failed.is_some()).await.map_err(|_| Arc::<str>::from("the writer stopped"))?;
        match &applied.failed {
            Some(why) if applied.through < target => Err(why.clone()),
            _ => Ok(()),
        }
    }
}

/// One request's messages on their way into the log.
struct Append {
    sealed: Vec<u8>,
    fingerprints: Vec<u128>,
    messages: Vec<Message>,
    reply: oneshot::Sender<Result<IngestOutcome, String>>,
}

enum Command {
    Append(Append),
    /// Close the current segment; answers the last sequence number in it.
    Rotate(oneshot::Sender<u64>),
}

/// The log's handle for request handlers.
pub(crate) struct IngestLog {
    commands: mpsc::Sender<Command>,
    pub(crate) progress: Arc<Progress>,
    ids: MessageIds,
    cipher: PiiCipher,
    closed: Arc<ClosedSegments>,
}

/// The closed segments still on disk, oldest first. `removing` is held while files are removed,
/// so whoever takes it next finds them gone (an erasure must not answer before).
#[derive(Default)]
struct ClosedSegments {
    list: Mutex<VecDeque<Closed>>,
    removing: Mutex<()>,
}

/// A closed segment and its last record.
struct Closed {
    segment: Segment,
    last_seq: u64,
}

/// What [`recover`] leaves for the log thread.
pub(crate) struct Recovered {
    dir: LogDir,
    next_seq: u64,
    ids: MessageIds,
    pub(crate) progress: Arc<Progress>,
}

/// Replays every segment left in the log into `store` (a crash, or a stop that could not
/// finish), then deletes them: the store holds what they held, durably. Returns what the log
/// thread starts from, and prints what it replayed.
pub(crate) fn recover(dir: &Path, store: &mut Store, cipher: &PiiCipher) -> Result<Recovered, String> {
    let dir = LogDir::open(dir)?;
    let segments = dir.segments()?;
    let mut next_seq = 1;
    let (mut replayed, mut outcome) = (0usize, IngestOutcome::default());
    for (i, segment) in segments.iter().enumerate() {
        let (records, dropped) = segments::read_segment(segment, i + 1 == segments.len())?;
        if dropped > 0 {
            eprintln!(
                "xinli serve: {}: {dropped} bytes of an unanswered append cut off (a crash during the write)",
                segment.path.display()
            );
        }
        let mut pending: Vec<Vec<Message>> = Vec::new();
        let mut size = 0;
        for record in records {
            let where_ = || format!("{} (record {})", segment.path.display(), record.seq);
            let plain = cipher.open(&record.sealed).map_err(|e| format!("{}: {e}", where_()))?;
            let messages: Vec<Message> = serde_json::from_slice(&plain).map_err(|e| format!("{}: {e}", where_()))?;
            size += messages.len();
            replayed += messages.len();
            pending.push(messages);
            next_seq = next_seq.max(record.seq + 1);
            if size >= REPLAY_GROUP_MESSAGES {
                apply_replayed(store, &mut pending, &mut outcome, &segment.path)?;
                size = 0;
            }
        }
        apply_replayed(store, &mut pending, &mut outcome, &segment.path)?;
    }
    // Every replayed transaction committed with its fsync: the segments may go.
    for segment in &segments {
        std::fs::remove_file(&segment.path).map_err(|e| format!("removing {}: {e}", segment.path.display()))?;
    }
    if replayed > 0 {
        eprintln!(
            "xinli serve: replayed {replayed} logged messages from {} segment(s) of {}: {} stored, {} already stored",
            segments.len(),
            dir.path().display(),
            outcome.stored,
            outcome.duplicates
        );
    }
    let ids = store.message_ids().map_err(|e| e.to_string())?.ok_or("the ingest log needs a SQLite store")?;
    Ok(Recovered { dir, next_seq, ids, progress: Arc::new(Progress::new(next_seq - 1)) })
}

fn apply_replayed(store: &mut Store, pending: &mut Vec<Vec<Message>>, total: &mut IngestOutcome, path: &Path) -> Result<(), String> {
    if pending.is_empty() {
        return Ok(());
    }
    let slices: Vec<&[Message]> = pending.iter().map(Vec::as_slice).collect();
    let (outcomes, _) = store.ingest_groups(&slices).map_err(|e| format!("replaying {}: {e}", path.display()))?;
    outcomes.iter().for_each(|o| total.add(o));
    pending.clear();
    Ok(())
}

impl IngestLog {
    /// Starts the `xinli-ingest-log` thread, which hands what it acknowledges to `writer`.
    pub(crate) fn start(recovered: Recovered, writer: Writer, cipher: PiiCipher, metrics: Arc<Metrics>) -> Result<(IngestLog, std::thread::JoinHandle<()>), String> {
        let Recovered { dir, next_seq, ids, progress } = recovered;
        let current = dir.create(next_seq)?;
        let closed = Arc::new(ClosedSegments::default());
        let deleter = Deleter::start(Arc::clone(&closed), Arc::clone(&progress))?;
        let (commands, rx) = mpsc::channel(4096);
        let appender = Appender {
            dir,
            current,
            next_seq,
            ids: ids.clone(),
            pending: Default::default(),
            outstanding: VecDeque::new(),
            lag: 0,
            progress: Arc::clone(&progress),
            closed: Arc::clone(&closed),
            deleter,
            writer,
            metrics,
            failed: None,
        };
        let thread = std::thread::Builder::new()
            .name("xinli-ingest-log".into())
            .spawn(move || appender.run(rx))
            .map_err(|e| format!("starting the ingest log thread: {e}"))?;
        Ok((IngestLog { commands, progress, ids, cipher, closed }, thread))
    }

    /// Appends a request's messages; answers once they are durable in the log, with what the
    /// store will hold of them.
    pub(crate) async fn append(&self, messages: Vec<Message>) -> Result<IngestOutcome, String> {
        let plain = serde_json::to_vec(&messages).map_err(|e| e.to_string())?;
        let sealed = self.cipher.seal(&plain);
        let fingerprints = messages.iter().map(|m| self.ids.fingerprint(&m.message_id)).collect();
        let (reply, answer) = oneshot::channel();
        let stopped = || "the ingest log stopped".to_string();
        self.commands.send(Command::Append(Append { sealed, fingerprints, messages, reply })).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Before an erasure: closes the segment being written and waits until the writer has
    /// applied everything in it. Returns the last sequence number closed.
    pub(crate) async fn settle_for_erasure(&self) -> Result<u64, String> {
        let (reply, answer) = oneshot::channel();
        let stopped = || "the ingest log stopped".to_string();
        self.commands.send(Command::Rotate(reply)).await.map_err(|_| stopped())?;
        let through = answer.await.map_err(|_| stopped())?;
        self.progress.caught_up_to(through).await.map_err(|e| e.to_string())?;
        Ok(through)
    }

    /// After an erasure that committed (and synced) behind everything through `through`:
    /// deletes the closed segments holding those records.
    pub(crate) fn forget_through(&self, through: u64) -> Result<(), String> {
        self.progress.durable(through);
        delete_durable(&self.closed, &self.progress)
    }
}

/// Deletes the closed segments whose records are all durable in the store.
fn delete_durable(closed: &ClosedSegments, progress: &Progress) -> Result<(), String> {
    let _removing = closed.removing.lock().unwrap_or_else(PoisonError::into_inner);
    let durable = progress.durable.load(Ordering::Acquire);
    let doomed: Vec<Closed> = {
        let mut list = closed.list.lock().unwrap_or_else(PoisonError::into_inner);
        let n = list.iter().take_while(|c| c.last_seq <= durable).count();
        list.drain(..n).collect()
    };
    // The list is not locked meanwhile: the log thread closes segments without waiting.
    let mut first_error = Ok(());
    for c in doomed {
        if let Err(e) = std::fs::remove_file(&c.segment.path) {
            first_error = first_error.and(Err(format!("removing {}: {e}", c.segment.path.display())));
        }
    }
    first_error
}

/// The `xinli-log-delete` thread: deletes the segments that became durable when the log
/// thread tells it to. Stops when the log thread drops it.
struct Deleter {
    wake: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Deleter {
    fn start(closed: Arc<ClosedSegments>, progress: Arc<Progress>) -> Result<Deleter, String> {
        let (wake, woken) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("xinli-log-delete".into())
            .spawn(move || {
                while woken.recv().is_ok() {
                    while woken.try_recv().is_ok() {}
                    if let Err(e) = delete_durable(&closed, &progress) {
                        eprintln!("xinli serve: {e}");
                    }
                }
            })
            .map_err(|e| format!("starting the ingest log's delete thread: {e}"))?;
        Ok(Deleter { wake, thread })
    }

    /// Waits for the deletions asked for so far.
    fn stop(self) {
        drop(self.wake);
        let _ = self.thread.join();
    }
}

/// The `xinli-ingest-log` thread's state.
struct Appender {
    dir: LogDir,
    current: SegmentWriter,
    next_seq: u64,
    ids: MessageIds,
    /// Fingerprints handed to the writer and not applied yet.
    pending: std::collections::HashSet<u128, foldhash::fast::RandomState>,
    /// What was handed to the writer, oldest first: (last sequence number, its new fingerprints).
    outstanding: VecDeque<(u64, Vec<u128>)>,
    /// Messages in `outstanding`.
    lag: usize,
    progress: Arc<Progress>,
    closed: Arc<ClosedSegments>,
    deleter: Deleter,
    writer: Writer,
    metrics: Arc<Metrics>,
    /// A write or sync of the log failed: nothing more is acknowledged until a restart.
    failed: Option<String>,
}

impl Appender {
    fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let mut next: Option<Command> = None;
        loop {
            let Some(command) = next.take().or_else(|| rx.blocking_recv()) else { break };
            match command {
                Command::Rotate(reply) => {
                    let through = self.rotate();
                    let _ = reply.send(through);
                }
                Command::Append(first) => {
                    let (group, later) = crate::writer::gather(&mut rx, first, MAX_APPEND_MESSAGES, |a| a.messages.len(), |command| match command {
                        Command::Append(a) => Ok(a),
                        other => Err(other),
                    });
                    next = later;
                    self.append(group);
                }
            }
            self.housekeep();
        }
        self.finish();
    }

    /// Deduplicates, appends and syncs a group of requests, hands the new messages to the
    /// writer and answers.
    fn append(&mut self, group: Vec<Append>) {
        self.wait_for_writer();
        let refused = self.failed.clone().or_else(|| self.progress.failure().map(|why| why.to_string()));
        if let Some(why) = refused {
            for a in group {
                let _ = a.reply.send(Err(why.clone()));
            }
            return;
        }
        let started = Instant::now();
        let all: Vec<u128> = group.iter().flat_map(|a| a.fingerprints.iter().copied()).collect();
        let mut known = self.ids.known(&all).into_iter();
        let mut fresh = Vec::new();
        let mut handed = Vec::new();
        let mut answers = Vec::with_capacity(group.len());
        for a in group {
            let mut outcome = IngestOutcome::default();
            for (message, fingerprint) in a.messages.into_iter().zip(a.fingerprints) {
                if known.next().unwrap_or(false) || !self.pending.insert(fingerprint) {
                    outcome.duplicates += 1;
                } else {
                    outcome.stored += 1;
                    fresh.push(fingerprint);
                    handed.push(message);
                }
            }
            self.current.push(self.next_seq, &a.sealed);
            self.next_seq += 1;
            answers.push((a.reply, outcome));
        }
        let through = self.next_seq - 1;
        match self.current.write_durably() {
            Ok(bytes) => self.metrics.log_appended(answers.len(), handed.len() as u64, bytes, started.elapsed()),
            Err(e) => {
                let why = format!("the ingest log could not be written ({e}); restart the server");
                eprintln!("xinli serve: {why}");
                self.failed = Some(why.clone());
                for f in fresh {
                    self.pending.remove(&f);
                }
                for (reply, _) in answers {
                    let _ = reply.send(Err(why.clone()));
                }
                return;
            }
        }
        self.progress.acknowledged.store(through, Ordering::Release);
        self.lag += handed.len();
        self.outstanding.push_back((through, fresh));
        if self.writer.apply_blocking(through, handed).is_err() {
            self.failed = Some("the writer stopped".into());
        }
        for (reply, outcome) in answers {
            let _ = reply.send(Ok(outcome));
        }
    }

    /// Waits while the writer is more than [`MAX_LAG_MESSAGES`] behind.
    fn wait_for_writer(&mut self) {
        self.release_applied();
        while self.lag > MAX_LAG_MESSAGES && self.failed.is_none() && !self.progress.is_failed() {
            std::thread::sleep(Duration::from_millis(1));
            self.release_applied();
        }
    }

    /// Forgets the fingerprints of what the writer applied: the shared set has them now.
    fn release_applied(&mut self) {
        let applied = self.progress.applied_through();
        while self.outstanding.front().is_some_and(|(seq, _)| *seq <= applied) {
            let (_, fingerprints) = self.outstanding.pop_front().expect("checked above");
            self.lag -= fingerprints.len();
            for f in fingerprints {
                self.pending.remove(&f);
            }
        }
    }

    /// Closes the current segment (if it holds anything) and begins the next; returns the last
    /// sequence number acknowledged.
    fn rotate(&mut self) -> u64 {
        // After a failed write the segment may end in a torn record: it stays the newest, so
        // that a restart cuts the tail off instead of refusing a damaged older segment.
        if self.failed.is_some() {
            return self.next_seq - 1;
        }
        if let Some(last_seq) = self.current.last_seq {
            match self.dir.create(self.next_seq) {
                Ok(next) => {
                    let segment = std::mem::replace(&mut self.current, next).segment;
                    self.closed.list.lock().unwrap_or_else(PoisonError::into_inner).push_back(Closed { segment, last_seq });
                }
                Err(e) => {
                    eprintln!("xinli serve: {e}");
                    self.failed = Some(e);
                }
            }
        }
        self.next_seq - 1
    }

    fn housekeep(&mut self) {
        self.release_applied();
        if self.current.is_full() {
            self.rotate();
        }
        let durable = self.progress.durable.load(Ordering::Acquire);
        let deletable = self.closed.list.lock().unwrap_or_else(PoisonError::into_inner).front().is_some_and(|c| c.last_seq <= durable);
        if deletable {
            let _ = self.deleter.wake.send(());
        }
    }

    /// Stopping: once the writer has made everything durable, the log is empty and goes.
    fn finish(mut self) {
        let acknowledged = self.next_seq - 1;
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.progress.durable.load(Ordering::Acquire) < acknowledged && self.progress.failure().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        self.rotate();
        self.deleter.stop();
        if let Err(e) = delete_durable(&self.closed, &self.progress) {
            eprintln!("xinli serve: {e}");
        }
        if self.current.is_empty() {
            let _ = std::fs::remove_file(&self.current.segment.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinli_store::testdb::TestDb;
    use xinli_store::{Location, MessageKind};

    fn track(id: &str, user: &str) -> Message {
        Message::new(id, MessageKind::Track, Some(user), None, 1_700_000_000_000)
    }

    fn logged(dir: &Path, cipher: &PiiCipher, first_seq: u64, records: &[Vec<Message>]) {
        let log = LogDir::open(dir).unwrap();
        let mut segment = log.create(first_seq).unwrap();
        for (i, messages) in records.iter().enumerate() {
            segment.push(first_seq + i as u64, &cipher.seal(&serde_json::to_vec(messages).unwrap()));
        }
        segment.write_durably().unwrap();
    }

    fn sqlite() -> (TestDb, PathBuf, PiiCipher, Store) {
        let db = TestDb::sqlite();
        let Location::Sqlite(path) = db.location() else { unreachable!("a SQLite test store") };
        let cipher = PiiCipher::new([9; 32], &[]);
        let store = Store::open(&db.location(), cipher.clone()).unwrap();
        (db, log_dir_for(&path), cipher, store)
    }

    /// What a crash left in the log is stored at the next start, each message once (one was
    /// applied before the crash), and the log is emptied; numbering goes on after it.
    #[test]
    fn recovery_replays_each_logged_message_once_and_empties_the_log() {
        let (_db, dir, cipher, mut store) = sqlite();
        store.ingest(&[track("m1", "u1")]).unwrap();
        logged(&dir, &cipher, 4, &[vec![track("m1", "u1"), track("m2", "u1")], vec![track("m3", "u2")]]);
        let recovered = recover(&dir, &mut store, &cipher).unwrap();
        assert_eq!(recovered.next_seq, 6);
        let rows = store.raw_query("SELECT COUNT(*), COUNT(DISTINCT message_id) FROM events", &[]).unwrap();
        assert_eq!((rows[0].int(0), rows[0].int(1)), (3, 3));
        assert!(recovered.dir.segments().unwrap().is_empty(), "replayed segments are deleted");
        let ids = &recovered.ids;
        assert_eq!(ids.known(&[ids.fingerprint("m2"), ids.fingerprint("m3"), ids.fingerprint("m9")]), [true, true, false]);
    }

    /// A record the PII keys cannot open stops the start with the segment and record named,
    /// and the segment stays for a start with the right key.
    #[test]
    fn a_record_sealed_under_another_key_stops_recovery_naming_it() {
        let (_db, dir, cipher, mut store) = sqlite();
        logged(&dir, &PiiCipher::new([1; 32], &[]), 1, &[vec![track("m1", "u1")]]);
        let err = recover(&dir, &mut store, &cipher).err().unwrap();
        assert!(err.contains("00000000000000000001.log (record 1)") && err.contains("XINLI_PII_PREVIOUS_KEYS"), "{err}");
        assert_eq!(LogDir::open(&dir).unwrap().segments().unwrap().len(), 1);
        let recovered = recover(&dir, &mut store, &PiiCipher::new([9; 32], &[[1; 32]])).unwrap();
        assert_eq!(recovered.next_seq, 2);
    }

    /// The delete thread removes exactly the closed segments the store holds durably, and an
    /// erasure's delete finds nothing of them left once the thread has taken them.
    #[test]
    fn the_delete_thread_removes_the_durable_segments_only() {
        let dir = std::env::temp_dir().join(format!("xinli-delete-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let log = LogDir::open(&dir).unwrap();
        let closed = Arc::new(ClosedSegments::default());
        let progress = Arc::new(Progress::new(0));
        for (first_seq, last_seq) in [(1, 3), (4, 6), (7, 9)] {
            let segment = log.create(first_seq).unwrap().segment;
            closed.list.lock().unwrap().push_back(Closed { segment, last_seq });
        }
        let deleter = Deleter::start(Arc::clone(&closed), Arc::clone(&progress)).unwrap();
        progress.durable(6);
        deleter.wake.send(()).unwrap();
        deleter.stop();
        let left: Vec<u64> = log.segments().unwrap().iter().map(|s| s.first_seq).collect();
        assert_eq!(left, [7]);
        assert_eq!(closed.list.lock().unwrap().len(), 1);
        progress.durable(9);
        delete_durable(&closed, &progress).unwrap();
        assert!(log.segments().unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A read waits until the writer has applied everything acknowledged before it began, and
    /// a writer that gave up ends the wait with its reason.
    #[test]
    fn reads_wait_for_what_was_acknowledged_before_them() {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        runtime.block_on(async {
            let progress = Arc::new(Progress::new(0));
            progress.acknowledged.store(2, Ordering::Release);
            let p = Arc::clone(&progress);
            let mut read = tokio::spawn(async move { p.caught_up().await });
            assert!(tokio::time::timeout(Duration::from_millis(20), &mut read).await.is_err(), "still waiting");
            progress.applied(1);
            assert!(tokio::time::timeout(Duration::from_millis(20), &mut read).await.is_err(), "still waiting");
            progress.acknowledged.store(3, Ordering::Release);
            progress.applied(2);
            assert!(read.await.unwrap().is_ok(), "acknowledged later: not waited for");
            let p = Arc::clone(&progress);
            let read = tokio::spawn(async move { p.caught_up().await });
            progress.failed("disk full".into());
            assert_eq!(&*read.await.unwrap().unwrap_err(), "disk full");
        });
    }
}
