//! Passports by their machine-readable zone (ICAO Doc 9303, part 4: the TD3
//! format of passport data pages).
//!
//! Why only the MRZ: passport numbers alone have no check digit in any
//! country we know of (a US or UK passport number is nine digits and
//! nothing more), so a bare number cannot be told from an order number. The
//! MRZ's second line carries four check digits (document number, date of
//! birth, date of expiry, and a composite over all three), which a random
//! 44-character line passes about once in 10,000 times, on top of its fixed
//! layout. The first line (document code `P`, issuing state, the holder's
//! name) is taken with it when it is directly above.

use std::sync::LazyLock;

use regex::Regex;

/// The second line, optionally with the first line just above it.
pub(crate) static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    crate::regex(concat!(
        r"(?:\bP[A-Z<]{43}[ \t]*\r?\n[ \t]*)?",
        r"\b[A-Z0-9][A-Z0-9<]{8}\d[A-Z<]{3}\d{7}[MFX<]\d{7}[A-Z0-9<]{14}[0-9<]\d\b",
    ))
});

/// The value ICAO 9303 gives a character: digits as themselves, `A`-`Z` as
/// 10-35, the filler `<` as 0.
fn value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        b'<' => Some(0),
        _ => None,
    }
}

/// The check digit of `field`: weights 7, 3, 1 repeating, sum mod 10.
pub fn check_digit(field: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    for (i, &c) in field.iter().enumerate() {
        sum += value(c)? * [7, 3, 1][i % 3];
    }
    u8::try_from(sum % 10).ok()
}

/// Does `check` (a digit, or `<` standing for 0 where the field is empty)
/// match `field`?
fn checks(field: &[u8], check: u8) -> bool {
    let expected = check_digit(field);
    match check {
        b'0'..=b'9' => expected == Some(check - b'0'),
        b'<' => expected == Some(0) && field.iter().all(|&c| c == b'<'),
        _ => false,
    }
}

/// YYMMDD with a month 01-12 and a day 01-31.
fn plausible_date(date: &[u8]) -> bool {
    use crate::national::two_digits;
    matches!(
        (two_digits(date, 2), two_digits(date, 4)),
        (Some(1..=12), Some(1..=31))
    )
}

/// A TD3 second line (44 characters), with or without the first line and
/// the line break above it: the four check digits and two dates hold.
pub fn valid_td3(text: &str) -> bool {
    let Some(line) = text.split_whitespace().last() else {
        return false;
    };
    let line = line.as_bytes();
    if line.len() != 44 {
        return false;
    }
    let document = &line[0..10];
    let birth = &line[13..20];
    let expiry = &line[21..28];
    let personal = &line[28..43];
    let composite: Vec<u8> = [document, birth, expiry, personal].concat();
    checks(&document[..9], document[9])
        && checks(&birth[..6], birth[6])
        && checks(&expiry[..6], expiry[6])
        && checks(&personal[..14], personal[14])
        && checks(&composite, line[43])
        && plausible_date(&birth[..6])
        && plausible_date(&expiry[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ICAO 9303's own specimen (Anna Maria Eriksson of Utopia).
    const SPECIMEN_1: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
    const SPECIMEN_2: &str = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";

    #[test]
    fn the_specimen_passes_every_check() {
        assert_eq!(check_digit(b"L898902C3"), Some(6));
        assert_eq!(check_digit(b"740812"), Some(2));
        assert_eq!(check_digit(b"120415"), Some(9));
        assert!(valid_td3(SPECIMEN_2));
        assert!(valid_td3(&format!("{SPECIMEN_1}\n{SPECIMEN_2}")));
    }

    #[test]
    fn any_wrong_check_digit_or_date_fails() {
        let line = SPECIMEN_2.as_bytes();
        for at in [9, 19, 27, 43] {
            let mut bad = line.to_vec();
            bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
            assert!(!valid_td3(std::str::from_utf8(&bad).unwrap()), "{at}");
        }
        // A changed document number breaks its check and the composite.
        assert!(!valid_td3("L898903C36UTO7408122F1204159ZE184226B<<<<<10"));
        assert!(!valid_td3("too short"));
        assert!(!valid_td3(""));
    }

    #[test]
    fn an_empty_personal_number_may_have_a_filler_check() {
        // Personal number all fillers, its check `<`; composite recomputed.
        let head = "L898902C36UTO7408122F1204159<<<<<<<<<<<<<<<";
        let composite: Vec<u8> = [
            &head.as_bytes()[0..10],
            &head.as_bytes()[13..20],
            &head.as_bytes()[21..43],
        ]
        .concat();
        let line = format!("{head}{}", check_digit(&composite).unwrap());
        assert!(valid_td3(&line), "{line}");
    }

    #[test]
    fn found_in_text_with_the_name_line() {
        let text = format!("Scan:\n{SPECIMEN_1}\n{SPECIMEN_2}\nthanks");
        let m = CANDIDATE.find(&text).unwrap();
        assert_eq!(m.as_str(), format!("{SPECIMEN_1}\n{SPECIMEN_2}"));
        let alone = format!("line two {SPECIMEN_2}.");
        assert_eq!(CANDIDATE.find(&alone).unwrap().as_str(), SPECIMEN_2);
    }
}
