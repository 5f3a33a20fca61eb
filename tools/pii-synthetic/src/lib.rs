//! A synthetic, labelled personal-data test set and its scoring, for the
//! measured quality that `GET /entities/models` and the model cards report.
//!
//! No public hand-labelled personal-data corpus is on the registries we can
//! reach, so the set is generated: sentences from templates (self-disclosure,
//! requests, letters, support tickets) with values at known offsets. Values are
//! made up but valid where the recognizers check validity (Luhn, mod-97, SSN
//! ranges, numbering plans). Deterministic: a seed fixes the whole set.
//! Synthetic text is easier than real text; the figures say how the service
//! does on these patterns, not on any real distribution.

pub mod national;

/// One labelled span: code-point offsets and the API type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gold {
    pub start: usize,
    pub end: usize,
    pub entity_type: &'static str,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub text: String,
    pub gold: Vec<Gold>,
    /// Code-point spans of values that look like personal data and are not.
    pub look_alikes: Vec<(usize, usize)>,
}

/// SplitMix64: a small, well-known generator, so the set is the same on every
/// machine and Rust version.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    pub(crate) fn digits(&mut self, count: usize) -> String {
        (0..count)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

const GIVEN: &[&str] = &[
    "Sarah", "James", "Maria", "David", "Aisha", "Wei", "Olga", "Carlos", "Emily", "Mohammed",
    "Sofia", "Liam", "Priya", "Noah", "Fatima", "Lucas", "Hannah", "Kenji", "Chloe", "Mateo",
    "Zoë", "José", "Ingrid", "Tomasz", "Amara", "Daniel", "Grace", "Arjun", "Elena", "Samuel",
];
const SURNAME: &[&str] = &[
    "Johnson",
    "Smith",
    "Garcia",
    "Nguyen",
    "Okafor",
    "Chen",
    "Petrova",
    "Rodriguez",
    "Miller",
    "Khan",
    "Rossi",
    "O'Brien",
    "Patel",
    "Kowalski",
    "Haddad",
    "Müller",
    "Tanaka",
    "Dubois",
    "Martínez",
    "Andersen",
    "Williams",
    "Brown",
    "Singh",
    "Cohen",
    "Novak",
];
const STREET: &[&str] = &[
    "Maple Street",
    "Oak Avenue",
    "Elm Road",
    "Cedar Lane",
    "Pine Street",
    "Washington Avenue",
    "Park Road",
    "Highland Drive",
    "Church Street",
    "Mill Lane",
    "Lakeview Drive",
    "King Street",
];
const CITY: &[&str] = &[
    "Springfield",
    "Portland",
    "Boston",
    "Chicago",
    "Denver",
    "Austin",
    "Seattle",
    "Manchester",
    "Leeds",
    "Toronto",
    "Dublin",
    "Sacramento",
];
const DOMAIN: &[&str] = &[
    "example.com",
    "mail.example.org",
    "example.net",
    "corp.example",
];
const AREA: &[&str] = &["212", "415", "617", "312", "303", "206", "512", "646"];

/// (template, slots): `{}` marks each slot in order; a slot names the API type
/// of its value, except `person_lowercase` (a PERSON) and `-` look-alikes.
const TEMPLATES: &[(&str, &[&str])] = &[
    (
        "Hi, my name is {} and my email is {}.",
        &["PERSON", "EMAIL_ADDRESS"],
    ),
    (
        "Please call {} on {} before Friday.",
        &["PERSON", "PHONE_NUMBER"],
    ),
    ("Ship the order to {}, {}.", &["STREET_ADDRESS", "LOCATION"]),
    (
        "My card number is {} and it expires next year.",
        &["CREDIT_CARD"],
    ),
    ("Transfer the deposit to IBAN {} by Monday.", &["IBAN_CODE"]),
    ("The form lists SSN {} for the applicant.", &["US_SSN"]),
    (
        "Logins from {} were blocked; see {} for details.",
        &["IP_ADDRESS", "URL"],
    ),
    ("Dear {}, your appointment is confirmed.", &["PERSON"]),
    (
        "I live at {} with my sister {}.",
        &["STREET_ADDRESS", "PERSON"],
    ),
    (
        "Contact {} or call {} for help.",
        &["EMAIL_ADDRESS", "PHONE_NUMBER"],
    ),
    ("{} moved to {} last spring.", &["PERSON", "LOCATION"]),
    (
        "Refund the charge on {} to {}, please.",
        &["CREDIT_CARD", "PERSON"],
    ),
    (
        "You can reach me, {}, at {} or {}.",
        &["PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS"],
    ),
    (
        "Our office is at {} in {}.",
        &["STREET_ADDRESS", "LOCATION"],
    ),
    ("Nothing personal in this sentence about the weather.", &[]),
    // Harder: lowercase names, and look-alikes that are not personal data
    // (slots starting with `-` are filled but are not gold).
    (
        "hi, i'm {} and i need help with my account",
        &["person_lowercase"],
    ),
    (
        "Order {} shipped on 12 March and arrives in 3 days.",
        &["-ORDER_NUMBER"],
    ),
    (
        "Card {} was declined because the number is invalid.",
        &["-LUHN_INVALID_CARD"],
    ),
    (
        "The meeting is in room {} at 3:30 pm on 2024-05-17.",
        &["-ROOM"],
    ),
    ("Version {} of the app fixed the crash.", &["-VERSION"]),
];

pub(crate) fn luhn_complete(prefix: &str) -> String {
    let mut sum = 0;
    for (i, c) in prefix.chars().rev().enumerate() {
        let mut d = c.to_digit(10).unwrap_or(0);
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    format!("{prefix}{}", (10 - sum % 10) % 10)
}

fn iban_de(bban: &str) -> String {
    // Check digits: 98 - (BBAN + "DE00" as digits) mod 97; D=13, E=14.
    let rearranged = format!("{bban}131400");
    let rest = rearranged.chars().fold(0u64, |acc, c| {
        (acc * 10 + u64::from(c.to_digit(10).unwrap_or(0))) % 97
    });
    let check = 98 - rest;
    let raw = format!("DE{check:02}{bban}");
    raw.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn value(rng: &mut Rng, kind: &str, person: &mut Option<(String, String)>) -> String {
    match kind {
        "person_lowercase" => value(rng, "PERSON", person).to_lowercase(),
        "-ORDER_NUMBER" => format!("{}-{}", rng.digits(4), rng.digits(6)),
        "-LUHN_INVALID_CARD" => {
            let valid = luhn_complete(&format!("4{}", rng.digits(14)));
            let last = valid
                .chars()
                .last()
                .and_then(|c| c.to_digit(10))
                .unwrap_or(0);
            format!("{}{}", &valid[..15], (last + 1) % 10)
        }
        "-ROOM" => format!("{}", 100 + rng.below(800)),
        "-VERSION" => format!("{}.{}.{}", 1 + rng.below(9), rng.below(20), rng.below(50)),
        "PERSON" => {
            let (given, surname) = (rng.pick(GIVEN), rng.pick(SURNAME));
            *person = Some((given.to_owned(), surname.to_owned()));
            format!("{given} {surname}")
        }
        "EMAIL_ADDRESS" => {
            let (given, surname) = person
                .clone()
                .unwrap_or_else(|| (rng.pick(GIVEN).to_owned(), rng.pick(SURNAME).to_owned()));
            let local: String = format!("{given}.{surname}")
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            format!("{local}@{}", rng.pick(DOMAIN))
        }
        "PHONE_NUMBER" => {
            let exchange = 200 + rng.below(700);
            let line = rng.digits(4);
            match rng.below(3) {
                0 => format!("({}) {exchange}-{line}", rng.pick(AREA)),
                1 => format!("+1 {} {exchange} {line}", rng.pick(AREA)),
                _ => format!("+44 20 7946 0{}", rng.digits(3)),
            }
        }
        "STREET_ADDRESS" => format!("{} {}", 1 + rng.below(9899), rng.pick(STREET)),
        "LOCATION" => rng.pick(CITY).to_owned(),
        "CREDIT_CARD" => {
            let number = luhn_complete(&format!("4{}", rng.digits(14)));
            let groups: Vec<&str> = (0..4).map(|i| &number[i * 4..i * 4 + 4]).collect();
            groups.join(if rng.below(2) == 0 { " " } else { "-" })
        }
        "IBAN_CODE" => iban_de(&rng.digits(18)),
        "US_SSN" => {
            let area = loop {
                let a = 1 + rng.below(899);
                if a != 666 {
                    break a;
                }
            };
            format!(
                "{area:03}-{:02}-{:04}",
                1 + rng.below(99),
                1 + rng.below(9999)
            )
        }
        "IP_ADDRESS" => format!(
            "{}.{}.{}.{}",
            11 + rng.below(200),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        ),
        _ => format!(
            "https://www.{}.com/account/{}",
            rng.pick(&["shop", "news", "portal", "travel"]),
            rng.digits(5)
        ),
    }
}

/// The seed and size of the set whose figures the packs record.
pub const RECORDED_SEED: u64 = 20_261_129;
pub const RECORDED_CASES: usize = 800;

/// How many sentence templates the set cycles through.
pub const TEMPLATE_COUNT: usize = TEMPLATES.len();

/// `count` cases from `seed`.
pub fn cases(seed: u64, count: usize) -> Vec<Case> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|i| {
            let (template, slots) = TEMPLATES[i % TEMPLATES.len()];
            let mut text = String::new();
            let mut gold = Vec::new();
            let mut look_alikes = Vec::new();
            let mut person = None;
            let mut pieces = template.split("{}");
            text.push_str(pieces.next().unwrap_or_default());
            for (slot, rest) in slots.iter().zip(pieces) {
                let start = text.chars().count();
                text.push_str(&value(&mut rng, slot, &mut person));
                let entity_type = match *slot {
                    "person_lowercase" => Some("PERSON"),
                    look_alike if look_alike.starts_with('-') => None,
                    kind => Some(kind),
                };
                let end = text.chars().count();
                match entity_type {
                    Some(entity_type) => gold.push(Gold {
                        start,
                        end,
                        entity_type,
                    }),
                    None => look_alikes.push((start, end)),
                }
                text.push_str(rest);
            }
            Case {
                text,
                gold,
                look_alikes,
            }
        })
        .collect()
}

/// A finding to score: offsets and API type.
#[derive(Debug, Clone)]
pub struct Predicted {
    pub start: usize,
    pub end: usize,
    pub entity_type: String,
}

/// Per gold type: exact span + type matches, and how many gold spans were
/// fully covered by some finding of any type (what redaction needs).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct TypeScore {
    pub support: usize,
    pub predicted: usize,
    pub exact: usize,
    pub covered: usize,
}

impl TypeScore {
    pub fn precision(&self) -> f64 {
        ratio(self.exact, self.predicted)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.exact, self.support)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    /// Share of gold spans whose every character some finding covers.
    pub fn redacted(&self) -> f64 {
        ratio(self.covered, self.support)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Scores predictions against gold, by gold type (predictions of a type the
/// set has no gold for count against that type's precision only).
pub fn score(
    cases: &[Case],
    predictions: &[Vec<Predicted>],
) -> std::collections::BTreeMap<String, TypeScore> {
    let mut by_type: std::collections::BTreeMap<String, TypeScore> = Default::default();
    for (case, found) in cases.iter().zip(predictions) {
        for gold in &case.gold {
            let entry = by_type.entry(gold.entity_type.to_owned()).or_default();
            entry.support += 1;
            if found.iter().any(|p| {
                p.start == gold.start && p.end == gold.end && p.entity_type == gold.entity_type
            }) {
                entry.exact += 1;
            }
            if (gold.start..gold.end).all(|i| found.iter().any(|p| p.start <= i && i < p.end)) {
                entry.covered += 1;
            }
        }
        for p in found {
            by_type.entry(p.entity_type.clone()).or_default().predicted += 1;
        }
    }
    by_type
}

/// Ordinary characters (not whitespace, outside every gold span) and how
/// many of them some finding covers: what redaction takes from a reader
/// that was not personal data.
pub fn ordinary_masked(cases: &[Case], predictions: &[Vec<Predicted>]) -> (usize, usize) {
    let (mut masked, mut ordinary) = (0, 0);
    for (case, found) in cases.iter().zip(predictions) {
        for (i, c) in case.text.chars().enumerate() {
            if c.is_whitespace() || case.gold.iter().any(|g| g.start <= i && i < g.end) {
                continue;
            }
            ordinary += 1;
            if found.iter().any(|p| p.start <= i && i < p.end) {
                masked += 1;
            }
        }
    }
    (masked, ordinary)
}

/// Scores as a markdown table, one row per type.
pub fn table(scores: &std::collections::BTreeMap<String, TypeScore>) -> String {
    let mut out = String::from(
        "| type | gold spans | found (exact span and type) | precision | recall | F1 | redacted |\n|---|---|---|---|---|---|---|\n",
    );
    for (kind, s) in scores {
        if s.support == 0 {
            out.push_str(&format!(
                "| {kind} (no gold) | 0 | {} predicted | - | - | - | - |\n",
                s.predicted
            ));
            continue;
        }
        out.push_str(&format!(
            "| {kind} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            s.support,
            s.exact,
            s.precision(),
            s.recall(),
            s.f1(),
            s.redacted()
        ));
    }
    out
}

/// Look-alikes (values that are not personal data) that some finding
/// touches, and how many look-alikes there are.
pub fn look_alikes_masked(cases: &[Case], predictions: &[Vec<Predicted>]) -> (usize, usize) {
    let (mut masked, mut total) = (0, 0);
    for (case, found) in cases.iter().zip(predictions) {
        for &(start, end) in &case.look_alikes {
            total += 1;
            if found.iter().any(|p| p.start < end && start < p.end) {
                masked += 1;
            }
        }
    }
    (masked, total)
}

/// A pack's own predictions on the cases, scored. A failing model fails the
/// measurement rather than scoring as if it had found nothing.
pub fn measure_pack(
    pack: &token_classifier::TokenClassifier,
    cases: &[Case],
) -> Result<std::collections::BTreeMap<String, TypeScore>, token_classifier::ClassifyError> {
    let predictions = cases
        .iter()
        .map(|case| {
            Ok(pack
                .classify(&case.text)?
                .into_iter()
                .map(|s| Predicted {
                    start: s.start,
                    end: s.end,
                    entity_type: s.entity_type,
                })
                .collect())
        })
        .collect::<Result<Vec<Vec<Predicted>>, _>>()?;
    Ok(score(cases, &predictions))
}

/// The `quality` member of a pack's config.json: F1 and redaction per type,
/// rounded to 3 places, for the types the set has gold for.
pub fn quality_json(
    scores: &std::collections::BTreeMap<String, TypeScore>,
    seed: u64,
    cases: usize,
) -> serde_json::Value {
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let per_type: serde_json::Map<String, serde_json::Value> = scores
        .iter()
        .filter(|(_, s)| s.support > 0)
        .map(|(kind, s)| {
            (
                kind.clone(),
                serde_json::json!({
                    "support": s.support,
                    "precision": round(s.precision()),
                    "recall": round(s.recall()),
                    "f1": round(s.f1()),
                    "redacted": round(s.redacted()),
                }),
            )
        })
        .collect();
    serde_json::json!({
        "dataset": format!("synthetic personal-data sentences, seed {seed}, {cases} cases (tools/pii-synthetic/src/lib.rs); see QUALITY.md"),
        "metric": "exact span + type (precision, recall, f1); share of gold spans fully masked (redacted)",
        "per_type": per_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_are_valid_where_recognizers_check() {
        for case in cases(7, 300) {
            let chars: Vec<char> = case.text.chars().collect();
            for gold in &case.gold {
                let value: String = chars[gold.start..gold.end].iter().collect();
                match gold.entity_type {
                    "CREDIT_CARD" => {
                        let digits: Vec<u8> = value
                            .bytes()
                            .filter(u8::is_ascii_digit)
                            .map(|b| b - b'0')
                            .collect();
                        assert!(pii_patterns::luhn(&digits), "{value}");
                    }
                    "IBAN_CODE" => assert!(pii_patterns::valid_iban(&value), "{value}"),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn the_set_is_fixed_by_its_seed() {
        let a: Vec<String> = cases(1, 40).into_iter().map(|c| c.text).collect();
        let b: Vec<String> = cases(1, 40).into_iter().map(|c| c.text).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn scoring_counts_exact_and_covered() {
        let case = Case {
            text: "ab cd".into(),
            gold: vec![Gold {
                start: 0,
                end: 5,
                entity_type: "PERSON",
            }],
            look_alikes: vec![],
        };
        let found = vec![
            Predicted {
                start: 0,
                end: 2,
                entity_type: "PERSON".into(),
            },
            Predicted {
                start: 2,
                end: 5,
                entity_type: "LOCATION".into(),
            },
        ];
        let scores = score(&[case], &[found]);
        assert_eq!(scores["PERSON"].exact, 0);
        assert_eq!(scores["PERSON"].covered, 1);
        assert_eq!(scores["PERSON"].predicted, 1);
        assert_eq!(scores["LOCATION"].predicted, 1);
    }

    #[test]
    fn ordinary_characters_exclude_gold_and_whitespace() {
        let case = Case {
            text: "ab cd ef".into(),
            gold: vec![Gold {
                start: 3,
                end: 5,
                entity_type: "PERSON",
            }],
            look_alikes: vec![],
        };
        let found = vec![Predicted {
            start: 0,
            end: 5,
            entity_type: "PERSON".into(),
        }];
        // "ab" and "ef" are ordinary; "ab" is masked.
        assert_eq!(ordinary_masked(&[case], &[found]), (2, 4));
    }
}
