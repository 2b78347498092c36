//! API keys and the audit log. A key is `xk_<id>_<secret>`; only the argon2id hash of the whole
//! key is stored, found by its public id.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use serde::Serialize;

use crate::{now_ms, Store, StoreError};

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Ingestion only (`/v1/*`): the write key of the tracking SDKs.
    Write,
    /// Reads of `/api/*` with PII masked.
    Analyst,
    /// Everything: PII in clear, segments, keys, erasure.
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "write" => Some(Role::Write),
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Write => "write",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

/// A stored key (never its secret).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApiKey {
    pub id: String,
    pub role: Role,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A key just created: the only time its secret exists outside the client.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewKey {
    pub key: String,
    pub id: String,
    pub role: Role,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The public id part of a presented key, if it has the key's shape.
fn key_id(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("xk_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 12 && !secret.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

impl Store {
    pub fn create_key(&mut self, role: Role, name: &str) -> Result<NewKey, StoreError> {
        let id = random_hex(6);
        let key = format!("xk_{id}_{}", random_hex(24));
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let hash = Argon2::default()
            .hash_password(key.as_bytes(), &salt)
            .map_err(|e| StoreError::Crypto(format!("argon2: {e}")))?
            .to_string();
        self.conn.exec(
            "INSERT INTO api_keys (id, hash, role, name, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, NULL)",
            &[id.as_str().into(), hash.into(), role.name().into(), name.into(), now_ms().into()],
        )?;
        Ok(NewKey { key, id, role })
    }

    pub fn list_keys(&mut self) -> Result<Vec<ApiKey>, StoreError> {
        let rows = self.conn.query("SELECT id, role, name, created_at, revoked_at FROM api_keys ORDER BY created_at, id", &[])?;
        rows.iter()
            .map(|r| {
                Ok(ApiKey {
                    id: r.text(0),
                    role: Role::parse(&r.text(1)).ok_or_else(|| StoreError::Corrupt(format!("key {} has role {:?}", r.text(0), r.text(1))))?,
                    name: r.text(2),
                    created_at: r.int(3),
                    revoked_at: r.opt_int(4),
                })
            })
            .collect()
    }

    /// Revokes a key by id; false when there is no such active key.
    pub fn revoke_key(&mut self, id: &str) -> Result<bool, StoreError> {
        Ok(self.conn.exec("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", &[id.into(), now_ms().into()])? > 0)
    }

    /// The active key a presented secret belongs to (argon2id verification), if any.
    pub fn verify_key(&mut self, presented: &str) -> Result<Option<ApiKey>, StoreError> {
        let Some(id) = key_id(presented) else { return Ok(None) };
        let Some(r) = self.conn.query_one(
            "SELECT hash, role, name, created_at FROM api_keys WHERE id = $1 AND revoked_at IS NULL",
            &[id.into()],
        )?
        else {
            return Ok(None);
        };
        let hash = r.text(0);
        let parsed = PasswordHash::new(&hash).map_err(|e| StoreError::Corrupt(format!("hash of key {id}: {e}")))?;
        if Argon2::default().verify_password(presented.as_bytes(), &parsed).is_err() {
            return Ok(None);
        }
        Ok(Role::parse(&r.text(1)).map(|role| ApiKey { id: id.to_string(), role, name: r.text(2), created_at: r.int(3), revoked_at: None }))
    }

    /// Is the key still active (servers re-check cached keys with this)?
    pub fn key_active(&mut self, id: &str) -> Result<bool, StoreError> {
        Ok(self.conn.query_one("SELECT 1 FROM api_keys WHERE id = $1 AND revoked_at IS NULL", &[id.into()])?.is_some())
    }

    /// Appends to the audit log. `target` and `detail` must hold no PII (callers pass digests).
    pub fn audit(&mut self, key_id: &str, action: &str, target: &str, detail: &str) -> Result<(), StoreError> {
        self.conn.exec(
            "INSERT INTO audit_log (at, key_id, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
            &[now_ms().into(), key_id.into(), action.into(), target.into(), detail.into()],
        )?;
        Ok(())
    }

    /// The newest audit entries: (at, key id, action, target, detail).
    pub fn audit_log(&mut self, limit: i64) -> Result<Vec<(i64, String, String, String, String)>, StoreError> {
        Ok(self
            .conn
            .query("SELECT at, key_id, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1", &[limit.into()])?
            .iter()
            .map(|r| (r.int(0), r.text(1), r.text(2), r.text(3), r.text(4)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_ids_are_read_from_the_key_shape() {
        assert_eq!(super::key_id("xk_0123456789ab_secret"), Some("0123456789ab"));
        assert_eq!(super::key_id("xk_0123456789ab_"), None);
        assert_eq!(super::key_id("xk_' OR 1=1 --_x"), None);
        assert_eq!(super::key_id("Basic abc"), None);
    }
}
