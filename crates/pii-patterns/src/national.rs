//! National identifiers, each with its country's own check: a check letter or
//! digit (mod 23, mod 11, mod 97, Luhn, Verhoeff, ISO 7064), valid dates and
//! allocation rules.
//!
//! Some of them are bare digit runs whose only evidence is one check digit: a
//! random 9-digit number passes Luhn one time in ten. Those recognizers have
//! `context_required`: a candidate is reported only when one of its context
//! words is near it (the rule is in [`crate::context`]). Identifiers with
//! letters in fixed places, or a two-digit key, are distinctive enough alone;
//! their context words only raise the score.

use std::sync::LazyLock;

use regex::Regex;

/// A national identifier recognizer: how candidates are found and checked.
pub(crate) struct National {
    pub name: &'static str,
    pub entity_type: &'static str,
    pub country: &'static str,
    pub validation: &'static str,
    pub score: f32,
    pub context: &'static [&'static str],
    pub context_required: bool,
    pub candidate: &'static LazyLock<Regex>,
    /// The check: the candidate's text in, whether it is valid out.
    pub valid: fn(&str) -> bool,
}

static UK_NINO: LazyLock<Regex> = LazyLock::new(|| {
    crate::regex(r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-D]\b")
});
static UK_NHS: LazyLock<Regex> = LazyLock::new(|| crate::regex(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"));
static ES_NIF: LazyLock<Regex> = LazyLock::new(|| crate::regex(r"\b\d{8}[ -]?[A-Z]\b"));
static ES_NIE: LazyLock<Regex> = LazyLock::new(|| crate::regex(r"\b[XYZ][ -]?\d{7}[ -]?[A-Z]\b"));
static IT_FISCAL: LazyLock<Regex> = LazyLock::new(|| {
    crate::regex(r"\b[A-Z]{6}[0-9LMNP-V]{2}[ABCDEHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]\b")
});
static FR_NIR: LazyLock<Regex> = LazyLock::new(|| {
    crate::regex(r"\b[1-478] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b")
});
static DE_TAX: LazyLock<Regex> =
    LazyLock::new(|| crate::regex(r"\b[1-9]\d[ ]?\d{3}[ ]?\d{3}[ ]?\d{3}\b"));
static NINE_DIGITS: LazyLock<Regex> =
    LazyLock::new(|| crate::regex(r"\b\d{3}[ -]?\d{3}[ -]?\d{3}\b"));
static AU_TFN: LazyLock<Regex> = LazyLock::new(|| crate::regex(r"\b\d{3}[ -]?\d{3}[ -]?\d{2,3}\b"));
// Surname (5, padded with 9), decade, month (+50 for women), day, year,
// initials (padded with 9), a digit, two check characters.
static UK_DRIVING: LazyLock<Regex> = LazyLock::new(|| {
    crate::regex(r"\b[A-Z][A-Z9]{4}\d[0156]\d[0-3]\d\d[A-Z][A-Z9]\d[A-Z0-9]{2}\b")
});
static IN_AADHAAR: LazyLock<Regex> =
    LazyLock::new(|| crate::regex(r"\b[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}\b"));

pub(crate) static RECOGNIZERS: &[National] = &[
    National {
        name: "uk_nino",
        entity_type: "UK_NINO",
        country: "GB",
        validation: "HMRC prefix and suffix rules (no check digit exists)",
        score: 0.85,
        context: &["national insurance", "nino", "ni number", "ni no"],
        context_required: false,
        candidate: &UK_NINO,
        valid: valid_uk_nino,
    },
    National {
        name: "uk_nhs",
        entity_type: "UK_NHS",
        country: "GB",
        validation: "mod 11 check digit",
        score: 0.5,
        context: &[
            "nhs", "health", "patient", "hospital", "medical", "gp", "clinic", "chi",
        ],
        context_required: true,
        candidate: &UK_NHS,
        valid: valid_uk_nhs,
    },
    National {
        name: "uk_driving_licence",
        entity_type: "UK_DRIVING_LICENCE",
        country: "GB",
        validation: "DVLA layout: surname letters padded with 9, a birth month (+50 for women) and a day that exist, initials padded with 9 (the two check characters are not published)",
        score: 0.85,
        context: &[
            "driving licence",
            "driving license",
            "driver's licence",
            "driver licence",
            "licence number",
            "licence no",
            "dvla",
        ],
        context_required: false,
        candidate: &UK_DRIVING,
        valid: valid_uk_driving_licence,
    },
    National {
        name: "es_nif",
        entity_type: "ES_NIF",
        country: "ES",
        validation: "mod 23 check letter",
        score: 0.9,
        context: &["dni", "nif", "documento", "identidad", "identity"],
        context_required: false,
        candidate: &ES_NIF,
        valid: valid_es_nif,
    },
    National {
        name: "es_nie",
        entity_type: "ES_NIE",
        country: "ES",
        validation: "mod 23 check letter",
        score: 0.9,
        context: &["nie", "extranjero", "foreigner", "identidad", "identity"],
        context_required: false,
        candidate: &ES_NIE,
        valid: valid_es_nie,
    },
    National {
        name: "it_fiscal_code",
        entity_type: "IT_FISCAL_CODE",
        country: "IT",
        validation: "check letter (odd/even tables), month letter and day",
        score: 1.0,
        context: &["codice fiscale", "fiscal code", "cf"],
        context_required: false,
        candidate: &IT_FISCAL,
        valid: valid_it_fiscal_code,
    },
    National {
        name: "fr_nir",
        entity_type: "FR_NIR",
        country: "FR",
        validation: "mod 97 key, month and Corsican departments",
        score: 0.95,
        context: &[
            "sécurité sociale",
            "securite sociale",
            "nir",
            "insee",
            "social security",
            "numéro de sécu",
        ],
        context_required: false,
        candidate: &FR_NIR,
        valid: valid_fr_nir,
    },
    National {
        name: "de_tax_id",
        entity_type: "DE_TAX_ID",
        country: "DE",
        validation: "ISO 7064 MOD 11,10 check digit and digit repetition rule",
        score: 0.5,
        context: &[
            "steuer",
            "steuer-id",
            "steueridentifikationsnummer",
            "identifikationsnummer",
            "idnr",
            "steuernummer",
            "tax id",
            "tax identification",
            "tin",
        ],
        context_required: true,
        candidate: &DE_TAX,
        valid: valid_de_tax_id,
    },
    National {
        name: "ca_sin",
        entity_type: "CA_SIN",
        country: "CA",
        validation: "Luhn check digit, province digit",
        score: 0.5,
        context: &[
            "sin",
            "social insurance",
            "insurance number",
            "nas",
            "assurance sociale",
        ],
        context_required: true,
        candidate: &NINE_DIGITS,
        valid: valid_ca_sin,
    },
    National {
        name: "in_aadhaar",
        entity_type: "IN_AADHAAR",
        country: "IN",
        validation: "Verhoeff check digit",
        score: 0.5,
        context: &["aadhaar", "aadhar", "adhaar", "uidai", "uid"],
        context_required: true,
        candidate: &IN_AADHAAR,
        valid: valid_in_aadhaar,
    },
    National {
        name: "au_tfn",
        entity_type: "AU_TFN",
        country: "AU",
        validation: "weighted mod 11 check",
        score: 0.5,
        context: &["tfn", "tax file"],
        context_required: true,
        candidate: &AU_TFN,
        valid: valid_au_tfn,
    },
];

/// The digits of `text` when its separators are consistent: none, or the
/// same one (a space or a dash) everywhere there is one. "123 456-789" is
/// two numbers written carelessly, or none.
fn consistent_digits(text: &str) -> Option<Vec<u8>> {
    let mut separator = None;
    let mut digits = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '0'..='9' => digits.push(c as u8 - b'0'),
            ' ' | '-' => match separator {
                None => separator = Some(c),
                Some(s) if s == c => {}
                Some(_) => return None,
            },
            _ => return None,
        }
    }
    Some(digits)
}

/// Letters, digits; spaces and dashes dropped.
fn compact(text: &str) -> String {
    text.chars().filter(|c| *c != ' ' && *c != '-').collect()
}

/// Two prefix letters (D, F, I, Q, U and V never; O not second; a few pairs
/// never allocated), six digits, a suffix A to D.
pub fn valid_uk_nino(text: &str) -> bool {
    let code = compact(text);
    let separators = text.len() - code.len();
    if !code.is_ascii() || code.len() != 9 || (separators != 0 && separators != 4) {
        return false;
    }
    !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(&&code[..2])
}

/// Ten digits; weights 10 to 2 on the first nine, and 11 minus the sum mod 11
/// is the tenth (11 counts as 0; 10 is never issued).
pub fn valid_uk_nhs(text: &str) -> bool {
    let Some(digits) = consistent_digits(text) else {
        return false;
    };
    if digits.len() != 10 {
        return false;
    }
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    check == u32::from(digits[9])
}

/// `text` as bytes when it is `len` ASCII capitals and digits.
fn capitals_and_digits(text: &str, len: usize) -> Option<&[u8]> {
    let code = text.as_bytes();
    (code.len() == len
        && code
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()))
    .then_some(code)
}

/// The two decimal digits at `at` as a number, if both are digits.
pub(crate) fn two_digits(code: &[u8], at: usize) -> Option<u32> {
    let tens = char::from(*code.get(at)?).to_digit(10)?;
    let units = char::from(*code.get(at + 1)?).to_digit(10)?;
    Some(tens * 10 + units)
}

/// Sixteen characters of a DVLA driving licence number: the surname's first
/// five letters (a short surname padded with 9, never a letter after a 9),
/// the decade digit of the birth year, the birth month (51-62 for women),
/// the day (which must exist in that month; 29 February is allowed), the
/// year digit, two initials (the second may be 9), a digit and two check
/// characters, whose rule the DVLA does not publish.
pub fn valid_uk_driving_licence(text: &str) -> bool {
    let Some(code) = capitals_and_digits(text, 16) else {
        return false;
    };
    let surname = &code[..5];
    let padding = surname.iter().position(|&c| c == b'9').unwrap_or(5);
    if padding == 0
        || !surname[..padding].iter().all(u8::is_ascii_uppercase)
        || !surname[padding..].iter().all(|&c| c == b'9')
    {
        return false;
    }
    let (Some(month), Some(day)) = (two_digits(code, 6), two_digits(code, 8)) else {
        return false;
    };
    let month = if month > 50 { month - 50 } else { month };
    let longest = match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return false,
    };
    let initials_ok =
        code[11].is_ascii_uppercase() && (code[12].is_ascii_uppercase() || code[12] == b'9');
    (1..=longest).contains(&day)
        && code[5].is_ascii_digit()
        && code[10].is_ascii_digit()
        && initials_ok
        && code[13].is_ascii_digit()
}

const MOD_23_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

fn mod_23_letter(number: u32) -> u8 {
    MOD_23_LETTERS[(number % 23) as usize]
}

/// Eight digits and the letter of their value mod 23 (Spanish DNI/NIF).
pub fn valid_es_nif(text: &str) -> bool {
    let code = compact(text);
    if !code.is_ascii() || code.len() != 9 {
        return false;
    }
    let (number, letter) = code.split_at(8);
    number.bytes().all(|b| b.is_ascii_digit())
        && number
            .parse::<u32>()
            .is_ok_and(|n| letter.as_bytes() == [mod_23_letter(n)])
}

/// X, Y or Z (read as 0, 1, 2), seven digits and the mod 23 letter.
pub fn valid_es_nie(text: &str) -> bool {
    let code = compact(text);
    if !code.is_ascii() {
        return false;
    }
    let Some(first) = code.chars().next() else {
        return false;
    };
    let lead = match first {
        'X' => '0',
        'Y' => '1',
        'Z' => '2',
        _ => return false,
    };
    let rest = &code[1..];
    if rest.len() != 8 {
        return false;
    }
    let (digits, letter) = rest.split_at(7);
    digits.bytes().all(|b| b.is_ascii_digit())
        && format!("{lead}{digits}")
            .parse::<u32>()
            .is_ok_and(|n| letter.as_bytes() == [mod_23_letter(n)])
}

/// Values of the odd-placed characters of a codice fiscale, for 0-9 then A-Z.
const CF_ODD: [u32; 36] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, // 0-9
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
    23, // A-Z
];

/// The digit an omocodia letter (L..V) stands for, where a digit belongs.
fn omocodia_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        _ => b"LMNPQRSTUV".iter().position(|&l| l == c).map(|p| p as u8),
    }
}

/// Sixteen characters: surname and name letters, year, month letter, day (41
/// to 71 for women), place, check letter from the odd/even tables. Digits may
/// be replaced by letters L..V (omocodia) where two people would collide.
pub fn valid_it_fiscal_code(text: &str) -> bool {
    let Some(code) = capitals_and_digits(text, 16) else {
        return false;
    };
    let day = match (omocodia_digit(code[9]), omocodia_digit(code[10])) {
        (Some(tens), Some(units)) => tens * 10 + units,
        _ => return false,
    };
    if !(1..=31).contains(&day) && !(41..=71).contains(&day) {
        return false;
    }
    let sum: u32 = code[..15]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let index = if c.is_ascii_digit() {
                (c - b'0') as usize
            } else {
                (c - b'A') as usize + 10
            };
            if i % 2 == 0 {
                CF_ODD[index]
            } else if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - b'A')
            }
        })
        .sum();
    code[15] == b'A' + (sum % 26) as u8
}

/// Sex, year, month (01-12, or 20-42 and 50-99 where the month is unknown),
/// department (2A and 2B for Corsica count as 19 and 18 in the key), commune,
/// order number, and a key: 97 minus the 13-digit number mod 97.
pub fn valid_fr_nir(text: &str) -> bool {
    let code = compact(text);
    if !code.is_ascii() || code.len() != 15 {
        return false;
    }
    let month: u32 = code[3..5].parse().unwrap_or(0);
    if !matches!(month, 1..=12 | 20..=42 | 50..=99) {
        return false;
    }
    let body = match &code[5..7] {
        "2A" => format!("{}19{}", &code[..5], &code[7..13]),
        "2B" => format!("{}18{}", &code[..5], &code[7..13]),
        _ => code[..13].to_owned(),
    };
    let (Ok(number), Ok(key)) = (body.parse::<u64>(), code[13..].parse::<u64>()) else {
        return false;
    };
    (1..=97).contains(&key) && key == 97 - number % 97
}

/// Eleven digits, the first not 0. In the first ten, one digit appears twice
/// or three times (never three in a row) and the others at most once; the
/// eleventh is the ISO 7064 MOD 11,10 check digit.
pub fn valid_de_tax_id(text: &str) -> bool {
    let Some(digits) = consistent_digits(text) else {
        return false;
    };
    if digits.len() != 11 || digits[0] == 0 {
        return false;
    }
    let mut counts = [0u8; 10];
    for &d in &digits[..10] {
        counts[d as usize] += 1;
    }
    let repeated: Vec<usize> = (0..10).filter(|&d| counts[d] > 1).collect();
    let [digit] = repeated[..] else {
        return false;
    };
    if counts[digit] > 3 {
        return false;
    }
    if counts[digit] == 3
        && digits[..10]
            .windows(3)
            .any(|w| w.iter().all(|&d| d as usize == digit))
    {
        return false;
    }
    iso7064_mod11_10(&digits[..10]) == digits[10]
}

/// The ISO 7064 MOD 11,10 check digit of `digits` (each 0 to 9).
pub fn iso7064_mod11_10(digits: &[u8]) -> u8 {
    let mut product = 10u32;
    for &d in digits {
        let mut sum = (u32::from(d) + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    match 11 - product {
        10 => 0,
        c => c as u8,
    }
}

/// Nine digits with a Luhn digit; the first is never 0 or 8 (0 is unused, 8
/// is for business numbers).
pub fn valid_ca_sin(text: &str) -> bool {
    consistent_digits(text).is_some_and(|digits| {
        digits.len() == 9 && digits[0] != 0 && digits[0] != 8 && crate::luhn(&digits)
    })
}

/// Twelve digits, the first 2 to 9, the last a Verhoeff check digit.
pub fn valid_in_aadhaar(text: &str) -> bool {
    consistent_digits(text)
        .is_some_and(|digits| digits.len() == 12 && digits[0] >= 2 && verhoeff(&digits))
}

/// Nine digits (eight for older numbers) whose weighted sum is divisible by 11.
pub fn valid_au_tfn(text: &str) -> bool {
    let Some(digits) = consistent_digits(text) else {
        return false;
    };
    let weights: &[u32] = match digits.len() {
        9 => &[1, 4, 3, 7, 5, 8, 6, 9, 10],
        8 => &[10, 7, 8, 4, 6, 3, 5, 1],
        _ => return false,
    };
    let sum: u32 = digits
        .iter()
        .zip(weights)
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    sum.is_multiple_of(11) && digits.iter().any(|&d| d != 0)
}

/// The Verhoeff check over all digits, the check digit last.
pub fn verhoeff(digits: &[u8]) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 8, 7, 6, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let mut check = 0u8;
    for (i, &d) in digits.iter().rev().enumerate() {
        if d > 9 {
            return false;
        }
        check = D[check as usize][P[i % 8][d as usize] as usize];
    }
    check == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(valid: fn(&str) -> bool, good: &[&str], bad: &[&str]) {
        for g in good {
            assert!(valid(g), "{g:?} should be valid");
        }
        for b in bad {
            assert!(!valid(b), "{b:?} should be invalid");
        }
    }

    #[test]
    fn uk_nino() {
        check(
            valid_uk_nino,
            &["AB123456C", "AB 12 34 56 C", "JG 10 38 05 D"],
            &["GB123456A", "AB 123456 C", "NK123456A"],
        );
    }

    #[test]
    fn uk_nhs() {
        // 943 476 5919 is the NHS's own published example.
        check(
            valid_uk_nhs,
            &["943 476 5919", "9434765919", "943-476-5919"],
            &["943 476 5918", "943 476-5919", "1234567890"],
        );
    }

    #[test]
    fn uk_driving_licence() {
        // MORGA753116SM9IJ is the DVLA's own example (Sarah Meredyth Morgan,
        // born 11 March 1976).
        check(
            valid_uk_driving_licence,
            &["MORGA753116SM9IJ", "LI999802290J99AB", "SMITH810316JA9XY"],
            &[
                "MORGA713116SM9IJ", // month 13
                "MORGA753336SM9IJ", // 33 March
                "SMITH804316JA9XY", // 31 April
                "MO9GA753116SM9IJ", // a letter after the padding
                "9ORGA753116SM9IJ",
                "MORGA753116SM9I", // 15 characters
                "morga753116sm9ij",
            ],
        );
    }

    #[test]
    fn spanish_dni_and_nie() {
        check(
            valid_es_nif,
            &["12345678Z", "12345678-Z", "00000000T"],
            &["12345678A", "1234567Z"],
        );
        check(
            valid_es_nie,
            &["X1234567L", "Y1234567X", "Z-1234567-R"],
            &["X1234567A", "W1234567L"],
        );
    }

    #[test]
    fn italian_fiscal_code() {
        check(
            valid_it_fiscal_code,
            &["RSSMRA85T10A562S", "RSSMRA85T50A562W", "RSSMRA85T10A56NH"],
            &["RSSMRA85T10A562T", "RSSMRA85T32A562S", "rssmra85t10a562s"],
        );
    }

    #[test]
    fn french_nir() {
        check(
            valid_fr_nir,
            &[
                "2 55 08 14 168 025 38",
                "255081416802538",
                "1 85 05 78 006 084 91",
            ],
            &[
                "2 55 08 14 168 025 39",
                "2 55 13 14 168 025 38",
                "255081416802500",
            ],
        );
        // Corsica: 2A counts as 19 in the key.
        let body = "1850519006084";
        let key = 97 - body.parse::<u64>().unwrap() % 97;
        assert!(valid_fr_nir(&format!("18505 2A 006084{key:02}")));
    }

    #[test]
    fn german_tax_id() {
        check(
            valid_de_tax_id,
            &[
                "86095742719",
                "65929970489",
                "47036892816",
                "86 095 742 719",
            ],
            &[
                "86095742718",
                "12345679998", // 9 three times in a row
                "01234567890", // leading 0
                "12345678903", // no digit repeated
            ],
        );
    }

    #[test]
    fn canadian_sin() {
        check(
            valid_ca_sin,
            &["130 692 544", "274-938-216", "562718403"],
            // 046 454 286 is the government's example: 0 marks it fictitious.
            &["130 692 545", "046 454 286", "830 692 547", "130 692-544"],
        );
    }

    #[test]
    fn aadhaar_verhoeff() {
        assert!(verhoeff(&[2, 3, 6, 3]));
        assert!(!verhoeff(&[2, 3, 6, 4]));
        check(
            valid_in_aadhaar,
            &["2345 6789 0124", "234567890124", "4991 8704 3608"],
            &["2345 6789 0125", "1345 6789 0124", "2345-6789 0124"],
        );
    }

    #[test]
    fn australian_tfn() {
        check(
            valid_au_tfn,
            &["123 456 782", "876 543 210", "123456782"],
            &["123 456 783", "000 000 000", "123 456-782"],
        );
    }
}
