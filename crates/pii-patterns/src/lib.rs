//! Pattern recognizers for personal data. Each finds candidates with a regular
//! expression and keeps only those that pass the format's own check (a
//! checksum, a numbering plan, valid ranges), so "4111 1111 1111 1112" is not a
//! card and "000-12-3456" is not a social security number.
//!
//! National identifiers ([`national`]) carry their country; a caller may run
//! only some countries' ([`find`]). Request-defined deny lists and patterns
//! are in [`custom`], the context-word rule in [`context`].
//!
//! Offsets are Unicode code points.

use std::{
    net::{Ipv4Addr, Ipv6Addr},
    sync::LazyLock,
};

use regex::Regex;

mod cards;
pub mod context;
pub mod custom;
mod email;
pub mod mrz;
pub mod national;
mod phone;
mod phone_metadata;

pub use cards::{luhn, network as card_network, valid_card};
pub use phone::valid_phone;

/// A validated match.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub start: usize,
    pub end: usize,
    pub entity_type: &'static str,
    /// The final score: `raw_score`, raised when a context word is near.
    pub score: f32,
    pub recognizer: &'static str,
    /// The check the candidate passed, in words (`Luhn check digit, ...`).
    pub validation: &'static str,
    /// The recognizer's score before context.
    pub raw_score: f32,
    /// The context entry found near the match, if any.
    pub context: Option<&'static str>,
}

/// A built-in recognizer, as `GET /entities/models` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognizer {
    pub name: &'static str,
    pub entity_type: &'static str,
    /// ISO 3166 alpha-2 country of a national identifier; `None` for
    /// recognizers of every country.
    pub country: Option<&'static str>,
    pub validation: &'static str,
    pub score: f32,
    pub context: &'static [&'static str],
    /// Reported only with a context word near (see [`context`]).
    pub context_required: bool,
}

const fn global(
    name: &'static str,
    entity_type: &'static str,
    validation: &'static str,
    score: f32,
) -> Recognizer {
    Recognizer {
        name,
        entity_type,
        country: None,
        validation,
        score,
        context: &[],
        context_required: false,
    }
}

const EMAIL: Recognizer = global(
    "email_pattern",
    "EMAIL_ADDRESS",
    "RFC 5321 length limits, a dotted domain with a 2-24 letter top level",
    1.0,
);
const URL: Recognizer = global(
    "url_pattern",
    "URL",
    "parses as a URL with a dotted host",
    0.85,
);
const CARD: Recognizer = global(
    "credit_card_luhn",
    "CREDIT_CARD",
    "Luhn check digit, issuer range and length",
    1.0,
);
const IBAN_RECOGNIZER: Recognizer = global(
    "iban_mod97",
    "IBAN_CODE",
    "ISO 7064 mod 97 and the country's length",
    1.0,
);
const US_SSN: Recognizer = Recognizer {
    country: Some("US"),
    ..global(
        "us_ssn_ranges",
        "US_SSN",
        "area, group and serial ranges; advertised numbers excluded",
        0.85,
    )
};
const IPV4_RECOGNIZER: Recognizer = global("ipv4", "IP_ADDRESS", "parses as an IPv4 address", 0.95);
const IPV6_RECOGNIZER: Recognizer = global("ipv6", "IP_ADDRESS", "parses as an IPv6 address", 0.95);
const PASSPORT_MRZ: Recognizer = global(
    "passport_mrz",
    "PASSPORT",
    "ICAO 9303 TD3 machine-readable zone: document number, birth date, expiry and composite check digits, valid dates",
    1.0,
);
const PHONE: Recognizer = global(
    "phone_libphonenumber",
    "PHONE_NUMBER",
    "libphonenumber numbering plan of the calling code (US by default)",
    0.75,
);

/// Every built-in recognizer: the global ones, then the national identifiers.
pub fn recognizers() -> Vec<Recognizer> {
    let mut all = vec![
        EMAIL,
        URL,
        CARD,
        IBAN_RECOGNIZER,
        US_SSN,
        IPV4_RECOGNIZER,
        IPV6_RECOGNIZER,
        PASSPORT_MRZ,
        PHONE,
    ];
    all.extend(national::RECOGNIZERS.iter().map(|n| Recognizer {
        name: n.name,
        entity_type: n.entity_type,
        country: Some(n.country),
        validation: n.validation,
        score: n.score,
        context: n.context,
        context_required: n.context_required,
    }));
    all
}

/// The countries whose identifiers are recognised, sorted.
pub fn countries() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = recognizers().iter().filter_map(|r| r.country).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// Entity types these recognizers report.
pub fn entity_types() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = recognizers().iter().map(|r| r.entity_type).collect();
    all.dedup();
    all
}

pub(crate) fn regex(pattern: &str) -> Regex {
    // The patterns are constants covered by the tests below.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

static URL_RE: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(?i)\b(?:https?://|www\.)[^\s<>"'`{}|\\^]+"#));
static IBAN: LazyLock<Regex> = LazyLock::new(|| regex(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"));
static SSN: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(\d{3})([- ])(\d{2})([- ])(\d{4})\b"));
static IPV4: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"));
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?")
});

/// Runs every recognizer over `text`: [`find`] for all countries.
pub fn find_all(text: &str) -> Vec<Match> {
    find(text, None)
}

/// Runs the global recognizers and the national ones of `countries` (ISO
/// 3166 alpha-2; `None` for all) over `text`. Matches may overlap each other
/// (a URL containing an e-mail address, say); the caller resolves overlaps.
pub fn find(text: &str, countries: Option<&[&str]>) -> Vec<Match> {
    let runs = |country: &str| countries.is_none_or(|list| list.contains(&country));
    let chars = CharIndex::new(text);
    let mut found = Vec::new();
    let mut add = |start: usize, end: usize, recognizer: &Recognizer| {
        found.push(Match {
            start: chars.at(start),
            end: chars.at(end),
            entity_type: recognizer.entity_type,
            score: recognizer.score,
            recognizer: recognizer.name,
            validation: recognizer.validation,
            raw_score: recognizer.score,
            context: None,
        });
    };
    for (start, end) in email::find(text) {
        add(start, end, &EMAIL);
    }
    for m in URL_RE.find_iter(text) {
        let trimmed = m
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '\'', '"']);
        let candidate = if trimmed.to_ascii_lowercase().starts_with("www.") {
            format!("http://{trimmed}")
        } else {
            trimmed.to_owned()
        };
        if url::Url::parse(&candidate).is_ok_and(|u| u.host_str().is_some_and(|h| h.contains('.')))
        {
            add(m.start(), m.start() + trimmed.len(), &URL);
        }
    }
    for m in cards::CANDIDATE.find_iter(text) {
        let digits: Vec<u8> = m
            .as_str()
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        if valid_card(&digits) {
            add(m.start(), m.end(), &CARD);
        }
    }
    for m in IBAN.find_iter(text) {
        if valid_iban(m.as_str()) {
            add(m.start(), m.end(), &IBAN_RECOGNIZER);
        }
    }
    for c in SSN.captures_iter(text).filter(|_| runs("US")) {
        let (Some(all), Some(area), Some(sep1), Some(group), Some(sep2), Some(serial)) =
            (c.get(0), c.get(1), c.get(2), c.get(3), c.get(4), c.get(5))
        else {
            continue;
        };
        if sep1.as_str() == sep2.as_str()
            && valid_ssn(area.as_str(), group.as_str(), serial.as_str())
        {
            add(all.start(), all.end(), &US_SSN);
        }
    }
    for m in IPV4.find_iter(text) {
        let bounded = !text[m.end()..].starts_with(|c: char| {
            c == '.' && text[m.end() + 1..].starts_with(|d: char| d.is_ascii_digit())
        });
        if bounded && m.as_str().parse::<Ipv4Addr>().is_ok() {
            add(m.start(), m.end(), &IPV4_RECOGNIZER);
        }
    }
    for m in IPV6.find_iter(text) {
        let candidate = m.as_str();
        let colons = candidate.matches(':').count();
        let before_ok = text[..m.start()]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_hexdigit() && c != ':');
        if colons >= 2 && before_ok && candidate.parse::<Ipv6Addr>().is_ok() {
            add(m.start(), m.end(), &IPV6_RECOGNIZER);
        }
    }
    for m in mrz::CANDIDATE.find_iter(text) {
        if mrz::valid_td3(m.as_str()) {
            add(m.start(), m.end(), &PASSPORT_MRZ);
        }
    }
    for m in phone::CANDIDATE.find_iter(text) {
        // Digits glued to letters or other digits are part of something else.
        let glued = text[..m.start()]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric())
            || text[m.end()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric());
        if glued {
            continue;
        }
        if let Some(offset) = phone::valid_within(m.as_str()) {
            add(m.start() + offset, m.end(), &PHONE);
        }
    }
    for recognizer in national::RECOGNIZERS.iter().filter(|r| runs(r.country)) {
        for m in recognizer.candidate.find_iter(text) {
            if !(recognizer.valid)(m.as_str()) {
                continue;
            }
            let words = context::Context::new(recognizer.context);
            let entry = words
                .near(text, m.start(), m.end())
                .and_then(|found| recognizer.context.iter().find(|e| **e == found));
            if recognizer.context_required && entry.is_none() {
                continue;
            }
            found.push(Match {
                start: chars.at(m.start()),
                end: chars.at(m.end()),
                entity_type: recognizer.entity_type,
                score: if entry.is_some() {
                    context::boosted(recognizer.score)
                } else {
                    recognizer.score
                },
                recognizer: recognizer.name,
                validation: recognizer.validation,
                raw_score: recognizer.score,
                context: entry.copied(),
            });
        }
    }
    found.sort_by_key(|m| (m.start, m.end));
    found
}

/// Byte offset -> code point offset, for one text.
#[derive(Debug)]
pub(crate) struct CharIndex {
    /// Code point index of every byte offset that starts a character (and the end).
    by_byte: Vec<usize>,
}

impl CharIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut by_byte = vec![0; text.len() + 1];
        let mut count = 0;
        for (byte, c) in text.char_indices() {
            for slot in &mut by_byte[byte..byte + c.len_utf8()] {
                *slot = count;
            }
            count += 1;
        }
        by_byte[text.len()] = count;
        Self { by_byte }
    }

    pub(crate) fn at(&self, byte: usize) -> usize {
        self.by_byte[byte.min(self.by_byte.len() - 1)]
    }
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// Country length and the ISO 7064 mod-97 check.
pub fn valid_iban(candidate: &str) -> bool {
    let compact: String = candidate.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(&(_, length)) = IBAN_LENGTHS
        .iter()
        .find(|(country, _)| compact.starts_with(country))
    else {
        return false;
    };
    if compact.len() != length {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut remainder: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// Area 001-899 except 666, group 01-99, serial 0001-9999; and not the
/// numbers used in advertising (078-05-1120, 219-09-9999).
pub fn valid_ssn(area: &str, group: &str, serial: &str) -> bool {
    let (Ok(a), Ok(g), Ok(s)) = (
        area.parse::<u32>(),
        group.parse::<u32>(),
        serial.parse::<u32>(),
    ) else {
        return false;
    };
    let advertised = (a, g, s) == (78, 5, 1120) || (a, g, s) == (219, 9, 9999);
    (1..900).contains(&a) && a != 666 && g != 0 && s != 0 && !advertised
}

/// Does now what the first request would otherwise pay for: compiling the
/// patterns and loading libphonenumber's metadata (the slow part).
pub fn warm_up() {
    for pattern in [
        &email::FAST,
        &URL_RE,
        &cards::CANDIDATE,
        &IBAN,
        &SSN,
        &IPV4,
        &IPV6,
        &mrz::CANDIDATE,
        &phone::CANDIDATE,
    ] {
        LazyLock::force(pattern);
    }
    for recognizer in national::RECOGNIZERS {
        LazyLock::force(recognizer.candidate);
    }
    // The metadata of the default region's calling code (the others build
    // when a number of theirs first appears: see phone_metadata).
    valid_phone("415 555 2671");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(String, &'static str)> {
        let chars: Vec<char> = text.chars().collect();
        find_all(text)
            .into_iter()
            .map(|m| (chars[m.start..m.end].iter().collect(), m.entity_type))
            .collect()
    }

    fn finds(text: &str, what: &str, kind: &str) {
        let all = found(text);
        assert!(
            all.iter().any(|(t, k)| t == what && *k == kind),
            "{text:?}: expected {what:?} as {kind}, got {all:?}"
        );
    }

    fn misses(text: &str, kind: &str) {
        let all = found(text);
        assert!(
            !all.iter().any(|(_, k)| *k == kind),
            "{text:?}: expected no {kind}, got {all:?}"
        );
    }

    #[test]
    fn emails() {
        finds(
            "write to jane.doe+news@example.co.uk today",
            "jane.doe+news@example.co.uk",
            "EMAIL_ADDRESS",
        );
        misses(
            "not an address: jane@localhost or @example.com",
            "EMAIL_ADDRESS",
        );
    }

    #[test]
    fn phones_are_validated_not_just_shaped() {
        finds("Call (415) 555-2671 now", "(415) 555-2671", "PHONE_NUMBER");
        finds("Ring +44 20 7946 0958.", "+44 20 7946 0958", "PHONE_NUMBER");
        finds("Büro: +49 30 901820", "+49 30 901820", "PHONE_NUMBER");
        misses("Order 123-456-7890 shipped", "PHONE_NUMBER"); // area code 123 does not exist
        misses("version 1.2.3.4", "PHONE_NUMBER");
    }

    #[test]
    fn phones_in_the_formats_people_write() {
        for (text, number) in [
            ("Call 415.555.2671 today", "415.555.2671"),
            ("Call 415 555 2671 today", "415 555 2671"),
            ("Call (415)555-2671 today", "(415)555-2671"),
            ("Call 1-415-555-2671 today", "1-415-555-2671"),
            ("Call +1 (415) 555-2671 today", "+1 (415) 555-2671"),
            ("Call (415) 555-2671 x1159 today", "(415) 555-2671 x1159"),
            ("Call 415-555-2671 ext. 42 today", "415-555-2671 ext. 42"),
            (
                "Call 415-555-2671 extension 42 today",
                "415-555-2671 extension 42",
            ),
            ("Call +44 (0) 20 7946 0958 today", "+44 (0) 20 7946 0958"),
            ("Call +44(0)20 7946 0958 today", "+44(0)20 7946 0958"),
            ("Call 0044 20 7946 0958 today", "0044 20 7946 0958"),
            ("Appelez le +33 1 42 68 53 00 demain", "+33 1 42 68 53 00"),
            ("Llame al +34 912 345 678 hoy", "+34 912 345 678"),
            ("Ring +61 2 9374 4000 now", "+61 2 9374 4000"),
            ("Ring +91 98765 43210 now", "+91 98765 43210"),
            ("in 2024 (415) 555-2671 was her number", "(415) 555-2671"),
        ] {
            finds(text, number, "PHONE_NUMBER");
        }
    }

    #[test]
    fn number_runs_that_are_not_phones() {
        for text in [
            "Order 1234-567890 shipped",
            "It cost 1,234,567 dollars",
            "Dated 2024-05-17 at 10.30",
            "Call 555 now",
        ] {
            misses(text, "PHONE_NUMBER");
        }
    }

    #[test]
    fn cards_need_luhn_and_an_issuer() {
        finds(
            "card 4111 1111 1111 1111 exp",
            "4111 1111 1111 1111",
            "CREDIT_CARD",
        );
        finds("amex 378282246310005.", "378282246310005", "CREDIT_CARD");
        misses("card 4111 1111 1111 1112", "CREDIT_CARD");
        misses("id 9999999999999995", "CREDIT_CARD"); // Luhn-valid, no issuer
        finds(
            "maestro 6759 6498 2643 8453",
            "6759 6498 2643 8453",
            "CREDIT_CARD",
        );
        finds(
            "unionpay 6200000000000005",
            "6200000000000005",
            "CREDIT_CARD",
        );
        finds(
            "jcb 3530-1113-3330-0000.",
            "3530-1113-3330-0000",
            "CREDIT_CARD",
        );
        finds("diners 3056 930902 5904", "3056 930902 5904", "CREDIT_CARD");
        finds(
            "mc 2221 0000 0000 0009",
            "2221 0000 0000 0009",
            "CREDIT_CARD",
        );
    }

    #[test]
    fn ibans_need_mod_97_and_the_country_length() {
        finds(
            "IBAN GB82 WEST 1234 5698 7654 32 please",
            "GB82 WEST 1234 5698 7654 32",
            "IBAN_CODE",
        );
        finds(
            "DE89370400440532013000",
            "DE89370400440532013000",
            "IBAN_CODE",
        );
        misses("GB82 WEST 1234 5698 7654 33", "IBAN_CODE");
        misses("DE8937040044053201300", "IBAN_CODE");
    }

    #[test]
    fn ssns_need_valid_ranges() {
        finds("SSN 536-22-1234.", "536-22-1234", "US_SSN");
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "912-12-3456",
            "536-00-1234",
            "536-22-0000",
            "536-22 1234",
            "078-05-1120",
        ] {
            misses(bad, "US_SSN");
        }
    }

    #[test]
    fn ip_addresses() {
        finds("from 192.168.10.1 at noon", "192.168.10.1", "IP_ADDRESS");
        finds(
            "host 2001:db8::8a2e:370:7334 up",
            "2001:db8::8a2e:370:7334",
            "IP_ADDRESS",
        );
        finds("loopback ::1", "::1", "IP_ADDRESS");
        misses("version 999.1.1.1", "IP_ADDRESS");
        misses("at 10:30 or 12:15:00", "IP_ADDRESS");
    }

    #[test]
    fn urls() {
        finds(
            "see https://example.com/a?b=c.",
            "https://example.com/a?b=c",
            "URL",
        );
        finds("(www.example.org)", "www.example.org", "URL");
        misses("https://localhost is local", "URL");
    }

    #[test]
    fn offsets_are_code_points() {
        let text = "Zoë 😀 mail zoë@example.com";
        let m = find_all(text)
            .into_iter()
            .find(|m| m.entity_type == "EMAIL_ADDRESS")
            .unwrap();
        let chars: Vec<char> = text.chars().collect();
        let got: String = chars[m.start..m.end].iter().collect();
        assert!(got.ends_with("@example.com"), "{got}");
    }

    #[test]
    fn national_identifiers_in_text() {
        for (text, value, kind) in [
            ("NI number AB 12 34 56 C.", "AB 12 34 56 C", "UK_NINO"),
            ("My NHS number is 943 476 5919", "943 476 5919", "UK_NHS"),
            ("DNI 12345678Z", "12345678Z", "ES_NIF"),
            ("NIE: X1234567L", "X1234567L", "ES_NIE"),
            (
                "codice fiscale RSSMRA85T10A562S",
                "RSSMRA85T10A562S",
                "IT_FISCAL_CODE",
            ),
            (
                "numéro de sécurité sociale 2 55 08 14 168 025 38",
                "2 55 08 14 168 025 38",
                "FR_NIR",
            ),
            ("Steuer-ID: 86095742719", "86095742719", "DE_TAX_ID"),
            ("SIN 130 692 544", "130 692 544", "CA_SIN"),
            ("Aadhaar no. 2345 6789 0124", "2345 6789 0124", "IN_AADHAAR"),
            ("my TFN is 123 456 782", "123 456 782", "AU_TFN"),
            (
                "Driving licence MORGA753116SM9IJ 35",
                "MORGA753116SM9IJ",
                "UK_DRIVING_LICENCE",
            ),
            (
                "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10\n",
                "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10",
                "PASSPORT",
            ),
        ] {
            finds(text, value, kind);
        }
    }

    #[test]
    fn national_look_alikes_stay_unfound() {
        for (text, kind) in [
            ("NI number GB 12 34 56 C.", "UK_NINO"),
            ("My NHS number is 943 476 5918", "UK_NHS"),
            ("Order 943 476 5919 shipped", "UK_NHS"), // valid, but no context
            ("DNI 12345678A", "ES_NIF"),
            ("codice fiscale RSSMRA85T10A562T", "IT_FISCAL_CODE"),
            ("sécurité sociale 2 55 08 14 168 025 39", "FR_NIR"),
            ("Steuer-ID: 86095742718", "DE_TAX_ID"),
            ("SIN 130 692 545", "CA_SIN"),
            ("Aadhaar no. 2345 6789 0125", "IN_AADHAAR"),
            ("TFN 123 456 783", "AU_TFN"),
            ("invoice 123 456 782", "AU_TFN"),
            ("licence MORGA713116SM9IJ", "UK_DRIVING_LICENCE"),
            ("L898902C36UTO7408122F1204159ZE184226B<<<<<11", "PASSPORT"),
        ] {
            misses(text, kind);
        }
    }

    #[test]
    fn countries_choose_the_national_recognizers() {
        let text = "NHS 943 476 5919, DNI 12345678Z, SSN 536-22-1234, mail a@example.com";
        // The NHS number is shaped like a US phone number too: the caller's
        // overlap rule picks one (the boosted NHS score is higher).
        let kinds = |countries: Option<&[&str]>| -> Vec<&str> {
            find(text, countries)
                .iter()
                .map(|m| m.entity_type)
                .filter(|t| *t != "PHONE_NUMBER")
                .collect()
        };
        assert_eq!(kinds(Some(&["GB"])), ["UK_NHS", "EMAIL_ADDRESS"]);
        assert_eq!(
            kinds(Some(&["ES", "US"])),
            ["ES_NIF", "US_SSN", "EMAIL_ADDRESS"]
        );
        assert_eq!(kinds(None), ["UK_NHS", "ES_NIF", "US_SSN", "EMAIL_ADDRESS"]);
        assert!(countries().contains(&"IN") && countries().contains(&"US"));
    }

    #[test]
    fn context_raises_the_score_and_is_reported() {
        let with = find("National Insurance: AB 12 34 56 C", None);
        let without = find("ref AB 12 34 56 C", None);
        assert_eq!(with[0].context, Some("national insurance"));
        assert!((with[0].raw_score - 0.85).abs() < 1e-6 && (with[0].score - 1.0).abs() < 1e-6);
        assert_eq!(without[0].context, None);
        assert!((without[0].score - 0.85).abs() < 1e-6);
        assert!(with[0].validation.contains("HMRC"));
    }

    #[test]
    fn every_recognizer_is_listed_once() {
        let all = recognizers();
        let mut names: Vec<&str> = all.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert!(entity_types().contains(&"IT_FISCAL_CODE"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_spans_are_in_bounds(text in "\\PC{0,200}") {
            let count = text.chars().count();
            for m in find_all(&text) {
                proptest::prop_assert!(m.start < m.end && m.end <= count);
            }
        }

        #[test]
        fn checks_never_panic(text in "\\PC{0,24}") {
            for valid in [
                national::valid_uk_nino,
                national::valid_uk_nhs,
                national::valid_es_nif,
                national::valid_es_nie,
                national::valid_it_fiscal_code,
                national::valid_fr_nir,
                national::valid_de_tax_id,
                national::valid_ca_sin,
                national::valid_in_aadhaar,
                national::valid_au_tfn,
                national::valid_uk_driving_licence,
                mrz::valid_td3,
            ] {
                let _ = valid(&text);
            }
        }
    }
}
