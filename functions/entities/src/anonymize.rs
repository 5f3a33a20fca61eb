//! Replacing found entities in the text: one operator per entity type.
//!
//! `operator` is the shorthand for one operator with its defaults for every
//! type; `operators` maps types (and `DEFAULT`, for the others) to an
//! operator with parameters. Pseudonyms are numbered per type in order of
//! first appearance, across every text of a request, so equal values get
//! equal pseudonyms within a request or a batch; with `scope: deployment`
//! they come from the deployment's key instead and link across requests
//! ([`crate::key`]), as `encrypt`'s reversible tokens do.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use crate::{analyze::Finding, key::RedactionKey};

/// How each entity is replaced in `anonymized_text` (the shorthand: this
/// operator with its default parameters for every type).
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
    /// The entity stays as it is (it is still reported in `entities`).
    Keep,
    /// The entity becomes `<TYPE_n>`: equal values of a type get the same
    /// number within the request (and across the texts of a batch).
    Pseudonym,
    /// The entity becomes a token `<enc:TYPE:...>` that `POST
    /// /entities/restore` turns back into the text, for holders of the write
    /// token (needs the deployment's redaction key).
    Encrypt,
}

/// Where equal values get equal pseudonyms.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Deserialize,
    Serialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PseudonymScope {
    /// `<TYPE_n>`, numbered within the request (and its batch); nothing links
    /// two requests.
    #[default]
    Request,
    /// `<TYPE_` + 16 hex digits + `>` from the deployment's redaction key: the
    /// same value gets the same pseudonym in every request, nothing is
    /// stored, and nobody without the key can compute one. Rotating the key
    /// unlinks every earlier pseudonym, on purpose; `key_id` in the answer
    /// changes with it.
    Deployment,
}

/// The digest of the `hash` operator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HashAlgorithm {
    #[default]
    Sha256,
    Sha512,
}

/// Longest `new_value` of `replace`, and `salt` of `hash`, in characters.
pub const MAX_OPERATOR_TEXT: usize = 256;

/// One operator with its parameters.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OperatorSpec {
    /// Characters become `masking_char`: all of them, or the first (or, with
    /// `from_end`, the last) `chars_to_mask`.
    Mask {
        #[serde(default = "default_masking_char")]
        #[schema(value_type = String, min_length = 1, max_length = 1, default = "X")]
        masking_char: char,
        #[serde(default)]
        #[schema(minimum = 1)]
        chars_to_mask: Option<usize>,
        #[serde(default)]
        from_end: bool,
    },
    /// The entity becomes `new_value` (default `<TYPE>`).
    Replace {
        #[serde(default)]
        #[schema(max_length = 256)]
        new_value: Option<String>,
    },
    /// The entity is removed.
    Redact,
    /// The entity becomes the hex digest of `salt`, its type and its text,
    /// cut to `length` hex digits (default 16). Without `salt` every request
    /// draws a random one: digests link within a request, never across. With
    /// a `salt` of the caller's, equal values hash equally in every request
    /// that sends it (keep it secret: a short value list can be hashed by
    /// anyone who knows the salt).
    Hash {
        #[serde(default)]
        algorithm: HashAlgorithm,
        #[serde(default)]
        #[schema(min_length = 1, max_length = 256)]
        salt: Option<String>,
        #[serde(default)]
        #[schema(minimum = 8, maximum = 128)]
        length: Option<usize>,
    },
    /// The entity stays as it is.
    Keep,
    /// The entity becomes a pseudonym; values are compared after trimming,
    /// folding case and collapsing spaces. `scope: request` (the default):
    /// `<TYPE_n>`, numbered per type in order of first appearance across the
    /// request's texts. `scope: deployment`: `<TYPE_` + 16 hex digits + `>`,
    /// an HMAC of type and value under the deployment's redaction key, the
    /// same in every request.
    Pseudonym {
        #[serde(default)]
        scope: PseudonymScope,
    },
    /// The entity becomes `<enc:TYPE:...>`: the value encrypted and
    /// authenticated (XChaCha20-Poly1305) under the deployment's redaction
    /// key, with a random nonce (equal values give different tokens). `POST
    /// /entities/restore` turns tokens back into text for holders of the
    /// write token; an altered token is refused.
    Encrypt,
}

fn default_masking_char() -> char {
    'X'
}

impl From<Operator> for OperatorSpec {
    fn from(operator: Operator) -> Self {
        match operator {
            Operator::Mask => Self::Mask {
                masking_char: 'X',
                chars_to_mask: None,
                from_end: false,
            },
            Operator::Replace => Self::Replace { new_value: None },
            Operator::Redact => Self::Redact,
            Operator::Hash => Self::Hash {
                algorithm: HashAlgorithm::Sha256,
                salt: None,
                length: None,
            },
            Operator::Keep => Self::Keep,
            Operator::Pseudonym => Self::Pseudonym {
                scope: PseudonymScope::Request,
            },
            Operator::Encrypt => Self::Encrypt,
        }
    }
}

/// A parameter that does not fit its operator: the key of `operators` it is
/// under, the parameter, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct OperatorError {
    pub key: String,
    pub parameter: &'static str,
    pub reason: String,
}

/// Why an operator needs the redaction key, for the 422 when there is none.
const NO_KEY: &str = "this deployment has no redaction key (REDACTION_KEY or REDACTION_KEY_SECRET_ARN): keyed pseudonyms and encrypt are unavailable";

impl OperatorSpec {
    /// Whether this operator needs the deployment's redaction key.
    fn needs_key(&self) -> bool {
        matches!(
            self,
            Self::Encrypt
                | Self::Pseudonym {
                    scope: PseudonymScope::Deployment
                }
        )
    }

    fn check(&self, key: &str, has_key: bool) -> Result<(), OperatorError> {
        let error = |parameter, reason: String| {
            Err(OperatorError {
                key: key.to_owned(),
                parameter,
                reason,
            })
        };
        if self.needs_key() && !has_key {
            let parameter = if matches!(self, Self::Encrypt) {
                "type"
            } else {
                "scope"
            };
            return error(parameter, NO_KEY.into());
        }
        match self {
            Self::Mask {
                masking_char,
                chars_to_mask,
                ..
            } => {
                if chars_to_mask == &Some(0) {
                    return error(
                        "chars_to_mask",
                        "must be at least 1 (or absent, for all)".into(),
                    );
                }
                if masking_char.is_control() {
                    return error("masking_char", "must be a printable character".into());
                }
            }
            Self::Replace {
                new_value: Some(value),
            } if value.chars().count() > MAX_OPERATOR_TEXT => {
                return error(
                    "new_value",
                    format!("at most {MAX_OPERATOR_TEXT} characters"),
                );
            }
            Self::Hash {
                salt,
                length,
                algorithm,
            } => {
                if salt
                    .as_ref()
                    .is_some_and(|s| s.is_empty() || s.chars().count() > MAX_OPERATOR_TEXT)
                {
                    return error("salt", format!("1 to {MAX_OPERATOR_TEXT} characters"));
                }
                let digits = match algorithm {
                    HashAlgorithm::Sha256 => 64,
                    HashAlgorithm::Sha512 => 128,
                };
                if length.is_some_and(|l| !(8..=digits).contains(&l)) {
                    return error(
                        "length",
                        format!("8 to {digits} hex digits for this algorithm"),
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The key of `operators` for the types it does not name.
pub const DEFAULT_KEY: &str = "DEFAULT";

/// The operator of every type, checked.
#[derive(Debug, Clone)]
pub struct Operators {
    default: OperatorSpec,
    by_type: BTreeMap<String, OperatorSpec>,
}

impl Operators {
    /// `operators` when given (its `DEFAULT`, else `shorthand`, for the types
    /// it does not name), else `shorthand` for every type. Keys must be
    /// `DEFAULT` or a type in `known_types`; operators that need the
    /// redaction key are refused when `has_key` is false.
    pub fn new(
        shorthand: Operator,
        operators: Option<&BTreeMap<String, OperatorSpec>>,
        known_types: &dyn Fn(&str) -> bool,
        has_key: bool,
    ) -> Result<Self, Vec<OperatorError>> {
        let mut errors = Vec::new();
        let mut default = OperatorSpec::from(shorthand);
        let overrides_shorthand = operators.is_some_and(|o| o.contains_key(DEFAULT_KEY));
        if !overrides_shorthand && let Err(e) = default.check(DEFAULT_KEY, has_key) {
            errors.push(OperatorError {
                key: String::new(), // the shorthand `operator` itself
                ..e
            });
        }
        let mut by_type = BTreeMap::new();
        for (key, spec) in operators.into_iter().flatten() {
            if let Err(e) = spec.check(key, has_key) {
                errors.push(e);
            }
            if key == DEFAULT_KEY {
                default = spec.clone();
            } else if known_types(key) {
                by_type.insert(key.clone(), spec.clone());
            } else {
                errors.push(OperatorError {
                    key: key.clone(),
                    parameter: "",
                    reason: "no recognizer reports this type: use DEFAULT or a type GET /entities/models lists (or one of the request's recognizers)".into(),
                });
            }
        }
        if errors.is_empty() {
            Ok(Self { default, by_type })
        } else {
            Err(errors)
        }
    }

    fn of(&self, entity_type: &str) -> &OperatorSpec {
        self.by_type.get(entity_type).unwrap_or(&self.default)
    }

    fn all(&self) -> impl Iterator<Item = &OperatorSpec> {
        std::iter::once(&self.default).chain(self.by_type.values())
    }

    /// The scopes of the pseudonyms this request can write, each once.
    pub fn pseudonym_scopes(&self) -> Vec<PseudonymScope> {
        let mut scopes: Vec<PseudonymScope> = self
            .all()
            .filter_map(|s| match s {
                OperatorSpec::Pseudonym { scope } => Some(*scope),
                _ => None,
            })
            .collect();
        scopes.sort();
        scopes.dedup();
        scopes
    }

    /// Whether any operator needs the deployment's redaction key.
    pub fn needs_key(&self) -> bool {
        self.all().any(OperatorSpec::needs_key)
    }
}

/// Pseudonym numbers of one request, shared by all its texts.
#[derive(Debug, Default)]
pub struct Pseudonyms {
    numbers: HashMap<(String, String), usize>,
    counts: HashMap<String, usize>,
}

fn normalise(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Pseudonyms {
    fn of(&mut self, entity_type: &str, value: &str) -> usize {
        let key = (entity_type.to_owned(), normalise(value));
        if let Some(n) = self.numbers.get(&key) {
            return *n;
        }
        let count = self.counts.entry(entity_type.to_owned()).or_insert(0);
        *count += 1;
        self.numbers.insert(key, *count);
        *count
    }
}

fn hex_digest(algorithm: HashAlgorithm, parts: &[&[u8]], length: usize) -> String {
    let bytes: Vec<u8> = match algorithm {
        HashAlgorithm::Sha256 => {
            let mut h = Sha256::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
        HashAlgorithm::Sha512 => {
            let mut h = Sha512::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
    };
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .chars()
        .take(length)
        .collect()
}

/// What the operators write with: the request's random salt (for `hash`
/// without one), its pseudonym numbers (shared by its texts) and the
/// deployment's redaction key when the request needs it.
pub struct Writer<'a> {
    pub salt: &'a [u8],
    pub pseudonyms: &'a mut Pseudonyms,
    pub key: Option<&'a RedactionKey>,
}

/// `text` with each finding (sorted, non-overlapping) replaced by its type's
/// operator.
pub fn anonymize(
    text: &str,
    findings: &[Finding],
    operators: &Operators,
    writer: &mut Writer,
) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for finding in findings {
        let (start, end) = (finding.start.min(chars.len()), finding.end.min(chars.len()));
        if start < at {
            continue; // not produced by resolve_overlaps; skipped defensively
        }
        out.extend(&chars[at..start]);
        let entity = &chars[start..end];
        match operators.of(&finding.entity_type) {
            OperatorSpec::Mask {
                masking_char,
                chars_to_mask,
                from_end,
            } => {
                let count = chars_to_mask.unwrap_or(entity.len()).min(entity.len());
                let masked_from = if *from_end { entity.len() - count } else { 0 };
                for (i, c) in entity.iter().enumerate() {
                    let masked = (masked_from..masked_from + count).contains(&i);
                    out.push(if masked { *masking_char } else { *c });
                }
            }
            OperatorSpec::Replace { new_value } => match new_value {
                Some(value) => out.push_str(value),
                None => {
                    out.push('<');
                    out.push_str(&finding.entity_type);
                    out.push('>');
                }
            },
            OperatorSpec::Redact => {}
            OperatorSpec::Hash {
                algorithm,
                salt: own_salt,
                length,
            } => {
                let value: String = entity.iter().collect();
                let salt = own_salt.as_ref().map_or(writer.salt, |s| s.as_bytes());
                out.push_str(&hex_digest(
                    *algorithm,
                    &[salt, finding.entity_type.as_bytes(), &[0], value.as_bytes()],
                    length.unwrap_or(16),
                ));
            }
            OperatorSpec::Keep => out.extend(entity),
            OperatorSpec::Pseudonym { scope } => {
                let value: String = entity.iter().collect();
                match (scope, writer.key) {
                    (PseudonymScope::Deployment, Some(key)) => {
                        out.push_str(&key.pseudonym(&finding.entity_type, &normalise(&value)));
                    }
                    // Request scope (Operators::new refuses the deployment
                    // scope when there is no key).
                    _ => {
                        let n = writer.pseudonyms.of(&finding.entity_type, &value);
                        out.push_str(&format!("<{}_{n}>", finding.entity_type));
                    }
                }
            }
            OperatorSpec::Encrypt => match writer.key {
                Some(key) => {
                    let value: String = entity.iter().collect();
                    out.push_str(&key.seal(&finding.entity_type, &value));
                }
                // Operators::new refuses encrypt without a key; never leak the
                // value if that check is ever bypassed.
                None => {
                    out.push('<');
                    out.push_str(&finding.entity_type);
                    out.push('>');
                }
            },
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

    fn all(operator: Operator) -> Operators {
        Operators::new(operator, None, &|_| true, true).unwrap()
    }

    fn write(
        text: &str,
        found: &[Finding],
        operators: &Operators,
        salt: &[u8],
        pseudonyms: &mut Pseudonyms,
    ) -> String {
        let mut writer = Writer {
            salt,
            pseudonyms,
            key: None,
        };
        anonymize(text, found, operators, &mut writer)
    }

    fn run(text: &str, found: &[Finding], operators: &Operators) -> String {
        write(text, found, operators, b"salt", &mut Pseudonyms::default())
    }

    #[test]
    fn shorthand_operators() {
        let text = "Zoë met Zoë";
        let found = [finding(0, 3, "PERSON"), finding(8, 11, "PERSON")];
        assert_eq!(run(text, &found, &all(Operator::Mask)), "XXX met XXX");
        assert_eq!(
            run(text, &found, &all(Operator::Replace)),
            "<PERSON> met <PERSON>"
        );
        assert_eq!(run(text, &found, &all(Operator::Redact)), " met ");
        assert_eq!(run(text, &found, &all(Operator::Keep)), text);
        assert_eq!(
            run(text, &found, &all(Operator::Pseudonym)),
            "<PERSON_1> met <PERSON_1>"
        );
        let hashed = run(text, &found, &all(Operator::Hash));
        let parts: Vec<&str> = hashed.split(" met ").collect();
        assert_eq!(
            parts[0], parts[1],
            "same entity, same digest within a request"
        );
        assert_eq!(parts[0].len(), 16);
        let other = write(
            text,
            &found,
            &all(Operator::Hash),
            b"other",
            &mut Pseudonyms::default(),
        );
        assert_ne!(hashed, other);
    }

    #[test]
    fn an_operator_per_type_with_parameters() {
        let text = "card 4111111111111111 for Jane Doe on 2024-05-01";
        let found = [
            finding(5, 21, "CREDIT_CARD"),
            finding(26, 34, "PERSON"),
            finding(38, 48, "DATE"),
        ];
        let specs: BTreeMap<String, OperatorSpec> = serde_json::from_value(serde_json::json!({
            "DEFAULT": {"type": "replace", "new_value": "[redacted]"},
            "CREDIT_CARD": {"type": "mask", "masking_char": "*", "chars_to_mask": 12, "from_end": false},
            "DATE": {"type": "keep"},
        }))
        .unwrap();
        let operators = Operators::new(Operator::Mask, Some(&specs), &|_| true, true).unwrap();
        assert_eq!(
            run(text, &found, &operators),
            "card ************1111 for [redacted] on 2024-05-01"
        );
    }

    #[test]
    fn masking_from_the_end_and_more_than_the_entity() {
        let specs: BTreeMap<String, OperatorSpec> = serde_json::from_value(serde_json::json!({
            "A": {"type": "mask", "chars_to_mask": 2, "from_end": true},
            "B": {"type": "mask", "masking_char": "#", "chars_to_mask": 99},
        }))
        .unwrap();
        let operators = Operators::new(Operator::Mask, Some(&specs), &|_| true, true).unwrap();
        assert_eq!(
            run(
                "abcd efg",
                &[finding(0, 4, "A"), finding(5, 8, "B")],
                &operators
            ),
            "abXX ###"
        );
    }

    #[test]
    fn pseudonyms_are_shared_across_texts_and_normalised() {
        let operators = all(Operator::Pseudonym);
        let mut shared = Pseudonyms::default();
        let first = write(
            "Jane Doe, Bob",
            &[finding(0, 8, "PERSON"), finding(10, 13, "PERSON")],
            &operators,
            b"",
            &mut shared,
        );
        let second = write(
            "bob and JANE  DOE",
            &[finding(0, 3, "PERSON"), finding(8, 17, "PERSON")],
            &operators,
            b"",
            &mut shared,
        );
        assert_eq!(first, "<PERSON>_1".replace(">_1", "_1>") + ", <PERSON_2>");
        assert_eq!(second, "<PERSON_2> and <PERSON_1>");
    }

    #[test]
    fn salted_hashes_link_across_requests_and_lengths_are_checked() {
        let specs: BTreeMap<String, OperatorSpec> = serde_json::from_value(serde_json::json!({
            "DEFAULT": {"type": "hash", "algorithm": "sha512", "salt": "team-secret", "length": 32},
        }))
        .unwrap();
        let operators = Operators::new(Operator::Mask, Some(&specs), &|_| true, true).unwrap();
        let found = [finding(0, 4, "PERSON")];
        let a = write(
            "Jane",
            &found,
            &operators,
            b"request-1",
            &mut Pseudonyms::default(),
        );
        let b = write(
            "Jane",
            &found,
            &operators,
            b"request-2",
            &mut Pseudonyms::default(),
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);

        let bad: BTreeMap<String, OperatorSpec> = serde_json::from_value(serde_json::json!({
            "PERSON": {"type": "hash", "length": 200},
            "CREDIT_CARD": {"type": "mask", "chars_to_mask": 0},
            "NOT_A_TYPE": {"type": "keep"},
        }))
        .unwrap();
        let errors =
            Operators::new(Operator::Mask, Some(&bad), &|t| t != "NOT_A_TYPE", true).unwrap_err();
        let keys: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.key.as_str(), e.parameter))
            .collect();
        assert_eq!(
            keys,
            [
                ("CREDIT_CARD", "chars_to_mask"),
                ("NOT_A_TYPE", ""),
                ("PERSON", "length")
            ]
        );
    }

    #[test]
    fn keyed_operators_need_the_key_and_round_trip_with_it() {
        let specs: BTreeMap<String, OperatorSpec> = serde_json::from_value(serde_json::json!({
            "PERSON": {"type": "pseudonym", "scope": "deployment"},
            "EMAIL_ADDRESS": {"type": "encrypt"},
        }))
        .unwrap();
        let errors = Operators::new(Operator::Mask, Some(&specs), &|_| true, false).unwrap_err();
        let keys: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.key.as_str(), e.parameter))
            .collect();
        assert_eq!(keys, [("EMAIL_ADDRESS", "type"), ("PERSON", "scope")]);
        let shorthand = Operators::new(Operator::Encrypt, None, &|_| true, false).unwrap_err();
        assert_eq!(shorthand[0].key, "");

        let operators = Operators::new(Operator::Mask, Some(&specs), &|_| true, true).unwrap();
        assert!(operators.needs_key());
        let key: RedactionKey = "an-example-secret-of-at-least-32-characters"
            .parse()
            .unwrap();
        let text = "Jane Doe <jane@example.com>";
        let found = [finding(0, 8, "PERSON"), finding(10, 26, "EMAIL_ADDRESS")];
        let mut pseudonyms = Pseudonyms::default();
        let mut writer = Writer {
            salt: b"",
            pseudonyms: &mut pseudonyms,
            key: Some(&key),
        };
        let first = anonymize(text, &found, &operators, &mut writer);
        let second = anonymize(text, &found, &operators, &mut writer);
        let person = key.pseudonym("PERSON", "jane doe");
        assert!(first.starts_with(&format!("{person} <<enc:EMAIL_ADDRESS:")));
        assert!(!first.contains("jane@"));
        assert_ne!(first, second, "encryption nonces differ");
        let chars: Vec<char> = first.chars().collect();
        let tokens = crate::key::find_tokens(&chars);
        assert_eq!(tokens.len(), 1);
        assert_eq!(
            key.open(&tokens[0].entity_type, &tokens[0].payload)
                .unwrap(),
            "jane@example.com"
        );
    }

    #[test]
    fn parameters_of_another_operator_are_refused() {
        let parsed: Result<BTreeMap<String, OperatorSpec>, _> = serde_json::from_value(
            serde_json::json!({"PERSON": {"type": "replace", "masking_char": "*"}}),
        );
        assert!(parsed.is_err());
    }
}
