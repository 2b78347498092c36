//! API keys on requests: `Authorization: Basic base64(key:)` (the Segment SDKs' write key) or
//! `Authorization: Bearer key`. argon2id verification costs milliseconds, so only a key's first
//! presentation pays it: the verified key is remembered by a keyed hash of its secret
//! ([`KeyedHash`], a random key per process). A remembered key is re-checked for revocation (by
//! `xinli keys revoke` in another process) at most every `recheck` with one indexed read, never
//! argon2 again; revocation over the API forgets it at once. A wrong key is remembered too, so a
//! flood of bad keys cannot make the server hash all day. Per-key token buckets limit rates.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use xinli_store::crypto::KeyedHash;
use xinli_store::{ApiKey, Role};

/// How long a verified key is trusted before its revocation is looked up again (default).
pub const RECHECK: Duration = Duration::from_secs(5);
/// Remembered keys at most (a flood of distinct wrong keys clears the memory, not the server).
const MAX_REMEMBERED: usize = 10_000;

/// The key a request presents, if its Authorization header has one.
pub fn presented_key(header: Option<&str>) -> Option<String> {
    let h = header?.trim();
    if let Some(b) = h.strip_prefix("Basic ").or_else(|| h.strip_prefix("basic ")) {
        let decoded = base64::engine::general_purpose::STANDARD.decode(b.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let user = text.split(':').next()?.trim();
        return (!user.is_empty()).then(|| user.to_string());
    }
    let key = h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer "))?.trim();
    (!key.is_empty()).then(|| key.to_string())
}

struct Remembered {
    key: Option<ApiKey>,
    checked: Instant,
}

/// Presented keys by their keyed hash.
pub struct KeyCache {
    hasher: KeyedHash,
    recheck: Duration,
    entries: Mutex<HashMap<[u8; 32], Remembered>>,
}

/// What the cache knows about a presented key.
pub enum Known {
    Valid(ApiKey),
    /// Verified, but longer ago than `recheck`: look up whether it was revoked meanwhile.
    Recheck(ApiKey),
    Invalid,
    /// Not known (or a wrong key remembered too long ago): verify against the store.
    Unknown,
}

impl KeyCache {
    pub fn new(recheck: Duration) -> KeyCache {
        KeyCache { hasher: KeyedHash::random(), recheck, entries: Mutex::new(HashMap::new()) }
    }

    /// The hash a presented key is remembered by.
    pub fn digest(&self, presented: &str) -> [u8; 32] {
        self.hasher.hash(presented)
    }

    pub fn lookup(&self, digest: &[u8; 32]) -> Known {
        let entries = self.entries.lock().expect("key cache lock");
        match entries.get(digest) {
            Some(Remembered { key: Some(k), checked }) if checked.elapsed() < self.recheck => Known::Valid(k.clone()),
            Some(Remembered { key: Some(k), .. }) => Known::Recheck(k.clone()),
            Some(Remembered { key: None, checked }) if checked.elapsed() < self.recheck => Known::Invalid,
            _ => Known::Unknown,
        }
    }

    /// Remembers a verified key (`Some`) or a wrong one (`None`), checked now.
    pub fn remember(&self, digest: [u8; 32], key: Option<ApiKey>) {
        let mut entries = self.entries.lock().expect("key cache lock");
        if entries.len() >= MAX_REMEMBERED {
            entries.clear();
        }
        entries.insert(digest, Remembered { key, checked: Instant::now() });
    }

    /// Forgets a revoked key at once.
    pub fn forget_id(&self, id: &str) {
        self.entries.lock().expect("key cache lock").retain(|_, r| r.key.as_ref().map_or(true, |k| k.id != id));
    }
}

/// Per-key token buckets: `rate` requests per second, bursts of twice that.
pub struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(rate: f64) -> RateLimiter {
        RateLimiter { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token for `key_id`; false when the bucket is empty.
    pub fn allow(&self, key_id: &str) -> bool {
        let now = Instant::now();
        let burst = 2.0 * self.rate;
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        let (tokens, last) = buckets.entry(key_id.to_string()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// May `role` call a route that needs `needed`? Admin may do everything; analysts read.
pub fn permits(role: Role, needed: Role) -> bool {
    match needed {
        Role::Write => matches!(role, Role::Write | Role::Admin),
        Role::Analyst => matches!(role, Role::Analyst | Role::Admin),
        Role::Admin => role == Role::Admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_basic_or_bearer() {
        let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("xk_abc_def:"));
        assert_eq!(presented_key(Some(&basic)).as_deref(), Some("xk_abc_def"));
        assert_eq!(presented_key(Some("Bearer xk_1")).as_deref(), Some("xk_1"));
        assert_eq!(presented_key(Some("Basic !!!")), None);
        assert_eq!(presented_key(Some(&format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(":pw")))), None);
        assert_eq!(presented_key(None), None);
    }

    #[test]
    fn roles_nest_as_documented() {
        assert!(permits(Role::Write, Role::Write) && !permits(Role::Write, Role::Analyst));
        assert!(permits(Role::Analyst, Role::Analyst) && !permits(Role::Analyst, Role::Write) && !permits(Role::Analyst, Role::Admin));
        assert!(permits(Role::Admin, Role::Write) && permits(Role::Admin, Role::Analyst) && permits(Role::Admin, Role::Admin));
    }

    #[test]
    fn buckets_refuse_past_the_burst() {
        let limiter = RateLimiter::new(5.0);
        let allowed = (0..100).filter(|_| limiter.allow("k")).count();
        assert!((10..=11).contains(&allowed), "{allowed}");
        assert!(limiter.allow("other"));
    }
}
