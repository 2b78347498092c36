//! Prometheus metrics (text exposition format 0.0.4), kept in atomics: requests by route and
//! status, request latency histograms, messages stored and deduplicated, group commits.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

use xinli_store::IngestOutcome;

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    stored: AtomicU64,
    duplicates: AtomicU64,
    merges: AtomicU64,
    membership_changes: AtomicU64,
    groups: AtomicU64,
    grouped_requests: AtomicU64,
    commit_micros: AtomicU64,
    ingest_failures: AtomicU64,
    wal_syncs: AtomicU64,
    wal_synced_groups: AtomicU64,
    wal_sync_micros: AtomicU64,
    key_verifications: AtomicU64,
    log_appends: AtomicU64,
    log_requests: AtomicU64,
    log_stored: AtomicU64,
    log_bytes: AtomicU64,
    log_append_micros: AtomicU64,
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        *self.requests.lock().expect("metrics lock").entry((route.to_string(), status)).or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let mut latency = self.latency.lock().expect("metrics lock");
        let h = latency.entry(route.to_string()).or_default();
        h.count += 1;
        h.sum += secs;
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            h.counts[i] += 1;
        }
    }

    pub fn group_committed(&self, requests: usize, outcomes: &[IngestOutcome], membership_changes: u64, elapsed: Duration) {
        self.groups.fetch_add(1, Relaxed);
        self.grouped_requests.fetch_add(requests as u64, Relaxed);
        self.commit_micros.fetch_add(elapsed.as_micros() as u64, Relaxed);
        self.membership_changes.fetch_add(membership_changes, Relaxed);
        for o in outcomes {
            self.stored.fetch_add(o.stored, Relaxed);
            self.duplicates.fetch_add(o.duplicates, Relaxed);
            self.merges.fetch_add(o.merges, Relaxed);
        }
    }

    /// One fsync of the SQLite WAL for `groups` group commits, off the writer thread.
    pub fn wal_synced(&self, groups: usize, elapsed: Duration) {
        self.wal_syncs.fetch_add(1, Relaxed);
        self.wal_synced_groups.fetch_add(groups as u64, Relaxed);
        self.wal_sync_micros.fetch_add(elapsed.as_micros() as u64, Relaxed);
    }

    /// One durable append (write and fdatasync) to the ingest log of `requests` holding
    /// `stored` new messages.
    pub fn log_appended(&self, requests: usize, stored: u64, bytes: usize, elapsed: Duration) {
        self.log_appends.fetch_add(1, Relaxed);
        self.log_requests.fetch_add(requests as u64, Relaxed);
        self.log_stored.fetch_add(stored, Relaxed);
        self.log_bytes.fetch_add(bytes as u64, Relaxed);
        self.log_append_micros.fetch_add(elapsed.as_micros() as u64, Relaxed);
    }

    pub fn ingest_failed(&self) {
        self.ingest_failures.fetch_add(1, Relaxed);
    }

    /// One argon2 verification of a presented API key.
    pub fn key_verified(&self) {
        self.key_verifications.fetch_add(1, Relaxed);
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, v: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter("xinli_messages_stored_total", "Tracking messages stored.", self.stored.load(Relaxed));
        counter("xinli_messages_duplicate_total", "Messages whose messageId was already stored.", self.duplicates.load(Relaxed));
        counter("xinli_identity_merges_total", "Customers merged by identify or alias.", self.merges.load(Relaxed));
        counter("xinli_segment_membership_changes_total", "Segment entries and exits.", self.membership_changes.load(Relaxed));
        counter("xinli_group_commits_total", "Ingest transactions (group commits).", self.groups.load(Relaxed));
        counter("xinli_group_commit_requests_total", "Requests committed by group commits.", self.grouped_requests.load(Relaxed));
        counter("xinli_group_commit_microseconds_total", "Time spent in group commits.", self.commit_micros.load(Relaxed));
        counter("xinli_wal_syncs_total", "fsyncs of the SQLite WAL made for group commits, off the writer.", self.wal_syncs.load(Relaxed));
        counter("xinli_wal_sync_groups_total", "Group commits made durable by those fsyncs.", self.wal_synced_groups.load(Relaxed));
        counter("xinli_wal_sync_microseconds_total", "Time spent in those fsyncs.", self.wal_sync_micros.load(Relaxed));
        counter("xinli_ingest_failures_total", "Group commits that failed.", self.ingest_failures.load(Relaxed));
        counter("xinli_ingest_log_appends_total", "Durable appends (write and fdatasync) to the ingest log.", self.log_appends.load(Relaxed));
        counter("xinli_ingest_log_requests_total", "Requests acknowledged from the ingest log.", self.log_requests.load(Relaxed));
        counter("xinli_ingest_log_stored_total", "New messages acknowledged from the ingest log (the writer's xinli_messages_stored_total follows).", self.log_stored.load(Relaxed));
        counter("xinli_ingest_log_bytes_total", "Bytes appended to the ingest log.", self.log_bytes.load(Relaxed));
        counter("xinli_ingest_log_append_microseconds_total", "Time spent in those appends.", self.log_append_micros.load(Relaxed));
        counter("xinli_api_key_verifications_total", "argon2 verifications of presented API keys (first presentations).", self.key_verifications.load(Relaxed));
        let _ = writeln!(out, "# HELP xinli_http_requests_total HTTP requests by route and status.\n# TYPE xinli_http_requests_total counter");
        for ((route, status), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "xinli_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP xinli_http_request_seconds HTTP request latency.\n# TYPE xinli_http_request_seconds histogram");
        for (route, h) in self.latency.lock().expect("metrics lock").iter() {
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                cumulative += n;
                let _ = writeln!(out, "xinli_http_request_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}");
            }
            let _ = writeln!(out, "xinli_http_request_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.count);
            let _ = writeln!(out, "xinli_http_request_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "xinli_http_request_seconds_count{{route=\"{route}\"}} {}", h.count);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::default();
        m.request("/v1/batch", 200, Duration::from_micros(300));
        m.request("/v1/batch", 200, Duration::from_millis(3));
        m.group_committed(2, &[IngestOutcome { stored: 5, duplicates: 1, ..Default::default() }], 2, Duration::from_millis(1));
        let text = m.render();
        assert!(text.contains("xinli_messages_stored_total 5"));
        assert!(text.contains("xinli_messages_duplicate_total 1"));
        assert!(text.contains("xinli_http_requests_total{route=\"/v1/batch\",status=\"200\"} 2"));
        assert!(text.contains("xinli_http_request_seconds_bucket{route=\"/v1/batch\",le=\"0.0005\"} 1"));
        assert!(text.contains("xinli_http_request_seconds_bucket{route=\"/v1/batch\",le=\"0.005\"} 2"));
        assert!(text.contains("xinli_http_request_seconds_count{route=\"/v1/batch\"} 2"));
    }
}
