//! E-mail addresses, letters and digits of any script (RFC 6531 addresses too),
//! with RFC 5321's length limits: local part at most 64 characters, each
//! domain label at most 63, top-level domain 2 to 24 letters.
//!
//! Why two patterns: written with counted repetitions (`{0,62}`), the pattern
//! repeats its Unicode classes dozens of times and takes about 80 ms to
//! compile, which every cold start paid. `FAST` has the same shape with
//! unbounded repetitions (2 ms) and the limits are checked on what it finds.
//! That gives exactly `BOUNDED`'s matches whenever a candidate is within the
//! limits (both patterns try the same paths in the same order, `FAST` only
//! has more of them), so `BOUNDED` is compiled and asked only after a
//! candidate breaks a limit, which real text hardly ever has.

use std::sync::LazyLock;

use regex::Regex;

use crate::regex;

/// The reference: the limits written into the pattern.
static BOUNDED: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"\b[\p{L}\p{N}](?:[\p{L}\p{N}._%+-]{0,62}[\p{L}\p{N}])?@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}{2,24}\b",
    )
});

/// `BOUNDED` without the counts.
pub(crate) static FAST: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"\b[\p{L}\p{N}](?:[\p{L}\p{N}._%+-]*[\p{L}\p{N}])?@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}\b",
    )
});

const MAX_LOCAL: usize = 64;
const MAX_LABEL: usize = 63;
const MAX_TLD: usize = 24;

/// Whether a match of `FAST` keeps `BOUNDED`'s limits.
fn within_limits(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let mut labels = domain.split('.').rev();
    let tld = labels.next().unwrap_or_default();
    local.chars().count() <= MAX_LOCAL
        && tld.chars().count() <= MAX_TLD
        && labels.all(|label| label.chars().count() <= MAX_LABEL)
}

/// The byte ranges of the e-mail addresses in `text`, as `BOUNDED` finds them.
pub(crate) fn find(text: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(candidate) = FAST.find_at(text, at) {
        let m = if within_limits(candidate.as_str()) {
            candidate
        } else {
            // No BOUNDED match starts before the candidate (FAST would have
            // found it), so the reference resumes from there.
            match BOUNDED.find_at(text, candidate.start()) {
                Some(m) => m,
                None => break,
            }
        };
        found.push((m.start(), m.end()));
        at = m.end();
    }
    found
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn reference(text: &str) -> Vec<(usize, usize)> {
        BOUNDED
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect()
    }

    #[test]
    fn limits_are_kept_where_a_candidate_breaks_them() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let dotted = format!("{}.john@example.com", "b".repeat(70));
        let long_label = format!("x@{}.example.com", "c".repeat(64));
        let long_tld = format!("x@example.{}", "d".repeat(25));
        for text in [long_local, dotted, long_label, long_tld] {
            assert_eq!(find(&text), reference(&text), "{text}");
        }
        // The part after the last dot of an overlong local part is an address.
        let dotted = format!("{}.john@example.com", "b".repeat(70));
        assert_eq!(&dotted[find(&dotted)[0].0..], "john@example.com");
    }

    #[test]
    fn international_addresses() {
        let text = "Schreib an jörg.müller@exämple.de oder 用户@例子.广告, danke.";
        assert_eq!(find(text), reference(text));
        assert_eq!(find(text).len(), 2);
    }

    proptest! {
        /// Text made of the pieces addresses are made of, with runs long
        /// enough to break every limit: the two agree everywhere.
        #[test]
        fn same_matches_as_the_bounded_pattern(
            pieces in prop::collection::vec(
                prop_oneof![
                    "[a-zé1]{1,70}",
                    Just("@".to_owned()),
                    Just(".".to_owned()),
                    Just("-".to_owned()),
                    Just(" ".to_owned()),
                    "[a-z]{20,30}",
                ],
                0..24,
            )
        ) {
            let text = pieces.concat();
            prop_assert_eq!(find(&text), reference(&text));
        }
    }
}
