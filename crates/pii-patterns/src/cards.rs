//! Payment cards: a run of 12 to 19 digits (single spaces or dashes between
//! them allowed) is a card when its Luhn digit is right and its leading
//! digits and length are those of a card network.

use std::{ops::RangeInclusive, sync::LazyLock};

use regex::Regex;

pub(crate) static CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| crate::regex(r"\b(?:\d[ -]?){11,18}\d\b"));

/// One network's issuer identification numbers: a range over the first
/// `digits` digits, and the lengths its cards have.
struct Issuer {
    network: &'static str,
    digits: u32,
    range: RangeInclusive<u32>,
    lengths: RangeInclusive<usize>,
}

const fn issuer(
    network: &'static str,
    digits: u32,
    range: RangeInclusive<u32>,
    lengths: RangeInclusive<usize>,
) -> Issuer {
    Issuer {
        network,
        digits,
        range,
        lengths,
    }
}

/// The networks' published ranges and lengths (ISO/IEC 7812 IINs as the
/// networks document them). Visa issues 13 to 19 digits; Maestro 12 to 19.
const ISSUERS: &[Issuer] = &[
    issuer("visa", 1, 4..=4, 13..=19),
    issuer("mastercard", 2, 51..=55, 16..=16),
    issuer("mastercard", 4, 2221..=2720, 16..=16),
    issuer("amex", 2, 34..=34, 15..=15),
    issuer("amex", 2, 37..=37, 15..=15),
    issuer("discover", 4, 6011..=6011, 16..=19),
    issuer("discover", 3, 644..=649, 16..=19),
    issuer("discover", 2, 65..=65, 16..=19),
    issuer("jcb", 4, 3528..=3589, 16..=19),
    issuer("diners", 3, 300..=305, 14..=19),
    issuer("diners", 4, 3095..=3095, 14..=19),
    issuer("diners", 2, 36..=36, 14..=19),
    issuer("diners", 2, 38..=39, 16..=19),
    issuer("unionpay", 2, 62..=62, 16..=19),
    issuer("unionpay", 2, 81..=81, 16..=19),
    issuer("mir", 4, 2200..=2204, 16..=19),
    issuer("maestro", 2, 50..=50, 12..=19),
    issuer("maestro", 2, 56..=69, 12..=19),
    issuer("rupay", 2, 60..=60, 16..=16),
    issuer("rupay", 3, 508..=508, 16..=16),
];

/// The network of a card number (its digits), when one issues numbers with
/// these leading digits and this length. The first table entry that fits
/// wins, so the more specific ranges come before Maestro's broad one.
pub fn network(digits: &[u8]) -> Option<&'static str> {
    ISSUERS
        .iter()
        .find(|issuer| {
            issuer.lengths.contains(&digits.len())
                && digits.len() >= issuer.digits as usize
                && issuer.range.contains(&leading(digits, issuer.digits))
        })
        .map(|issuer| issuer.network)
}

fn leading(digits: &[u8], count: u32) -> u32 {
    digits
        .iter()
        .take(count as usize)
        .fold(0, |acc, d| acc * 10 + u32::from(*d))
}

/// The Luhn checksum of a card number.
pub fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A card number: Luhn-valid and issued by a known network.
pub fn valid_card(digits: &[u8]) -> bool {
    luhn(digits) && network(digits).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(number: &str) -> Vec<u8> {
        number
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect()
    }

    /// `prefix` padded with zeros to `length - 1` digits, then the Luhn digit.
    fn card(prefix: &str, length: usize) -> Vec<u8> {
        let mut number = digits(prefix);
        number.resize(length - 1, 0);
        let check = (0..10)
            .find(|d| {
                let mut n = number.clone();
                n.push(*d);
                luhn(&n)
            })
            .unwrap();
        number.push(check);
        number
    }

    #[test]
    fn published_test_numbers_are_cards_of_their_network() {
        for (number, network_name) in [
            ("4111 1111 1111 1111", "visa"),
            ("4222222222222", "visa"),
            ("5555 5555 5555 4444", "mastercard"),
            ("2221 0000 0000 0009", "mastercard"),
            ("2720 9900 0000 0007", "mastercard"),
            ("3782 822463 10005", "amex"),
            ("3714 496353 98431", "amex"),
            ("3056 930902 5904", "diners"),
            ("3622 720627 1667", "diners"),
            ("6011 1111 1111 1117", "discover"),
            ("6011 0009 9013 9424", "discover"),
            ("3530 1113 3330 0000", "jcb"),
            ("3566 0020 2036 0505", "jcb"),
            ("6200 0000 0000 0005", "unionpay"),
            ("6759 6498 2643 8453", "maestro"),
            ("2200 0000 0000 0004", "mir"),
        ] {
            let d = digits(number);
            assert!(luhn(&d), "{number} should pass Luhn");
            assert_eq!(network(&d), Some(network_name), "{number}");
        }
    }

    #[test]
    fn every_network_length_is_accepted_and_others_refused() {
        for (prefix, lengths, network_name) in [
            ("4", 13..=19, "visa"),
            ("50", 12..=19, "maestro"),
            ("6759", 12..=15, "maestro"),
            ("3528", 16..=19, "jcb"),
            ("62", 16..=19, "unionpay"),
            ("2221", 16..=16, "mastercard"),
            ("34", 15..=15, "amex"),
            ("36", 14..=19, "diners"),
        ] {
            for length in lengths {
                let number = card(prefix, length);
                assert!(valid_card(&number), "{prefix} x{length}");
                assert_eq!(network(&number), Some(network_name), "{prefix} x{length}");
            }
        }
        for (prefix, length) in [
            ("4", 12),
            ("2221", 15),
            ("2221", 17),
            ("34", 16),
            ("37", 14),
            ("3528", 15),
        ] {
            assert!(!valid_card(&card(prefix, length)), "{prefix} x{length}");
        }
    }

    #[test]
    fn luhn_invalid_and_unissued_numbers_are_not_cards() {
        assert!(!valid_card(&digits("4111 1111 1111 1112")));
        // Luhn-valid, but no network issues numbers starting with 9 or 1.
        assert!(!valid_card(&card("9", 16)));
        assert!(!valid_card(&card("1", 16)));
        assert!(!valid_card(&card("7", 16)));
    }
}
