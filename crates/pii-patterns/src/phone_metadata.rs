//! libphonenumber's metadata, built one country calling code at a time.
//!
//! The `phonenumber` crate's default database checks the syntax of every
//! pattern of all 254 territories when first used: 51 ms of a cold start on
//! one core, though a text's numbers come from a handful of countries. This
//! module keeps the same metadata (the XML the crate builds its database
//! from, vendored at the same release: `data/PhoneNumberMetadata.xml`,
//! Apache-2.0, The Libphonenumber Authors) and builds a database of only the
//! territories that share a calling code, the first time a number with that
//! code is checked. Validation is the library's own (`parse_with`,
//! `is_valid_with`); the test `same_verdicts_as_the_full_database` checks
//! it agrees with the default database on every example number of every
//! territory and on broken variants of them.

use std::{
    collections::HashMap,
    sync::{Arc, LazyLock, Mutex},
};

use phonenumber::metadata::Database;

/// libphonenumber 9.0.33, as shipped by phonenumber 0.3.10+9.0.33 (pinned).
static XML: &str = include_str!("../data/PhoneNumberMetadata.xml");

/// Byte ranges of each `<territory ...>...</territory>` element, by code.
static TERRITORIES: LazyLock<HashMap<u16, Vec<(usize, usize)>>> = LazyLock::new(|| {
    let mut by_code: HashMap<u16, Vec<(usize, usize)>> = HashMap::new();
    let mut from = 0;
    while let Some(found) = XML[from..].find("<territory ") {
        let start = from + found;
        let Some(length) = XML[start..].find("</territory>") else {
            break;
        };
        let end = start + length + "</territory>".len();
        let head = &XML[start..start + XML[start..].find('>').unwrap_or(0)];
        if let Some(code) = attribute(head, "countryCode").and_then(|c| c.parse().ok()) {
            by_code.entry(code).or_default().push((start, end));
        }
        from = end;
    }
    by_code
});

/// Each territory's calling code and its `<territory>` element (the tests
/// read their example numbers through it).
#[cfg(test)]
pub(crate) fn territories() -> impl Iterator<Item = (u16, &'static str)> {
    TERRITORIES.iter().flat_map(|(code, ranges)| {
        ranges
            .iter()
            .map(move |(start, end)| (*code, &XML[*start..*end]))
    })
}

fn attribute<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = head.find(&key)? + key.len();
    let length = head[start..].find('"')?;
    Some(&head[start..start + length])
}

/// Databases built so far; `None` records a code that failed to build.
static DATABASES: LazyLock<Mutex<HashMap<u16, Option<Arc<Database>>>>> =
    LazyLock::new(Default::default);

/// The database of the territories with calling code `code`, built on first
/// use. `None` for a code the metadata does not have.
pub fn database(code: u16) -> Option<Arc<Database>> {
    let mut built = DATABASES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(database) = built.get(&code) {
        return database.clone();
    }
    let database = TERRITORIES.get(&code).and_then(|ranges| {
        let mut xml = String::from("<phoneNumberMetadata><territories>");
        for (start, end) in ranges {
            xml.push_str(&XML[*start..*end]);
        }
        xml.push_str("</territories></phoneNumberMetadata>");
        Database::parse(&xml).ok().map(Arc::new)
    });
    built.insert(code, database.clone());
    database
}

/// The calling code that starts `digits` (codes are prefix-free).
pub fn leading_code(digits: &str) -> Option<u16> {
    (1..=3)
        .filter(|&n| n <= digits.len() && digits.is_char_boundary(n))
        .filter_map(|n| digits[..n].parse::<u16>().ok())
        .find(|code| TERRITORIES.contains_key(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_territory_is_found() {
        let territories: usize = TERRITORIES.values().map(Vec::len).sum();
        assert_eq!(territories, XML.matches("<territory ").count());
        assert_eq!(TERRITORIES[&1].len(), 25, "NANPA shares code 1");
        assert_eq!(leading_code("442079460958"), Some(44));
        assert_eq!(leading_code("14155552671"), Some(1));
        assert_eq!(leading_code("35312345678"), Some(353));
    }

    #[test]
    fn each_code_builds() {
        for &code in TERRITORIES.keys() {
            assert!(database(code).is_some(), "calling code {code}");
        }
    }
}
