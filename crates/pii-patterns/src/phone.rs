//! Phone numbers as people write them: an optional international prefix
//! (`+44`, `0044`), an optional trunk `(0)`, groups of digits split by
//! spaces, dots, dashes or parentheses, and an optional extension (`x12`,
//! `ext. 12`, `extension 12`, `#12`). A candidate counts when libphonenumber's
//! rules say the number is valid, not merely shaped like one.

use std::sync::LazyLock;

use regex::Regex;

use crate::phone_metadata;

pub(crate) static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    crate::regex(concat!(
        r"(?:(?:\+|\b00)\d{1,3}[\s.-]?)?",
        r"(?:\(0\)[\s.-]?)?",
        r"(?:\(\d{1,5}\)[\s.-]?|\b\d{1,5}[\s.-]?)",
        r"(?:\d{1,5}[\s.-]?){1,5}\d{1,5}\b",
        r"(?:\s?(?:x|ext\.?|extension|#)\s?\d{1,6}\b)?",
    ))
});

/// Digits a phone number may have (E.164 allows 15, plus an extension).
const DIGITS: std::ops::RangeInclusive<usize> = 7..=21;

/// The number's span within `candidate` (byte offsets) when some suffix of
/// it, starting at a digit group, is a valid number. Shorter suffixes are
/// tried because the pattern is greedy: "in 2024 (415) 555-2671" first
/// matches from "2024".
pub fn valid_within(candidate: &str) -> Option<usize> {
    let mut start = 0;
    loop {
        let rest = &candidate[start..];
        if valid_phone(rest) {
            return Some(start);
        }
        // The next group starts after the next separator.
        let next = rest
            .char_indices()
            .skip_while(|(_, c)| !is_separator(*c))
            .find(|(_, c)| !is_separator(*c))?
            .0;
        start += next;
        if candidate[start..]
            .chars()
            .filter(char::is_ascii_digit)
            .count()
            < *DIGITS.start()
        {
            return None;
        }
    }
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '-' | '(' | ')')
}

/// A number valid under libphonenumber's rules: international numbers
/// (`+` or `00` and a country code) by their country, others as US numbers.
pub fn valid_phone(candidate: &str) -> bool {
    let digits = candidate.chars().filter(char::is_ascii_digit).count();
    if !DIGITS.contains(&digits) {
        return false;
    }
    let trimmed = candidate.trim_start();
    // libphonenumber reads `00` as the international prefix only where the
    // default region dials it, and keeps the trunk `(0)` as a digit.
    let normalised = match trimmed.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => trimmed.to_owned(),
    };
    let normalised = if normalised.starts_with('+') {
        normalised.replacen("(0)", "", 1)
    } else {
        normalised
    };
    let (code, region) = match normalised.strip_prefix('+') {
        Some(rest) => {
            let digits: String = rest
                .chars()
                .take_while(char::is_ascii_digit)
                .take(3)
                .collect();
            let Some(code) = phone_metadata::leading_code(&digits) else {
                return false;
            };
            (code, None)
        }
        None => (1, Some(phonenumber::country::Id::US)),
    };
    let Some(database) = phone_metadata::database(code) else {
        return false;
    };
    phonenumber::parse_with(&database, region, &normalised)
        .is_ok_and(|number| phonenumber::is_valid_with(&database, &number))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The library's own verdict with its full default database, after the
    /// same digit count check and normalisation (`+` numbers only here).
    fn reference(candidate: &str) -> bool {
        let digits = candidate.chars().filter(char::is_ascii_digit).count();
        DIGITS.contains(&digits)
            && phonenumber::parse(None, candidate).is_ok_and(|n| phonenumber::is_valid(&n))
    }

    /// Every `<exampleNumber>` of every territory, with its calling code.
    fn examples() -> Vec<(u16, String)> {
        phone_metadata::territories()
            .flat_map(|(code, territory)| {
                territory
                    .split("<exampleNumber>")
                    .skip(1)
                    .map(move |piece| {
                        (code, piece.split('<').next().unwrap_or_default().to_owned())
                    })
            })
            .collect()
    }

    #[test]
    fn same_verdicts_as_the_full_database() {
        let examples = examples();
        assert!(examples.len() > 1000, "{} examples", examples.len());
        let (mut valid, mut checked) = (0, 0);
        for (code, number) in &examples {
            let last = number
                .chars()
                .last()
                .and_then(|c| c.to_digit(10))
                .unwrap_or(0);
            let variants = [
                number.clone(),
                format!("{}{}", &number[..number.len() - 1], (last + 1) % 10),
                number[..number.len() - 1].to_owned(),
                format!("{number}5"),
                format!("9{number}"),
            ];
            for variant in variants {
                let candidate = format!("+{code} {variant}");
                let expected = reference(&candidate);
                assert_eq!(valid_phone(&candidate), expected, "{candidate}");
                valid += usize::from(expected);
                checked += 1;
            }
        }
        // The comparison is not trivial: both verdicts occur often.
        assert!(
            valid > checked / 5 && valid < checked * 4 / 5,
            "{valid} of {checked}"
        );
        for (code, number) in examples.iter().filter(|(code, _)| *code == 1) {
            let national = phonenumber::parse(Some(phonenumber::country::Id::US), number)
                .is_ok_and(|n| phonenumber::is_valid(&n));
            assert_eq!(valid_phone(number), national, "{code} {number}");
        }
    }
}
