//! The single writer: one thread owns the write connection, so every mutation is serialised
//! (SQLite has one writer anyway) and concurrent ingest requests are committed together —
//! group commit: one transaction and one fsync for all the requests waiting at that moment.
//! A request is answered only after the transaction holding its messages is durable.
//!
//! On SQLite the writer does not wait for that durability itself: its commits write the WAL
//! and defer the fsync ([`Store::deferring_wal_sync`]); a second thread, `xinli-wal-sync`,
//! performs one fsync for every group committed meanwhile and then answers their requests.
//! The writer builds the next transaction during the fsync instead of idling through it.
//!
//! With the ingest log (SQLite, [`crate::ingest_log`]) requests are answered by the log, and
//! the writer applies what the log hands it ([`Writer::apply_blocking`]), publishing how far it
//! has applied (readers wait for that) and, through the sync thread, how far that is durable
//! (the log deletes segments behind it).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use xinli_store::{IngestOutcome, Message, Store, WalSync};

use crate::ingest_log::Progress;
use crate::metrics::Metrics;

type Task = Box<dyn FnOnce(&mut Store) + Send>;

/// The answer to an ingest job, with its messages: they are dropped by the requester, not on
/// the writer thread, which every commit waits for (freeing ~8 strings per event was ~5 % of
/// the writer's time, perf).
type Reply = (Result<IngestOutcome, String>, Vec<Message>);

enum Job {
    Ingest { messages: Vec<Message>, reply: oneshot::Sender<Reply> },
    /// Messages the ingest log acknowledged, through its record `through`.
    Apply { through: u64, messages: Vec<Message> },
    Run(Task),
}

/// Messages committed in one transaction at most: bounds the latency a large group adds.
const MAX_GROUP_MESSAGES: usize = 20_000;

#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

/// The writer thread stopped (the store failed to open, or the server is shutting down).
#[derive(Debug)]
pub struct WriterGone;

impl Writer {
    /// Starts the writer thread on `store`; `progress`: the ingest log's, when there is one.
    pub(crate) fn start(mut store: Store, metrics: Arc<Metrics>, progress: Option<Arc<Progress>>) -> (Writer, std::thread::JoinHandle<()>) {
        if let Err(e) = store.enable_write_cache() {
            // The cache is on; only the page cache keeps its default size.
            eprintln!("xinli serve: the writer's page cache keeps its size: {e}");
        }
        if let Err(e) = store.checkpoint_in_background() {
            // The writer then checkpoints inside its commits, as SQLite does by default.
            eprintln!("xinli serve: WAL checkpoints stay on the writer: {e}");
        }
        let (tx, mut rx) = mpsc::channel::<Job>(4096);
        let thread = std::thread::Builder::new()
            .name("xinli-writer".into())
            .spawn(move || {
                let (owed, syncs) = std::sync::mpsc::channel::<Owed>();
                let sync_metrics = Arc::clone(&metrics);
                let sync_progress = progress.clone();
                let syncer = std::thread::Builder::new()
                    .name("xinli-wal-sync".into())
                    .spawn(move || answer_when_durable(syncs, &sync_metrics, sync_progress.as_deref()))
                    .expect("spawning the WAL sync thread");
                let mut pending: Option<Job> = None;
                loop {
                    let Some(job) = pending.take().or_else(|| rx.blocking_recv()) else { break };
                    match job {
                        Job::Run(task) => task(&mut store),
                        Job::Apply { through, messages } => {
                            let (group, next) = gather(&mut rx, (through, messages), MAX_GROUP_MESSAGES, |(_, m)| m.len(), |job| match job {
                                Job::Apply { through, messages } => Ok((through, messages)),
                                other => Err(other),
                            });
                            pending = next;
                            let through = group.last().map_or(through, |(t, _)| *t);
                            let group: Vec<Vec<Message>> = group.into_iter().map(|(_, m)| m).collect();
                            let progress = progress.as_ref().expect("records are applied only with an ingest log");
                            if let Some(sync) = apply_group(&mut store, &group, through, progress, &metrics, &APPLY_RETRIES) {
                                let _ = owed.send(Owed { sync, answers: Vec::new(), durable: Some(through) });
                            }
                        }
                        Job::Ingest { messages, reply } => {
                            let (group, next) = gather(&mut rx, (messages, reply), MAX_GROUP_MESSAGES, |(m, _)| m.len(), |job| match job {
                                Job::Ingest { messages, reply } => Ok((messages, reply)),
                                other => Err(other),
                            });
                            pending = next;
                            match store.deferring_wal_sync(|store| commit_group(store, group, &metrics)) {
                                (answers, Some(sync)) => {
                                    // The sync thread lives until `owed` is dropped, below.
                                    let _ = owed.send(Owed { sync: Some(sync), answers, durable: None });
                                }
                                (answers, None) => answer(answers, Ok(())),
                            }
                        }
                    }
                }
                // Shutting down: the sync thread answers what it still owes, then stops.
                drop(owed);
                let _ = syncer.join();
            })
            .expect("spawning the writer thread");
        (Writer { jobs: tx }, thread)
    }

    /// Stores messages; resolves once they are committed.
    pub async fn ingest(&self, messages: Vec<Message>) -> Result<Result<IngestOutcome, String>, WriterGone> {
        let (reply, rx) = oneshot::channel();
        self.jobs.send(Job::Ingest { messages, reply }).await.map_err(|_| WriterGone)?;
        let (result, _messages) = rx.await.map_err(|_| WriterGone)?;
        Ok(result)
    }

    /// Hands the writer messages the ingest log acknowledged (from its thread, which waits
    /// while the writer's queue is full).
    pub(crate) fn apply_blocking(&self, through: u64, messages: Vec<Message>) -> Result<(), WriterGone> {
        self.jobs.blocking_send(Job::Apply { through, messages }).map_err(|_| WriterGone)
    }

    /// Runs a mutation on the write connection (segments, erasure, keys, consent).
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> T + Send + 'static) -> Result<T, WriterGone> {
        let (tx, rx) = oneshot::channel();
        let task: Task = Box::new(move |store| {
            // The requester may have timed out; the work is done either way.
            let _ = tx.send(f(store));
        });
        self.jobs.send(Job::Run(task)).await.map_err(|_| WriterGone)?;
        rx.await.map_err(|_| WriterGone)
    }
}

/// `first` and the jobs queued behind it that `take` accepts, until their messages (`len` of
/// each item) reach `limit`: `take` gives an accepted job's item, or gives back a job of
/// another kind, which ends the group and is returned to run next (jobs keep their order).
pub(crate) fn gather<J, T>(
    rx: &mut mpsc::Receiver<J>,
    first: T,
    limit: usize,
    len: impl Fn(&T) -> usize,
    take: impl Fn(J) -> Result<T, J>,
) -> (Vec<T>, Option<J>) {
    let mut size = len(&first);
    let mut group = vec![first];
    while size < limit {
        let Ok(job) = rx.try_recv() else { break };
        match take(job) {
            Ok(item) => {
                size += len(&item);
                group.push(item);
            }
            Err(other) => return (group, Some(other)),
        }
    }
    (group, None)
}

type Waiting = (Vec<Message>, oneshot::Sender<Reply>);

/// The answers to a group's requests, not sent yet.
type Answers = Vec<(oneshot::Sender<Reply>, Reply)>;

/// A group's answers, waiting for the WAL sync its commits skipped; with the ingest log, the
/// record through which the group is durable once synced. Also sent with no sync to publish
/// that in order, behind the syncs queued before it.
struct Owed {
    sync: Option<WalSync>,
    answers: Answers,
    durable: Option<u64>,
}

/// Pauses between attempts to apply logged records that failed (another process holding the
/// write lock past its timeout, a full disk): ~1 minute in all before the writer gives up.
const APPLY_RETRIES: [u64; 8] = [50, 100, 250, 500, 1_000, 5_000, 15_000, 40_000];

/// Applies records the log acknowledged (retrying a failure that may pass) and publishes how
/// far the writer got. `Some(sync)`: applied, with the WAL sync its commit deferred, if any;
/// `None`: not applied — after a failure that persists nothing more is, and the records stay
/// in the log for a restart to replay.
fn apply_group(store: &mut Store, group: &[Vec<Message>], through: u64, progress: &Progress, metrics: &Metrics, pauses_ms: &[u64]) -> Option<Option<WalSync>> {
    if progress.is_failed() {
        return None;
    }
    let started = std::time::Instant::now();
    let slices: Vec<&[Message]> = group.iter().map(Vec::as_slice).filter(|g| !g.is_empty()).collect();
    let mut retries = pauses_ms.iter();
    loop {
        if slices.is_empty() {
            progress.applied(through);
            return Some(None);
        }
        match store.deferring_wal_sync(|s| s.ingest_groups(&slices)) {
            (Ok((outcomes, changes)), sync) => {
                metrics.group_committed(slices.len(), &outcomes, changes, started.elapsed());
                progress.applied(through);
                return Some(sync);
            }
            (Err(e), _) => {
                metrics.ingest_failed();
                match retries.next() {
                    Some(ms) => {
                        eprintln!("xinli serve: applying logged messages failed ({e}); retrying in {ms} ms");
                        std::thread::sleep(std::time::Duration::from_millis(*ms));
                    }
                    None => {
                        let why = format!("logged messages could not be applied ({e}); restart the server, which replays them");
                        eprintln!("xinli serve: {why}");
                        progress.failed(why);
                        return None;
                    }
                }
            }
        }
    }
}

/// Commits a group; returns the answers to send once the commits are durable.
fn commit_group(store: &mut Store, group: Vec<Waiting>, metrics: &Metrics) -> Answers {
    let started = std::time::Instant::now();
    let slices: Vec<&[Message]> = group.iter().map(|(m, _)| m.as_slice()).collect();
    match store.ingest_groups(&slices) {
        Ok((outcomes, changes)) => {
            metrics.group_committed(group.len(), &outcomes, changes, started.elapsed());
            group.into_iter().zip(outcomes).map(|((messages, reply), outcome)| (reply, (Ok(outcome), messages))).collect()
        }
        // One request's failure must not fail the others: retry each alone.
        Err(_) if group.len() > 1 => group
            .into_iter()
            .map(|(messages, reply)| {
                let result = store.ingest(&messages);
                if let Ok(o) = &result {
                    metrics.group_committed(1, std::slice::from_ref(o), o.membership_changes, started.elapsed());
                }
                (reply, (result.map_err(|e| e.to_string()), messages))
            })
            .collect(),
        Err(e) => {
            metrics.ingest_failed();
            group.into_iter().map(|(messages, reply)| (reply, (Err(e.to_string()), messages))).collect()
        }
    }
}

/// Sends the answers, or the failed sync's error in place of each success.
fn answer(answers: Answers, durable: Result<(), &str>) {
    for (reply, (result, messages)) in answers {
        let result = match durable {
            Ok(()) => result,
            Err(e) => result.and(Err(e.to_string())),
        };
        let _ = reply.send((result, messages));
    }
}

/// The `xinli-wal-sync` thread: one fsync for every group owed so far, then their answers.
/// After a failed fsync it answers every later group with that error, as PostgreSQL stops at
/// one: the kernel may have dropped the pages it could not write, and a later fsync that
/// succeeds would not bring them back. The server then needs a restart (which recovers from
/// what is on disk); the message is on its standard error.
fn answer_when_durable(owed: std::sync::mpsc::Receiver<Owed>, metrics: &Metrics, progress: Option<&Progress>) {
    let mut failed: Option<String> = None;
    while let Ok(first) = owed.recv() {
        let groups: Vec<Owed> = std::iter::once(first).chain(owed.try_iter()).collect();
        // Every owed sync names the same WAL (the writer has one connection): one covers all.
        let sync = groups.iter().find_map(|g| g.sync.as_ref());
        if let (None, Some(sync)) = (&failed, sync) {
            let started = std::time::Instant::now();
            if let Err(e) = sync.perform() {
                let message = format!("the WAL could not be synced ({e}); restart the server");
                eprintln!("xinli serve: {message}");
                failed = Some(message);
            }
            metrics.wal_synced(groups.iter().filter(|g| g.sync.is_some()).count(), started.elapsed());
        }
        for group in groups {
            if let (Some(progress), Some(through)) = (progress, group.durable) {
                match &failed {
                    None => progress.durable(through),
                    Some(why) => progress.failed(why.clone()),
                }
            }
            answer(group.answers, failed.as_deref().map_or(Ok(()), Err));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinli_store::testdb::TestDb;
    use xinli_store::{MessageKind, PiiCipher};

    /// Logged messages that keep failing to apply: after its retries the writer gives up,
    /// publishes why (reads and `/healthz` answer with it), applies nothing more and leaves
    /// the records to the log; ones that apply move "applied" on.
    #[test]
    fn the_writer_gives_up_on_logged_messages_that_keep_failing() {
        let db = TestDb::sqlite();
        let mut store = Store::open(&db.location(), PiiCipher::new([3; 32], &[])).unwrap();
        let progress = Progress::new(0);
        let metrics = Metrics::default();
        let track = |id: &str| vec![Message::new(id, MessageKind::Track, Some("u"), None, 1_700_000_000_000)];
        assert!(apply_group(&mut store, &[track("m1")], 1, &progress, &metrics, &[1]).is_some());
        assert_eq!(progress.applied_through(), 1);
        store.raw_query("DROP TABLE events", &[]).unwrap();
        assert!(apply_group(&mut store, &[track("m2")], 2, &progress, &metrics, &[1, 1]).is_none());
        let why = progress.failure().expect("the writer gave up");
        assert!(why.contains("restart the server") && why.contains("events"), "{why}");
        assert_eq!(progress.applied_through(), 1, "nothing more is applied");
        assert!(apply_group(&mut store, &[track("m3")], 3, &progress, &metrics, &[1]).is_none());
        assert!(metrics.render().contains("xinli_ingest_failures_total 3"), "each failed attempt is counted");
    }

    /// A failed fsync turns every success it was owed into that error; a request that had
    /// failed keeps its own error.
    #[test]
    fn a_failed_sync_fails_the_successes_it_owed() {
        let stored = || Ok(IngestOutcome { stored: 1, ..Default::default() });
        let (ok_tx, ok_rx) = oneshot::channel();
        let (err_tx, err_rx) = oneshot::channel();
        answer(vec![(ok_tx, (stored(), Vec::new())), (err_tx, (Err("bad message".into()), Vec::new()))], Err("the WAL could not be synced"));
        assert_eq!(ok_rx.blocking_recv().unwrap().0.unwrap_err(), "the WAL could not be synced");
        assert_eq!(err_rx.blocking_recv().unwrap().0.unwrap_err(), "bad message");
        let (tx, rx) = oneshot::channel();
        answer(vec![(tx, (stored(), Vec::new()))], Ok(()));
        assert_eq!(rx.blocking_recv().unwrap().0.unwrap().stored, 1);
    }
}
