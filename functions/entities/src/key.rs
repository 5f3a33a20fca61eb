//! The deployment's redaction key: keyed pseudonyms and reversible redaction.
//!
//! One secret (at least 32 characters, from `REDACTION_KEY` or a Secrets
//! Manager secret) is never used directly: two sub-keys are derived from it
//! with HMAC-SHA256 under fixed labels, one for pseudonyms and one for
//! encryption, plus a short public key id that the responses carry so a
//! client can tell when the key was rotated.
//!
//! - **Keyed pseudonyms**: `<TYPE_` + the first 16 hex digits of
//!   HMAC-SHA256(pseudonym key, type, normalised value) + `>`. The same value
//!   gets the same pseudonym in every request of every container that holds
//!   the key, and nothing is stored. Without the key a pseudonym cannot be
//!   computed for a guessed value (unlike a plain or caller-salted hash).
//!   Rotating the key unlinks all earlier pseudonyms, on purpose.
//! - **Encryption**: `<enc:TYPE:payload>`, payload = base64url(version,
//!   key id, 24-byte random nonce, XChaCha20-Poly1305 ciphertext and tag),
//!   with the type and the header bound as associated data: a token cannot
//!   be altered, moved to another type or opened with another key. Equal
//!   values give different tokens (use keyed pseudonyms to link).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Shortest secret accepted: 32 characters (at least 128 bits even when typed).
pub const MIN_KEY_CHARS: usize = 32;

/// Hex digits of a keyed pseudonym (64 bits: collisions are negligible for
/// any realistic number of values of one type).
pub const KEYED_PSEUDONYM_DIGITS: usize = 16;

const TOKEN_VERSION: u8 = 1;
const HEADER_BYTES: usize = 1 + 4;
const NONCE_BYTES: usize = 24;
const TAG_BYTES: usize = 16;
/// What opens an encryption token in a text.
pub const TOKEN_PREFIX: &str = "<enc:";

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// The sub-keys of one deployment secret.
#[derive(Clone)]
pub struct RedactionKey {
    pseudonym: [u8; 32],
    cipher: XChaCha20Poly1305,
    id: [u8; 4],
}

impl std::fmt::Debug for RedactionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedactionKey(id {})", self.id())
    }
}

impl std::str::FromStr for RedactionKey {
    type Err = String;

    /// From the secret as configured (surrounding whitespace is ignored).
    fn from_str(secret: &str) -> Result<Self, Self::Err> {
        let secret = secret.trim();
        if secret.chars().count() < MIN_KEY_CHARS {
            return Err(format!("must be at least {MIN_KEY_CHARS} characters"));
        }
        let master = secret.as_bytes();
        let cipher_key = hmac(master, &[b"serverless-ml-api/entities/encrypt/v1"]);
        let id = hmac(master, &[b"serverless-ml-api/entities/key-id/v1"]);
        Ok(Self {
            pseudonym: hmac(master, &[b"serverless-ml-api/entities/pseudonym/v1"]),
            cipher: XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(&cipher_key)),
            id: [id[0], id[1], id[2], id[3]],
        })
    }
}

/// Why a token did not open. The text of the token is never part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("not a token this service writes (bad encoding, version or length)")]
    Malformed,
    #[error("made with another key (the key was rotated, or another deployment wrote it)")]
    ForeignKey,
    #[error("altered, or not made by this service")]
    Tampered,
}

impl RedactionKey {
    /// The public id of this key: 8 hex digits, changes when the key does.
    pub fn id(&self) -> String {
        hex(&self.id)
    }

    /// The keyed pseudonym of a value (already normalised) of a type.
    pub fn pseudonym(&self, entity_type: &str, normalised: &str) -> String {
        let digest = hmac(
            &self.pseudonym,
            &[entity_type.as_bytes(), &[0], normalised.as_bytes()],
        );
        format!(
            "<{entity_type}_{}>",
            &hex(&digest)[..KEYED_PSEUDONYM_DIGITS]
        )
    }

    fn associated_data(header: &[u8], entity_type: &str) -> Vec<u8> {
        let mut aad = b"serverless-ml-api/entities/token\0".to_vec();
        aad.extend_from_slice(header);
        aad.extend_from_slice(entity_type.as_bytes());
        aad
    }

    /// `value` of `entity_type` as an encryption token.
    pub fn seal(&self, entity_type: &str, value: &str) -> String {
        let mut header = vec![TOKEN_VERSION];
        header.extend_from_slice(&self.id);
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = Self::associated_data(&header, entity_type);
        // Encryption fails only for plaintexts beyond 256 GiB.
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: value.as_bytes(),
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut payload = header;
        payload.extend_from_slice(&nonce);
        payload.extend_from_slice(&sealed);
        format!(
            "{TOKEN_PREFIX}{entity_type}:{}>",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    /// The value inside a token's payload (the part after `TYPE:`).
    pub fn open(&self, entity_type: &str, payload: &str) -> Result<String, OpenError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| OpenError::Malformed)?;
        if bytes.len() < HEADER_BYTES + NONCE_BYTES + TAG_BYTES || bytes[0] != TOKEN_VERSION {
            return Err(OpenError::Malformed);
        }
        let (header, rest) = bytes.split_at(HEADER_BYTES);
        if header[1..] != self.id {
            return Err(OpenError::ForeignKey);
        }
        let (nonce, sealed) = rest.split_at(NONCE_BYTES);
        let aad = Self::associated_data(header, entity_type);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| OpenError::Tampered)?;
        String::from_utf8(plain).map_err(|_| OpenError::Tampered)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An encryption token found in a text: code-point offsets, its type and
/// payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAt {
    pub start: usize,
    pub end: usize,
    pub entity_type: String,
    pub payload: String,
}

fn is_type_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'
}

fn is_payload_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Every `<enc:TYPE:payload>` in `chars`, in order. Anything else, including
/// a `<enc:` that does not continue as a token, is ordinary text.
pub fn find_tokens(chars: &[char]) -> Vec<TokenAt> {
    let prefix: Vec<char> = TOKEN_PREFIX.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + prefix.len() <= chars.len() {
        if chars[i..i + prefix.len()] != prefix[..] {
            i += 1;
            continue;
        }
        let type_start = i + prefix.len();
        let type_end = type_start
            + chars[type_start..]
                .iter()
                .take_while(|c| is_type_char(**c))
                .count();
        let well_formed_type = type_end > type_start
            && type_end - type_start <= 64
            && chars.get(type_end) == Some(&':');
        if !well_formed_type {
            i += 1;
            continue;
        }
        let payload_start = type_end + 1;
        let payload_end = payload_start
            + chars[payload_start..]
                .iter()
                .take_while(|c| is_payload_char(**c))
                .count();
        if payload_end == payload_start || chars.get(payload_end) != Some(&'>') {
            i += 1;
            continue;
        }
        found.push(TokenAt {
            start: i,
            end: payload_end + 1,
            entity_type: chars[type_start..type_end].iter().collect(),
            payload: chars[payload_start..payload_end].iter().collect(),
        });
        i = payload_end + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> RedactionKey {
        secret.parse().unwrap()
    }

    const SECRET: &str = "an-example-secret-of-at-least-32-characters";

    #[test]
    fn short_secrets_are_refused_and_never_printed() {
        assert!("too short".parse::<RedactionKey>().is_err());
        let k = key(SECRET);
        assert!(!format!("{k:?}").contains("example"));
        assert_eq!(k.id().len(), 8);
    }

    #[test]
    fn keyed_pseudonyms_link_under_one_key_and_unlink_on_rotation() {
        let a = key(SECRET);
        let again = key(&format!("  {SECRET}\n"));
        let rotated = key("another-secret-of-at-least-32-characters!");
        let p = a.pseudonym("PERSON", "jane doe");
        assert_eq!(p, again.pseudonym("PERSON", "jane doe"));
        assert_eq!(p.len(), "<PERSON_>".len() + KEYED_PSEUDONYM_DIGITS);
        assert_ne!(p, a.pseudonym("PERSON", "john doe"));
        assert_ne!(p, a.pseudonym("LOCATION", "jane doe"));
        assert_ne!(p, rotated.pseudonym("PERSON", "jane doe"));
        assert_ne!(a.id(), rotated.id());
    }

    fn payload_of(token: &str) -> (String, String) {
        let tokens = find_tokens(&token.chars().collect::<Vec<_>>());
        assert_eq!(tokens.len(), 1, "{token}");
        (tokens[0].entity_type.clone(), tokens[0].payload.clone())
    }

    #[test]
    fn tokens_round_trip_and_refuse_tampering_and_foreign_keys() {
        let k = key(SECRET);
        let token = k.seal("PERSON", "Zoë Ångström");
        assert_ne!(token, k.seal("PERSON", "Zoë Ångström"), "random nonces");
        let (kind, payload) = payload_of(&token);
        assert_eq!(kind, "PERSON");
        assert_eq!(k.open(&kind, &payload).unwrap(), "Zoë Ångström");

        // Another type, another key, a flipped character, a cut payload.
        assert_eq!(k.open("LOCATION", &payload), Err(OpenError::Tampered));
        let other = key("another-secret-of-at-least-32-characters!");
        assert_eq!(other.open(&kind, &payload), Err(OpenError::ForeignKey));
        let mut bytes = URL_SAFE_NO_PAD.decode(&payload).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let flipped = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(k.open(&kind, &flipped), Err(OpenError::Tampered));
        assert_eq!(k.open(&kind, &payload[..20]), Err(OpenError::Malformed));
        assert_eq!(k.open(&kind, "!!"), Err(OpenError::Malformed));
    }

    #[test]
    fn tokens_are_found_among_ordinary_text() {
        let text = "a <enc:PERSON:abc_-9> b <enc: no <enc:lower:x> <enc:A:> <enc:CARD_2:Zz>";
        let chars: Vec<char> = text.chars().collect();
        let found = find_tokens(&chars);
        let kinds: Vec<&str> = found.iter().map(|t| t.entity_type.as_str()).collect();
        assert_eq!(kinds, ["PERSON", "CARD_2"]);
        assert_eq!(
            chars[found[0].start..found[0].end]
                .iter()
                .collect::<String>(),
            "<enc:PERSON:abc_-9>"
        );
    }

    proptest::proptest! {
        #[test]
        fn finding_tokens_never_panics(text in "(<enc:|[A-Z_:>a-z]|é){0,60}") {
            let chars: Vec<char> = text.chars().collect();
            for t in find_tokens(&chars) {
                proptest::prop_assert!(t.start < t.end && t.end <= chars.len());
            }
        }

        #[test]
        fn any_value_round_trips(value in "\\PC{0,80}") {
            let k = key(SECRET);
            let token = k.seal("PERSON", &value);
            let (kind, payload) = payload_of(&token);
            proptest::prop_assert_eq!(k.open(&kind, &payload).unwrap(), value);
        }
    }
}
