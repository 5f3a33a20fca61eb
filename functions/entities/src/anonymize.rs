//! Replacing found entities in the text.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analyze::Finding;

/// How each entity is replaced in `anonymized_text`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// Every character becomes `X` (the original API's behaviour): lengths and
    /// offsets are kept.
    #[default]
    Mask,
    /// The entity becomes `<TYPE>`.
    Replace,
    /// The entity is removed.
    Redact,
    /// The entity becomes a salted SHA-256 digest (16 hex digits): equal
    /// entities get equal digests within one request, and digests of different
    /// requests cannot be linked, since every request has its own salt.
    Hash,
}

/// `text` with each finding (sorted, non-overlapping) replaced by `operator`.
pub fn anonymize(text: &str, findings: &[Finding], operator: Operator, salt: &[u8]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for finding in findings {
        let (start, end) = (finding.start.min(chars.len()), finding.end.min(chars.len()));
        if start < at {
            continue; // not produced by resolve_overlaps; skipped defensively
        }
        out.extend(&chars[at..start]);
        match operator {
            Operator::Mask => out.extend(std::iter::repeat_n('X', end - start)),
            Operator::Replace => {
                out.push('<');
                out.push_str(&finding.entity_type);
                out.push('>');
            }
            Operator::Redact => {}
            Operator::Hash => {
                let entity: String = chars[start..end].iter().collect();
                let mut hasher = Sha256::new();
                hasher.update(salt);
                hasher.update(finding.entity_type.as_bytes());
                hasher.update([0]);
                hasher.update(entity.as_bytes());
                let digest = hasher.finalize();
                out.extend(digest.iter().take(8).map(|b| format!("{b:02x}")));
            }
        }
        at = end;
    }
    out.extend(&chars[at.min(chars.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(start: usize, end: usize, kind: &str) -> Finding {
        Finding {
            start,
            end,
            entity_type: kind.into(),
            score: 1.0,
            source: "t".into(),
            validated: true,
            explanation: Default::default(),
        }
    }

    #[test]
    fn operators() {
        let text = "Zoë met Zoë";
        let found = [finding(0, 3, "PERSON"), finding(8, 11, "PERSON")];
        assert_eq!(anonymize(text, &found, Operator::Mask, b""), "XXX met XXX");
        assert_eq!(
            anonymize(text, &found, Operator::Replace, b""),
            "<PERSON> met <PERSON>"
        );
        assert_eq!(anonymize(text, &found, Operator::Redact, b""), " met ");
        let hashed = anonymize(text, &found, Operator::Hash, b"salt");
        let parts: Vec<&str> = hashed.split(" met ").collect();
        assert_eq!(
            parts[0], parts[1],
            "same entity, same digest within a request"
        );
        assert_eq!(parts[0].len(), 16);
        assert_ne!(
            hashed,
            anonymize(text, &found, Operator::Hash, b"other salt")
        );
    }
}
