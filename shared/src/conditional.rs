//! Conditional requests (RFC 9110 §13): `If-None-Match` for reads, `If-Match`
//! for writes.

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

/// An `If-Match` precondition (RFC 9110 §13.1.1, strong comparison).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    /// The precondition of the request, `None` without an `If-Match` header.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let values: Vec<&str> = headers
            .get_all(header::IF_MATCH)
            .iter()
            .map(|v| v.to_str().unwrap_or("\u{0}"))
            .collect();
        if values.is_empty() {
            return None;
        }
        let tags: Vec<String> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(|tag| tag.trim().to_owned())
            .filter(|tag| !tag.is_empty())
            .collect();
        if tags.iter().any(|tag| tag == "*") {
            Some(IfMatch::Any)
        } else {
            Some(IfMatch::Tags(tags))
        }
    }

    /// Whether `etag` (a quoted entity tag) satisfies the precondition.
    pub fn matches(&self, etag: &str) -> bool {
        match self {
            IfMatch::Any => true,
            // Weak tags (W/"..") never match strongly.
            IfMatch::Tags(tags) => tags.iter().any(|tag| tag == etag),
        }
    }
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

    #[test]
    fn if_match_parsing() {
        let mut headers = HeaderMap::new();
        assert_eq!(IfMatch::from_headers(&headers), None);
        headers.insert(header::IF_MATCH, HeaderValue::from_static("\"3\", \"4\""));
        let condition = IfMatch::from_headers(&headers);
        assert_eq!(
            condition,
            Some(IfMatch::Tags(vec!["\"3\"".into(), "\"4\"".into()]))
        );
        assert!(condition.is_some_and(|c| c.matches("\"4\"") && !c.matches("W/\"4\"")));
        headers.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert_eq!(IfMatch::from_headers(&headers), Some(IfMatch::Any));
    }
}
