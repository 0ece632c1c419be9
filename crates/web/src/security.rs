//! Secrets: Argon2id password hashes, random tokens, their SHA-256 digests, constant-time comparison,
//! and the security headers every response carries (platform.md §2).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::{HeaderName, HeaderValue};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Argon2id cost. The default follows OWASP's recommendation (19 MiB, 2 passes); tests use a cheap one
/// (a default hash takes ~0.4 s unoptimised).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory in KiB.
    pub m_kib: u32,
    pub t: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        PasswordCost {
            m_kib: 19 * 1024,
            t: 2,
        }
    }
}

impl PasswordCost {
    /// The cheapest cost Argon2 accepts, for tests.
    pub const TEST: PasswordCost = PasswordCost { m_kib: 8, t: 1 };

    fn argon2(self) -> Argon2<'static> {
        let params = Params::new(self.m_kib, self.t, 1, None).unwrap_or_default();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }
}

/// Hashes a password into a PHC string (`$argon2id$v=19$…`) with a random salt.
pub fn hash_password(password: &str, cost: PasswordCost) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    // 16 bytes always encode; an empty hash (which nothing verifies against) is the impossible fallback.
    let Ok(salt) = SaltString::encode_b64(&salt) else {
        return String::new();
    };
    cost.argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

/// Whether `password` matches the PHC string (its own parameters are used, so hashes made with any
/// cost verify).
pub fn verify_password(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A hash to verify against when the login is unknown, so that an unknown login costs as much time as
/// a wrong password (no user enumeration by timing).
pub fn dummy_hash(cost: PasswordCost) -> String {
    hash_password("senha-inexistente", cost)
}

/// 256 random bits as 64 hex digits.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// SHA-256 of a token, hex: what the database keeps of session tokens and API keys.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Headers on every response: a Content-Security-Policy without inline script (scripts and styles come
/// from our own `/static`), no framing, no MIME sniffing, no referrer leaks, and nothing stored by a
/// browser or a proxy cache (`no-store`: pages and downloads carry personal data) unless the response
/// sets its own `Cache-Control`, as the fingerprinted static files do.
/// `tile_origin` is the origin of a configured map tile service, allowed for images only.
pub fn security_headers(tile_origin: Option<&str>) -> Vec<(HeaderName, HeaderValue)> {
    let img = match tile_origin {
        Some(o) => format!("img-src 'self' data: {o}"),
        None => "img-src 'self' data:".to_string(),
    };
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; {img}; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    let mut h = vec![
        (
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ),
        (
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ),
        (
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("cache-control"),
            HeaderValue::from_static("no-store"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ),
    ];
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.push((HeaderName::from_static("content-security-policy"), v));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correta cavalo bateria", PasswordCost::TEST);
        assert!(h.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{h}");
        assert!(verify_password("correta cavalo bateria", &h));
        assert!(!verify_password("correta cavalo bateriA", &h));
        assert!(!verify_password("x", "not a phc string"));
        assert_ne!(
            h,
            hash_password("correta cavalo bateria", PasswordCost::TEST),
            "salted"
        );
    }

    #[test]
    fn tokens_and_hashes() {
        let t = random_token();
        assert_eq!(t.len(), 64);
        assert_ne!(t, random_token());
        // sha256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
