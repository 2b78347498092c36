//! Load benchmark of `xinli serve` over loopback HTTP, on SQLite and on PostgreSQL:
//!
//! 1. ingestion: client threads send `/v1/batch` requests of mixed e-commerce events as fast as
//!    the server answers (each answer = committed; closed loop, i.e. at saturation), or paced
//!    open-loop at a given rate of events per second (latency counted from each request's
//!    scheduled time); prints events/s, request p50/p99 and the p99 of each second of the run.
//!    Each client first sends one untimed request, as the 360's threads do: a server verifies a
//!    key with argon2 once, at its first presentation, and every request with that key waits
//!    for it (~60 ms on this machine), which is start-up, not sustained ingestion;
//! 2. customer 360: `GET /api/customers/{id}` paced open-loop at a fixed rate (latency counted
//!    from each request's scheduled time, so a stall is not hidden); prints p50/p99/p99.9 and
//!    the p99 of each second;
//! 3. the floor: `GET /healthz` paced the same way right after (one tiny read, no key), i.e. what
//!    this machine's scheduling alone costs a request at that rate — a 360 p99 below it is not
//!    possible here, whatever the server's code.
//!
//! The server runs in this process (its own runtime and threads), the load generator on other
//! threads of the same 2-core machine. Bounded: a fixed number of events and requests. The
//! request bodies are built before the clock starts, as wrk or vegeta send prepared bodies, so
//! the generator's share of the CPU during a run is its HTTP exchanges.
//!
//! usage: serve-bench [sqlite|postgres|both] [events] [clients] [batch] [rate] [seconds] [pace] [ids]
//! defaults: both 400000, then ingestion in two shapes, each as fast as answered — 16 clients
//! x 100 events (the default: Segment's SDKs send batches of 15–100 events, from many clients)
//! and 8 x 500 (the shape of the earlier figures) — then the 360 at 2000 req/s for 10 s. Given
//! clients and batch, only that shape runs, paced at `pace` events/s when given (e.g. `sqlite
//! 400000 16 100 2000 10 50000`: the sustained rate, whose p99 is the latency at that
//! load rather than at saturation; run it alone, on a fresh store).
//! With the defaults, each backend then also runs 16 x 100 paced at its sustained rate (50,000
//! events/s on SQLite, 20,000 on PostgreSQL) on a fresh store: "sustained" in the JSON.
//! `ids`: `random` (the default: UUIDs, as segment-analytics-python sends) or `time`
//! (time-prefixed, as @segment/analytics-node sends); see [`MessageIds`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xinli_serve::client::Client;
use xinli_serve::{spawn, ServeConfig};
use xinli_store::testdb::TestDb;
use xinli_store::{Message, MessageKind, PiiCipher, Role, Store};

/// The allocator `xinli` itself runs with, so the figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USERS: usize = 20_000;
const EVENTS: [&str; 8] = ["Product Viewed", "Product Viewed", "Product Viewed", "Products Searched", "Product Added", "Checkout Started", "Product Shared", "Coupon Applied"];

struct Args {
    backends: Vec<&'static str>,
    events: usize,
    /// Ingestion shapes (clients, events per batch, paced rate in events/s or as fast as
    /// answered), each run over `events` events.
    shapes: Vec<(usize, usize, Option<f64>)>,
    /// With the default shapes: also 16 x 100 paced at the backend's sustained rate, on a
    /// fresh store of its own.
    sustained: bool,
    ids: MessageIds,
    rate: usize,
    seconds: u64,
}

fn parse_args() -> Args {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let backends = match a.first().map(String::as_str) {
        Some("sqlite") => vec!["sqlite"],
        Some("postgres") => vec!["postgres"],
        _ => vec!["sqlite", "postgres"],
    };
    let (shapes, sustained) = match (a.get(2), a.get(3)) {
        (None, None) => (vec![(16, 100, None), (8, 500, None)], true),
        _ => (vec![(num(2, 16), num(3, 100), a.get(6).and_then(|p| p.parse().ok()))], false),
    };
    let ids = MessageIds::parse(a.get(7).map(String::as_str));
    Args { backends, events: num(1, 400_000), shapes, sustained, ids, rate: num(4, 2000), seconds: num(5, 10) as u64 }
}

/// The paced rate of the sustained run: the 50,000 events/s on SQLite; on PostgreSQL,
/// whose server shares the two cores, a rate it keeps up with (~23,000–36,000 at saturation).
fn sustained_rate(backend: &str) -> f64 {
    if backend == "sqlite" {
        50_000.0
    } else {
        20_000.0
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Latencies of one load run: every request's, sorted, in ms; the seconds from `started` until
/// the last finished; and the p99 of the requests sent in each whole second of the run (a
/// sustained rate must hold it throughout, not only on average).
struct Latencies {
    sorted_ms: Vec<f64>,
    elapsed: f64,
    p99_ms_by_second: Vec<f64>,
}

/// Joins the load threads, each returning (when its request was sent or scheduled, latency in ms).
fn join_latencies(workers: Vec<std::thread::JoinHandle<Vec<(Instant, f64)>>>, started: Instant) -> Latencies {
    let samples: Vec<(Instant, f64)> = workers.into_iter().flat_map(|w| w.join().expect("a load thread failed")).collect();
    let elapsed = started.elapsed().as_secs_f64();
    let mut by_second: Vec<Vec<f64>> = Vec::new();
    for &(at, ms) in &samples {
        let second = at.saturating_duration_since(started).as_secs() as usize;
        if by_second.len() <= second {
            by_second.resize_with(second + 1, Vec::new);
        }
        by_second[second].push(ms);
    }
    let p99_ms_by_second = by_second
        .into_iter()
        .map(|mut ms| {
            ms.sort_by(f64::total_cmp);
            (percentile(&ms, 0.99) * 10.0).round() / 10.0
        })
        .collect();
    let mut sorted_ms: Vec<f64> = samples.into_iter().map(|(_, ms)| ms).collect();
    sorted_ms.sort_by(f64::total_cmp);
    Latencies { sorted_ms, elapsed, p99_ms_by_second }
}

/// How the load generator names its messages, as real Segment libraries do. It matters: on
/// PostgreSQL the store keeps a unique index of message ids, where a random id lands on a random
/// page (SQLite checks them in memory).
#[derive(Clone, Copy, Debug)]
enum MessageIds {
    /// A random UUID, as segment-analytics-python sends (`str(uuid4())`).
    Random,
    /// A time, then a random part, as @segment/analytics-node sends (`node-next-<ms>-<uuid>`):
    /// new ids land at the end of the index. The time is when the body is built, before the
    /// run starts, so it grows with the batch's index rather than with the sending.
    TimePrefixed,
}

impl MessageIds {
    fn parse(arg: Option<&str>) -> MessageIds {
        match arg {
            Some("time") => MessageIds::TimePrefixed,
            _ => MessageIds::Random,
        }
    }

    fn label(self) -> &'static str {
        match self {
            MessageIds::Random => "random (uuid4)",
            MessageIds::TimePrefixed => "time-prefixed",
        }
    }

    /// The id of message `n` of `shape`: unique, the same on every run.
    fn name(self, shape: usize, n: usize) -> String {
        let (high, low) = (splitmix64(((shape as u64) << 56) ^ n as u64), splitmix64(!(n as u64) ^ ((shape as u64) << 48)));
        let uuid = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0xfff,
            0x8000 | (low >> 48) & 0x3fff,
            low & 0xffff_ffff_ffff
        );
        match self {
            MessageIds::Random => uuid,
            MessageIds::TimePrefixed => format!("node-next-{}-{uuid}", xinli_store::now_ms()),
        }
    }
}

/// A well-mixed 64-bit function of `x` (SplitMix64's finaliser).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Batch `index` of mixed events; every 20th message is an order. `shape` keeps the message ids
/// of one ingestion shape apart from another's.
fn batch_body(ids: MessageIds, shape: usize, index: usize, size: usize) -> Vec<u8> {
    let items: Vec<Value> = (0..size)
        .map(|i| {
            let n = index * size + i;
            let user = format!("bench-{}", (n * 7919) % USERS);
            let id = ids.name(shape, n);
            if n % 20 == 0 {
                json!({"type": "track", "userId": user, "event": "Order Completed", "messageId": id,
                       "properties": {"order_id": format!("o{shape}-{n}"), "products": [{"product_id": format!("p{}", n % 500), "price": 19.9, "quantity": 1 + n % 3}]}})
            } else {
                json!({"type": "track", "userId": user, "event": EVENTS[n % EVENTS.len()], "messageId": id,
                       "properties": {"product_id": format!("p{}", n % 500), "price": 19.9, "category": format!("c{}", n % 12)}})
            }
        })
        .collect();
    json!({"batch": items}).to_string().into_bytes()
}

/// CPU seconds (user + system) of this process's threads so far, summed by thread name: the
/// writer (`xinli-writer`), its checkpointer, the HTTP workers (`tokio-runtime-w`). Empty where
/// /proc is not there.
fn cpu_by_thread() -> std::collections::BTreeMap<String, f64> {
    let mut by_name = std::collections::BTreeMap::new();
    for task in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        if let Some((name, secs)) = std::fs::read_to_string(task.path().join("stat")).ok().as_deref().and_then(thread_cpu) {
            *by_name.entry(name).or_insert(0.0) += secs;
        }
    }
    by_name
}

/// The machine's CPU time so far, from /proc/stat's first line: (taken by the hypervisor for
/// other guests — "steal" —, all), in ticks. None where /proc is not there.
fn machine_cpu() -> Option<(f64, f64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<f64> = text.lines().next()?.split_whitespace().skip(1).take(8).filter_map(|t| t.parse().ok()).collect();
    (ticks.len() == 8).then(|| (ticks[7], ticks.iter().sum()))
}

/// The share of the machine's CPU time, in percent, that the hypervisor took since `before`:
/// on a shared virtual machine it moves from run to run, and the latency tails with it.
fn steal_since(before: Option<(f64, f64)>) -> Option<f64> {
    let ((stolen_before, all_before), (stolen, all)) = (before?, machine_cpu()?);
    (all > all_before).then(|| (1000.0 * (stolen - stolen_before) / (all - all_before)).round() / 10.0)
}

/// Prints a phase's steal figure.
fn print_steal(backend: &str, steal: Option<f64>) {
    if let Some(percent) = steal {
        println!("{backend:>8} CPU time taken by the host (steal) during the run: {percent} %");
    }
}

/// CPU seconds of the calling thread so far (0 where /proc is not there).
fn this_thread_cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/stat").ok().as_deref().and_then(thread_cpu).map_or(0.0, |(_, secs)| secs)
}

/// (name, CPU seconds) from a thread's /proc stat line "tid (name) state …" (the name may hold
/// spaces, the fields after it do not; utime and stime are the 14th and 15th, in 1/100 s).
fn thread_cpu(stat: &str) -> Option<(String, f64)> {
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let ticks: f64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum();
    Some((stat[open + 1..close].to_string(), ticks / 100.0))
}

/// Sends `events` events as `batch`-event requests from `clients` threads, as fast as answered
/// or at `pace` events/s; prints and returns the figures. The server's metrics count from its
/// start, so they are read before and after.
fn ingest(backend: &str, addr: std::net::SocketAddr, write_key: &str, ids: MessageIds, shape: usize, (clients, batch, pace): (usize, usize, Option<f64>), events: usize) -> Value {
    let counters = || {
        let metrics = Client::new(addr).get("/metrics").expect("metrics").text();
        [
            "xinli_group_commits_total ",
            "xinli_group_commit_microseconds_total ",
            "xinli_group_commit_requests_total ",
            "xinli_messages_stored_total ",
            "xinli_ingest_log_stored_total ",
        ]
            .map(|name| metrics.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse::<f64>().ok())).unwrap_or(f64::NAN))
    };
    let batches = events.div_ceil(batch);
    let next = Arc::new(AtomicUsize::new(0));
    // Every request body is built before the clock starts, as wrk or vegeta send prepared
    // bodies: during the run the load generator's CPU is the HTTP exchange alone.
    let bodies: Arc<Vec<OnceLock<Vec<u8>>>> = Arc::new((0..batches).map(|_| OnceLock::new()).collect());
    let generator_cpu = Arc::new(std::sync::Mutex::new(0.0));
    // Paced: each client sends every `interval`, the clients evenly staggered.
    let interval = pace.map(|rate| Duration::from_secs_f64((clients * batch) as f64 / rate));
    // Every client is connected and its key verified (argon2, once per key) before the clock
    // and the counters start: a first request per client, untimed, then all go at once.
    let warmed_up = Arc::new(std::sync::Barrier::new(clients + 1));
    let go = Arc::new(std::sync::Barrier::new(clients + 1));
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let (next, key, generator_cpu, bodies) = (Arc::clone(&next), write_key.to_string(), Arc::clone(&generator_cpu), Arc::clone(&bodies));
            let (warmed_up, go) = (Arc::clone(&warmed_up), Arc::clone(&go));
            std::thread::spawn(move || {
                for index in (c..batches).step_by(clients) {
                    bodies[index].get_or_init(|| batch_body(ids, shape, index, batch));
                }
                let mut client = Client::new(addr).with_key(&key);
                let warm_up = json!({"batch": [{"type": "identify", "userId": format!("bench-warm-up-{c}"), "messageId": format!("w{shape}-{c}")}]});
                let r = client.request("POST", "/v1/batch", &[("content-type", "application/json")], warm_up.to_string().as_bytes()).expect("warm-up request");
                assert_eq!(r.status, 200, "{}", r.text());
                warmed_up.wait();
                go.wait();
                let cpu_at_go = this_thread_cpu();
                let mut latencies = Vec::new();
                let mut seq = 0;
                let begin = Instant::now() + interval.map_or(Duration::ZERO, |i| i * c as u32 / clients as u32);
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(index).and_then(OnceLock::get) else { break };
                    let t = match interval {
                        Some(i) => {
                            let scheduled = begin + i * seq as u32;
                            std::thread::sleep(scheduled.saturating_duration_since(Instant::now()));
                            scheduled
                        }
                        None => Instant::now(),
                    };
                    seq += 1;
                    let r = client.request("POST", "/v1/batch", &[("content-type", "application/json")], body).expect("batch request");
                    assert_eq!(r.status, 200, "{}", r.text());
                    latencies.push((t, t.elapsed().as_secs_f64() * 1000.0));
                }
                *generator_cpu.lock().unwrap() += this_thread_cpu() - cpu_at_go;
                latencies
            })
        })
        .collect();
    warmed_up.wait();
    let before = counters();
    let cpu_before = cpu_by_thread();
    let machine_before = machine_cpu();
    go.wait();
    let started = Instant::now();
    let Latencies { sorted_ms: batch_ms, elapsed, p99_ms_by_second } = join_latencies(workers, started);
    let events = batch_ms.len() * batch;
    let after = counters();
    // With the ingest log (SQLite) requests are answered before the writer applies them: how
    // long after the last answer it had applied everything tells whether it kept up.
    let last_answer = Instant::now();
    let mut applied = after;
    while applied[3] < applied[4] {
        std::thread::sleep(Duration::from_millis(5));
        applied = counters();
    }
    let catch_up_ms = (after[4] > 0.0).then(|| last_answer.elapsed().as_secs_f64() * 1000.0);
    if let Some(ms) = catch_up_ms {
        println!("{backend:>8} the writer had applied everything acknowledged {ms:.0} ms after the last answer ({:.0} events behind then)", after[4] - after[3]);
    }
    let steal = steal_since(machine_before);
    let mut spent: Vec<(String, f64)> =
        cpu_by_thread().into_iter().map(|(name, secs)| (name.clone(), secs - cpu_before.get(&name).copied().unwrap_or(0.0))).collect();
    spent.push(("load generator".into(), *generator_cpu.lock().unwrap()));
    let cpu: serde_json::Map<String, Value> =
        spent.into_iter().filter(|(_, secs)| *secs > 0.0).map(|(name, secs)| (name, json!((secs * 1e6 / events as f64 * 10.0).round() / 10.0))).collect();
    println!("{backend:>8} CPU per event by thread, µs: {}", Value::Object(cpu.clone()));
    let commits = after[0] - before[0];
    let commit_ms = (after[1] - before[1]) / 1000.0 / commits;
    let requests_per_commit = (after[2] - before[2]) / commits;
    println!("{backend:>8} group commits: {commits} transactions, {requests_per_commit:.1} requests each, {commit_ms:.1} ms each (writer busy {:.0} %)",
        100.0 * commit_ms * commits / 1000.0 / elapsed);
    let paced = pace.map_or(String::new(), |rate| format!(", paced at {rate:.0} events/s"));
    println!(
        "{backend:>8} ingest: {events} events in {elapsed:.2} s = {:.0} events/s ({clients} clients x {batch} events/batch{paced}, {} message ids); batch p50 {:.1} ms, p99 {:.1} ms",
        events as f64 / elapsed,
        ids.label(),
        percentile(&batch_ms, 0.5),
        percentile(&batch_ms, 0.99)
    );
    println!("{backend:>8} ingest p99 by second of the run, ms: {p99_ms_by_second:?}");
    print_steal(backend, steal);
    json!({
        "paced_events_per_second": pace, "message_ids": ids.label(),
        "group_commits": commits, "requests_per_commit": requests_per_commit, "commit_ms": commit_ms,
        "events": events, "seconds": elapsed, "events_per_second": events as f64 / elapsed,
        "clients": clients, "batch": batch, "cpu_us_per_event_by_thread": cpu,
        "batch_p50_ms": percentile(&batch_ms, 0.5), "batch_p99_ms": percentile(&batch_ms, 0.99), "batch_max_ms": percentile(&batch_ms, 1.0),
        "batch_p99_ms_by_second": p99_ms_by_second, "cpu_steal_percent": steal, "writer_caught_up_ms": catch_up_ms,
    })
}

/// A server on a fresh store of `backend`, with a write key and an analyst key.
struct Bench {
    server: xinli_serve::RunningServer,
    write_key: String,
    read_key: String,
    db: TestDb,
}

const BENCH_CIPHER_KEY: [u8; 32] = [9; 32];

/// `rate` GET requests a second for `seconds`, open loop over 4 threads (latency counted from
/// each request's scheduled time, so a stall is not hidden), the k-th request to `path(k)`;
/// prints and returns p50/p99/p99.9, the p99 of each second and the steal.
fn paced_gets(
    backend: &str,
    label: &str,
    addr: std::net::SocketAddr,
    key: &str,
    (rate, seconds): (usize, u64),
    path: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Value {
    let threads = 4;
    let per_thread = rate as f64 / threads as f64;
    let n = rate as u64 * seconds / threads as u64;
    let path = Arc::new(path);
    let machine_before = machine_cpu();
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (key, path) = (key.to_string(), Arc::clone(&path));
            std::thread::spawn(move || {
                let mut client = Client::new(addr).with_key(&key);
                // Warm-up, untimed: the key's first (argon2) verification and the connection.
                client.get(&path(0)).expect("warm-up request");
                let mut latencies = Vec::with_capacity(n as usize);
                let begin = Instant::now() + Duration::from_millis(t as u64 * 2);
                for i in 0..n {
                    let scheduled = begin + Duration::from_secs_f64(i as f64 / per_thread);
                    let now = Instant::now();
                    if scheduled > now {
                        std::thread::sleep(scheduled - now);
                    }
                    let r = client.get(&path(i as usize * 37 + t * 5003)).expect("paced request");
                    assert_eq!(r.status, 200, "{}", r.text());
                    latencies.push((scheduled, scheduled.elapsed().as_secs_f64() * 1000.0));
                }
                latencies
            })
        })
        .collect();
    let Latencies { sorted_ms: ms, elapsed, p99_ms_by_second } = join_latencies(workers, started);
    let steal = steal_since(machine_before);
    let (p50, p99, p999) = (percentile(&ms, 0.5), percentile(&ms, 0.99), percentile(&ms, 0.999));
    println!(
        "{backend:>8} {label}: {} requests at {rate} req/s target ({:.0} achieved): p50 {p50:.2} ms, p99 {p99:.2} ms, p99.9 {p999:.2} ms",
        ms.len(),
        ms.len() as f64 / elapsed,
    );
    println!("{backend:>8} {label} p99 by second of the run, ms: {p99_ms_by_second:?}");
    print_steal(backend, steal);
    json!({
        "requests": ms.len(), "target_rate": rate, "achieved_rate": ms.len() as f64 / elapsed,
        "p50_ms": p50, "p99_ms": p99, "p999_ms": p999, "max_ms": percentile(&ms, 1.0),
        "p99_ms_by_second": p99_ms_by_second, "cpu_steal_percent": steal,
    })
}

fn start(backend: &str) -> Bench {
    let db = match backend {
        "sqlite" => TestDb::sqlite(),
        _ => TestDb::postgres().expect("PostgreSQL at 127.0.0.1:5432 (user postgres)"),
    };
    let cipher = PiiCipher::new(BENCH_CIPHER_KEY, &[]);
    let mut admin_store = Store::open(&db.location(), cipher.clone()).expect("opening the store");
    let write_key = admin_store.create_key(Role::Write, "bench").unwrap().key;
    let read_key = admin_store.create_key(Role::Analyst, "bench").unwrap().key;
    drop(admin_store);
    let mut config = ServeConfig::new(db.location(), cipher);
    config.rate_limit = 1e9;
    // To compare with answering after the commit (the ingest log's alternative on SQLite).
    config.ingest_log = std::env::var_os("XINLI_BENCH_ACK_AFTER_COMMIT").is_none();
    let server = spawn(config).expect("starting the server");
    Bench { server, write_key, read_key, db }
}

fn run(backend: &str, args: &Args) -> Value {
    let Bench { server, write_key, read_key, db } = start(backend);
    let addr = server.addr;

    // 1. Ingestion, in each shape.
    let shapes: Vec<Value> =
        args.shapes.iter().enumerate().map(|(shape, &shape_args)| ingest(backend, addr, &write_key, args.ids, shape, shape_args, args.events)).collect();

    // PostgreSQL plans the 360 from table statistics, which autovacuum gathers in a real
    // deployment; this machine's server runs with autovacuum off (conf.d/90-ci.conf). After
    // 100,000 events the 360 saturated without them (p99 0.6–2.5 s) and had a p99 of ~19 ms
    // with them. So the bench gathers them, as autovacuum would have.
    if backend == "postgres" {
        let mut store = Store::open(&db.location(), PiiCipher::new(BENCH_CIPHER_KEY, &[])).expect("opening the store");
        let started = Instant::now();
        store.gather_statistics().expect("ANALYZE");
        println!("{backend:>8} table statistics gathered (ANALYZE, as autovacuum does) in {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
    }
    // 2. Customer 360 at a fixed rate over customers the search lists (a short run has not
    // sent events for every bench user).
    let listed = Client::new(addr).with_key(&read_key).get("/api/customers?limit=1000").expect("customer search").text();
    let listed: Value = serde_json::from_str(&listed).expect("search answers JSON");
    let customers: Vec<String> =
        listed["customers"].as_array().into_iter().flatten().filter_map(|c| c["customer_id"].as_str().map(str::to_string)).collect();
    assert!(!customers.is_empty(), "the search found no customer");
    let reads = paced_gets(backend, "customer 360", addr, &read_key, (args.rate, args.seconds), move |i| {
        format!("/api/customers/{}?recent=10", customers[i % customers.len()])
    });
    // 3. The floor: `/healthz` (one indexed read of the keys table, no key, a tiny answer) at
    // the same rate, right after. What it cannot go below, no endpoint can: on a shared
    // virtual machine that is the host's scheduling (steal), not the server's code.
    let floor = paced_gets(backend, "healthz floor", addr, &read_key, (args.rate, args.seconds), |_| "/healthz".to_string());
    server.stop();

    // A restarted writer's first ingestion: on SQLite it first reads every stored message id
    // (stored_ids.rs), once.
    let mut store = Store::open(&db.location(), PiiCipher::new(BENCH_CIPHER_KEY, &[])).expect("reopening the store");
    let stored = store.table_counts().expect("counting").into_iter().find(|(t, _)| *t == "events").map_or(0, |(_, n)| n);
    let message = Message::new("bench-after-restart", MessageKind::Track, Some("bench-0"), None, xinli_store::now_ms());
    let first = Instant::now();
    store.ingest(&[message]).expect("ingesting after a restart");
    let restart_ms = first.elapsed().as_secs_f64() * 1000.0;
    println!("{backend:>8} first ingestion after a restart, {stored} events stored: {restart_ms:.0} ms");
    drop(store);

    // 4. Sustained: paced ingestion on a fresh store (a store grown by the runs above makes
    // the writer slower, ~16 → 21 µs an event past 800,000 events).
    let sustained = args.sustained.then(|| {
        let Bench { server, write_key, db: _db, .. } = start(backend);
        let figures = ingest(backend, server.addr, &write_key, args.ids, 0, (16, 100, Some(sustained_rate(backend))), args.events);
        server.stop();
        figures
    });
    // "ingest" is the first shape's (the default's), as before; every shape's in "ingest_shapes".
    json!({"backend": backend, "ingest": shapes[0], "ingest_shapes": shapes, "customer_360": reads, "healthz_floor": floor, "sustained": sustained,
           "first_ingest_after_restart_ms": restart_ms, "events_stored_at_restart": stored})
}

fn main() {
    let args = parse_args();
    let results: Vec<Value> = args.backends.iter().map(|b| run(b, &args)).collect();
    println!("{}", json!({"bench": "xinli serve load", "cores": std::thread::available_parallelism().map_or(0, |n| n.get()), "results": results}));
}
