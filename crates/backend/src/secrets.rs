//! Secrets at rest (cluster credentials): sealed with XChaCha20-Poly1305 under the portal's
//! secret key (`FLOTILLA_SECRET_KEY`, or a key file). A sealed value names the key that sealed
//! it (a short fingerprint), carries its own random nonce and is bound to what it belongs to
//! (associated data), so a sealed credential copied onto another cluster row will not open.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

const PREFIX: &str = "fsk1";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret key must be 32 bytes, written as base64 (44 characters) or hex (64 characters)")]
    BadKey,
    #[error("cannot read or write the key file {0}: {1}")]
    KeyFile(String, std::io::Error),
    #[error("this value was sealed with key {found}, but the portal's key is {expected}; set the key it was sealed with (or rotate with `flotilla keys rotate`)")]
    WrongKey { found: String, expected: String },
    #[error("a sealed value is damaged or does not belong here")]
    Damaged,
}

/// The portal's 32-byte secret key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct SecretKey {
    key: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", self.fingerprint())
    }
}

impl SecretKey {
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self { key }
    }

    /// Reads base64 or hex text.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16)).collect::<Result<Vec<u8>, _>>().map_err(|_| SecretError::BadKey)?
        } else {
            STANDARD.decode(text).map_err(|_| SecretError::BadKey)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        Ok(Self { key })
    }

    /// The key as base64 text (what `parse` and key files read).
    pub fn to_text(&self) -> String {
        STANDARD.encode(self.key)
    }

    pub fn read_file(path: &Path) -> Result<Self, SecretError> {
        let text = std::fs::read_to_string(path).map_err(|e| SecretError::KeyFile(path.display().to_string(), e))?;
        Self::parse(&text)
    }

    /// Reads the key file, or creates it (owner-only permissions) with a new key.
    pub fn load_or_create(path: &Path) -> Result<Self, SecretError> {
        if path.exists() {
            return Self::read_file(path);
        }
        let key = Self::generate();
        write_private(path, &key.to_text()).map_err(|e| SecretError::KeyFile(path.display().to_string(), e))?;
        Ok(key)
    }

    /// Eight hex digits of SHA-256 of the key: names the key without revealing it.
    pub fn fingerprint(&self) -> String {
        Sha256::digest(self.key).iter().take(4).map(|b| format!("{b:02x}")).collect()
    }

    /// Seals `plaintext`, bound to `context` (e.g. "cluster:tokyo-prod").
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let cipher = XChaCha20Poly1305::new((&self.key).into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher.encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: context.as_bytes() }).expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut body = nonce.to_vec();
        body.extend_from_slice(&sealed);
        format!("{PREFIX}.{}.{}", self.fingerprint(), STANDARD.encode(body))
    }

    /// Opens a value sealed by `seal` with this key and the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SecretError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(PREFIX), Some(found), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SecretError::Damaged);
        };
        if found != self.fingerprint() {
            return Err(SecretError::WrongKey { found: found.to_owned(), expected: self.fingerprint() });
        }
        let body = STANDARD.decode(body).map_err(|_| SecretError::Damaged)?;
        if body.len() < 24 {
            return Err(SecretError::Damaged);
        }
        let (nonce, ciphertext) = body.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| SecretError::Damaged)?;
        XChaCha20Poly1305::new((&self.key).into()).decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: context.as_bytes() }).map_err(|_| SecretError::Damaged)
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
        f.write_all(text.as_bytes())
    }
    #[cfg(not(unix))]
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let key = SecretKey::generate();
        let sealed = key.seal(b"token-123", "cluster:a");
        assert!(!sealed.contains("token-123"));
        assert_ne!(sealed, key.seal(b"token-123", "cluster:a"), "a fresh nonce every time");
        assert_eq!(key.open(&sealed, "cluster:a").unwrap(), b"token-123");
        assert!(matches!(key.open(&sealed, "cluster:b"), Err(SecretError::Damaged)));
        assert!(matches!(SecretKey::generate().open(&sealed, "cluster:a"), Err(SecretError::WrongKey { .. })));
        let mut tampered = sealed.clone();
        tampered.replace_range(sealed.len() - 4..sealed.len() - 2, "AA");
        assert!(key.open(&tampered, "cluster:a").is_err());
    }

    #[test]
    fn keys_read_base64_and_hex_and_refuse_anything_else() {
        let key = SecretKey::generate();
        assert_eq!(SecretKey::parse(&key.to_text()).unwrap().fingerprint(), key.fingerprint());
        let hex: String = key.key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(SecretKey::parse(&hex).unwrap().fingerprint(), key.fingerprint());
        assert!(SecretKey::parse("short").is_err());
        assert!(!format!("{key:?}").contains(&key.to_text()));
    }

    #[test]
    fn a_key_file_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/secret.key");
        let a = SecretKey::load_or_create(&path).unwrap();
        let b = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
