//! The single writer: one thread owns the write connection, so every mutation is serialised
//! (SQLite has one writer anyway) and concurrent ingest requests are committed together —
//! group commit: one transaction and one fsync for all the requests waiting at that moment.
//! A request is answered only after the transaction holding its messages has committed.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use xinli_store::{IngestOutcome, Message, Store};

use crate::metrics::Metrics;

type Task = Box<dyn FnOnce(&mut Store) + Send>;

/// The answer to an ingest job, with its messages: they are dropped by the requester, not on
/// the writer thread, which every commit waits for (freeing ~8 strings per event was ~5 % of
/// the writer's time, perf).
type Reply = (Result<IngestOutcome, String>, Vec<Message>);

enum Job {
    Ingest { messages: Vec<Message>, reply: oneshot::Sender<Reply> },
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
    /// Starts the writer thread on `store`.
    pub fn start(mut store: Store, metrics: Arc<Metrics>) -> (Writer, std::thread::JoinHandle<()>) {
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
                let mut pending: Option<Job> = None;
                loop {
                    let job = match pending.take() {
                        Some(j) => j,
                        None => match rx.blocking_recv() {
                            Some(j) => j,
                            None => return,
                        },
                    };
                    match job {
                        Job::Run(task) => task(&mut store),
                        Job::Ingest { messages, reply } => {
                            let mut group = vec![(messages, reply)];
                            let mut size = group[0].0.len();
                            while size < MAX_GROUP_MESSAGES {
                                match rx.try_recv() {
                                    Ok(Job::Ingest { messages, reply }) => {
                                        size += messages.len();
                                        group.push((messages, reply));
                                    }
                                    Ok(other) => {
                                        pending = Some(other);
                                        break;
                                    }
                                    Err(_) => break,
                                }
                            }
                            commit_group(&mut store, group, &metrics);
                        }
                    }
                }
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

type Waiting = (Vec<Message>, oneshot::Sender<Reply>);

fn commit_group(store: &mut Store, group: Vec<Waiting>, metrics: &Metrics) {
    let started = std::time::Instant::now();
    let slices: Vec<&[Message]> = group.iter().map(|(m, _)| m.as_slice()).collect();
    match store.ingest_groups(&slices) {
        Ok((outcomes, changes)) => {
            metrics.group_committed(group.len(), &outcomes, changes, started.elapsed());
            for ((messages, reply), outcome) in group.into_iter().zip(outcomes) {
                let _ = reply.send((Ok(outcome), messages));
            }
        }
        // One request's failure must not fail the others: retry each alone.
        Err(_) if group.len() > 1 => {
            for (messages, reply) in group {
                let result = store.ingest(&messages);
                if let Ok(o) = &result {
                    metrics.group_committed(1, std::slice::from_ref(o), o.membership_changes, started.elapsed());
                }
                let _ = reply.send((result.map_err(|e| e.to_string()), messages));
            }
        }
        Err(e) => {
            metrics.ingest_failed();
            for (messages, reply) in group {
                let _ = reply.send((Err(e.to_string()), messages));
            }
        }
    }
}
