//! The opaque page cursor of `GET /items`: the last item id of a page, so a
//! cursor stays valid while items are added or deleted.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use shared::ApiError;

use crate::model::ItemId;

const CURSOR_PREFIX: &str = "after:";

pub fn encode_cursor(after: ItemId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{after}"))
}

pub fn decode_cursor(cursor: &str) -> Result<ItemId, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix(CURSOR_PREFIX)?.parse().ok())
        .ok_or_else(|| {
            ApiError::validation(
                vec!["query".into(), "cursor".into()],
                "value_error",
                "is not a cursor this API returned; pass `next_cursor` from the previous page",
            )
        })
}

#[cfg(test)]
mod tests {
    use shared::LocPart;

    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let id = ItemId::new();
        assert_eq!(decode_cursor(&encode_cursor(id)).unwrap(), id);
        for bad in ["", "abc", "!!!", &URL_SAFE_NO_PAD.encode("after:nope")] {
            let err = decode_cursor(bad).unwrap_err();
            let ApiError::Validation(errors) = err else {
                panic!()
            };
            assert_eq!(
                errors[0].loc,
                vec![LocPart::from("query"), LocPart::from("cursor")]
            );
        }
    }
}
