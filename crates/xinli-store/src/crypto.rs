//! PII at rest: AES-256-GCM (NIST SP 800-38D) with a random 96-bit nonce per value, and a keyed
//! blind index (HMAC-SHA-256) so an email can be found without storing it in clear.
//!
//! Sealed layout: `key id (4 bytes) ‖ nonce (12) ‖ ciphertext+tag`. The key id is the first four
//! bytes of SHA-256 of the key, so a value sealed under an older key can still be opened while
//! that key is listed in `XINLI_PII_PREVIOUS_KEYS` (rotation: see `docs/serve.md`).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::Mac;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// One 256-bit key and its id.
#[derive(Clone)]
struct Key {
    id: [u8; 4],
    cipher: Aes256Gcm,
    bytes: [u8; 32],
}

impl Key {
    fn new(bytes: [u8; 32]) -> Key {
        let digest = Sha256::digest(bytes);
        Key { id: [digest[0], digest[1], digest[2], digest[3]], cipher: Aes256Gcm::new(&bytes.into()), bytes }
    }
}

/// The PII cipher: the current key seals, the current and previous keys open.
#[derive(Clone)]
pub struct PiiCipher {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for PiiCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PiiCipher(key id {:02x?}, {} previous)", self.current.id, self.previous.len())
    }
}

/// Parses a key written as 64 hex digits or as base64 of 32 bytes.
pub fn parse_key(text: &str) -> Result<[u8; 32], StoreError> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or(0)).collect()
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| StoreError::Config("a PII key must be 64 hex digits or base64 of 32 bytes / PII 密钥须为 64 位十六进制或 32 字节的 base64".into()))?
    };
    bytes
        .try_into()
        .map_err(|_| StoreError::Config("a PII key must be exactly 32 bytes / PII 密钥必须恰好 32 字节".into()))
}

/// A fresh random key, hex-encoded (for a new key file).
pub fn generate_key_hex() -> String {
    let mut key = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut key);
    key.iter().map(|b| format!("{b:02x}")).collect()
}

impl PiiCipher {
    pub fn new(current: [u8; 32], previous: &[[u8; 32]]) -> PiiCipher {
        PiiCipher { current: Key::new(current), previous: previous.iter().copied().map(Key::new).collect() }
    }

    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self.current.cipher.encrypt(Nonce::from_slice(&nonce), plain).expect("AES-GCM encryption of an in-memory buffer");
        let mut out = Vec::with_capacity(16 + ct.len());
        out.extend_from_slice(&self.current.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < 16 + 16 {
            return Err(StoreError::Crypto("sealed value too short".into()));
        }
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == sealed[..4])
            .ok_or_else(|| StoreError::Crypto(format!("no key with id {:02x?}: set XINLI_PII_PREVIOUS_KEYS", &sealed[..4])))?;
        key.cipher
            .decrypt(Nonce::from_slice(&sealed[4..16]), &sealed[16..])
            .map_err(|_| StoreError::Crypto("PII authentication failed (wrong key or tampered data)".into()))
    }

    /// True when `sealed` was sealed under an older key (rotation rewrites these).
    pub fn is_stale(&self, sealed: &[u8]) -> bool {
        sealed.len() >= 4 && sealed[..4] != self.current.id
    }

    /// The blind index of a lower-cased, trimmed email: HMAC-SHA-256 under a key derived from
    /// the current PII key, hex. Rotation recomputes it.
    pub fn email_index(&self, email: &str) -> String {
        self.blind_index(b"xinli email index v1", &email.trim().to_lowercase())
    }

    /// The blind index of a phone number's digits, so that "+86 138-0013-8000" and
    /// "13800138000" meet: spaces, dashes, brackets and a leading `+` or `00` are dropped, and
    /// so is mainland China's country code 86 before an 11-digit number. None with fewer than
    /// 5 digits (nothing worth finding by).
    pub fn phone_index(&self, phone: &str) -> Option<String> {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let digits = digits.strip_prefix("00").unwrap_or(&digits);
        let digits = match digits.strip_prefix("86") {
            Some(national) if national.len() == 11 => national,
            _ => digits,
        };
        (digits.len() >= 5).then(|| self.blind_index(b"xinli phone index v1", digits))
    }

    /// HMAC-SHA-256 of `value` under a key derived from the current PII key for one purpose, hex.
    fn blind_index(&self, purpose: &[u8], value: &str) -> String {
        let derived = Sha256::new().chain_update(purpose).chain_update(self.current.bytes).finalize();
        let mut mac = <hmac::Hmac<Sha256> as Mac>::new_from_slice(&derived).expect("HMAC takes any key length");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// HMAC-SHA-256 under a random key that exists only in this process's memory: a server
/// remembers the API keys presented to it by this hash, so what it holds cannot be tested
/// against guesses elsewhere, and a lookup costs a microsecond instead of an argon2 run.
#[derive(Clone)]
pub struct KeyedHash(hmac::Hmac<Sha256>);

impl KeyedHash {
    pub fn random() -> KeyedHash {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        KeyedHash(<hmac::Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length"))
    }

    pub fn hash(&self, text: &str) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// SHA-256 hex of a text (receipts and audit entries name an erased subject by digest only).
pub fn digest_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_opens_and_rotates() {
        let old = PiiCipher::new([7; 32], &[]);
        let sealed = old.seal(b"ada@example.com");
        assert!(!sealed.windows(5).any(|w| w == b"ada@e"), "ciphertext must not contain the plain text");
        assert_eq!(old.open(&sealed).unwrap(), b"ada@example.com");
        let new = PiiCipher::new([9; 32], &[[7; 32]]);
        assert!(new.is_stale(&sealed));
        assert_eq!(new.open(&sealed).unwrap(), b"ada@example.com");
        assert!(PiiCipher::new([9; 32], &[]).open(&sealed).is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(old.open(&tampered).is_err());
    }

    #[test]
    fn keyed_hashes_differ_by_process_key() {
        let (a, b) = (KeyedHash::random(), KeyedHash::random());
        assert_eq!(a.hash("xk_1"), a.hash("xk_1"));
        assert_ne!(a.hash("xk_1"), a.hash("xk_2"));
        assert_ne!(a.hash("xk_1"), b.hash("xk_1"));
    }

    #[test]
    fn keys_parse_from_hex_or_base64() {
        let hex = generate_key_hex();
        assert_eq!(parse_key(&hex).unwrap().len(), 32);
        assert_eq!(parse_key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").unwrap(), [0; 32]);
        assert!(parse_key("short").is_err());
        assert_eq!(PiiCipher::new([1; 32], &[]).email_index(" Ada@Example.com"), PiiCipher::new([1; 32], &[]).email_index("ada@example.com"));
    }
}
