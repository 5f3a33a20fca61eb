//! Conditional requests (RFC 9110 §13) that more than one function answers.

use http::{HeaderMap, header};

/// Whether `If-None-Match` matches `etag` (a quoted entity tag): weak
/// comparison, as §13.1.2 asks for `GET` and `HEAD`, and `*` matches anything.
pub fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn weak_and_listed_tags_match_and_others_do_not() {
        let mut headers = HeaderMap::new();
        assert!(!if_none_match(&headers, "\"3\""));
        for (value, matches) in [
            ("\"3\"", true),
            ("W/\"3\"", true),
            ("\"1\", \"3\"", true),
            ("*", true),
            ("\"4\"", false),
            ("3", false),
        ] {
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
            assert_eq!(if_none_match(&headers, "\"3\""), matches, "{value}");
        }
    }
}
