//! The cafe's part of the OpenAPI document.
//!
//! The wire types with rules of their own ([`ItemId`], [`Price`], [`Currency`],
//! [`Category`]) parse themselves by hand, so their schemas are written here,
//! next to the constants the parsers use, and a test checks each schema's
//! pattern against the parser on sample values.

use std::borrow::Cow;

use utoipa::{
    OpenApi, PartialSchema, ToSchema,
    openapi::{
        RefOr,
        schema::{ObjectBuilder, OneOfBuilder, Schema, Type},
    },
};

use crate::{
    handlers,
    model::{CATEGORY_MAX_CHARS, Category, Currency, Item, ItemId, ItemInput, Price},
};

/// A ULID in its canonical upper-case Crockford base32 spelling.
pub const ITEM_ID_PATTERN: &str = "^[0-7][0-9A-HJKMNP-TV-Z]{25}$";
/// How a price reads back: at most 999999.99, always two decimals.
pub const PRICE_PATTERN: &str = "^(0|[1-9][0-9]{0,5})\\.[0-9]{2}$";
/// What a price may be written as: at most 6 integer digits once leading zeros
/// are dropped, at most 2 decimals once trailing zeros are.
pub const PRICE_INPUT_PATTERN: &str = "^0*[0-9]{1,6}(\\.[0-9]{1,2}0*)?$";
pub const CURRENCY_PATTERN: &str = "^[A-Z]{3}$";
pub const CATEGORY_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";

fn string_schema(pattern: &str, description: &str, example: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([example])
}

impl PartialSchema for ItemId {
    fn schema() -> RefOr<Schema> {
        string_schema(
            ITEM_ID_PATTERN,
            "Server-assigned id: a ULID (26 characters, upper case), sorting by creation time.",
            "01JQ3ZK8V4N6T2W9Y5B7C1D3E5",
        )
        .min_length(Some(26))
        .max_length(Some(26))
        .into()
    }
}

impl ToSchema for ItemId {
    fn name() -> Cow<'static, str> {
        "ItemId".into()
    }
}

impl PartialSchema for Price {
    fn schema() -> RefOr<Schema> {
        string_schema(
            PRICE_PATTERN,
            "An exact amount with two decimals, as a string so no client reads it into a binary float.",
            "4.50",
        )
        .into()
    }
}

impl ToSchema for Price {
    fn name() -> Cow<'static, str> {
        "Price".into()
    }
}

/// The `price` of a request: the canonical string, any exact decimal string, or
/// a JSON number with at most two decimals.
pub fn price_input_schema() -> Schema {
    OneOfBuilder::new()
        .item(
            string_schema(
                PRICE_INPUT_PATTERN,
                "Decimal text, e.g. \"4.50\" or \"4.5\".",
                "4.50",
            )
            .max_length(Some(16)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .minimum(Some(0))
                .maximum(Some(999_999.99))
                .description(Some(
                    "A JSON number with at most two decimals; refused when it is not exactly such a decimal.",
                )),
        )
        .description(Some(
            "Non-negative, at most 999999.99, at most two decimal places.",
        ))
        .build()
        .into()
}

impl PartialSchema for Currency {
    fn schema() -> RefOr<Schema> {
        // The codes the parser accepts, listed, so clients (and Swagger UI's
        // drop-down) know them without trial and error.
        let mut codes: Vec<&str> =
            <iso_currency::Currency as iso_currency::IntoEnumIterator>::iter()
                .map(|currency| currency.code())
                .filter(|code| code.parse::<Currency>().is_ok())
                .collect();
        codes.sort_unstable();
        string_schema(CURRENCY_PATTERN, "An ISO 4217 currency code.", "EUR")
            .enum_values(Some(codes))
            .into()
    }
}

impl ToSchema for Currency {
    fn name() -> Cow<'static, str> {
        "Currency".into()
    }
}

impl PartialSchema for Category {
    fn schema() -> RefOr<Schema> {
        string_schema(
            CATEGORY_PATTERN,
            "A slug: lower-case letters and digits, separated by single hyphens.",
            "hot-drinks",
        )
        .min_length(Some(1))
        .max_length(Some(CATEGORY_MAX_CHARS))
        .into()
    }
}

impl ToSchema for Category {
    fn name() -> Cow<'static, str> {
        "Category".into()
    }
}

impl PartialSchema for handlers::MergePatch {
    fn schema() -> RefOr<Schema> {
        let nullable = |schema: RefOr<Schema>| -> Schema {
            OneOfBuilder::new()
                .item(schema)
                .item(ObjectBuilder::new().schema_type(Type::Null))
                .build()
                .into()
        };
        ObjectBuilder::new()
            .property("name", ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)))
            .property(
                "description",
                nullable(ObjectBuilder::new().schema_type(Type::String).max_length(Some(500)).into()),
            )
            .property("price", price_input_schema())
            .property("currency", nullable(Currency::schema()))
            .property(
                "is_offer",
                nullable(ObjectBuilder::new().schema_type(Type::Boolean).into()),
            )
            .property("category", nullable(Category::schema()))
            .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)))
            .description(Some(
                "Fields to change; `null` resets an optional field to its default. The result must be a valid item.",
            ))
            .examples([serde_json::json!({"price": "3.40", "is_offer": true})])
            .into()
    }
}

impl ToSchema for handlers::MergePatch {
    fn name() -> Cow<'static, str> {
        "MergePatch".into()
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::create_item,
        handlers::list_items,
        handlers::get_item,
        handlers::replace_item,
        handlers::patch_item,
        handlers::delete_item,
    ),
    components(schemas(Item, ItemInput, handlers::ItemPage, handlers::MergePatch)),
    tags((name = "cafe", description = "The cafe's menu: items stored in DynamoDB, with conditional writes, ETags and idempotent creates."))
)]
pub struct CafeApi;

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, value: &str) -> bool {
        regex::Regex::new(pattern)
            .expect("pattern compiles")
            .is_match(value)
    }

    #[test]
    fn price_patterns_agree_with_the_parser() {
        for text in [
            "0",
            "4",
            "4.5",
            "4.50",
            "4.500",
            "004.50",
            "999999.99",
            "999999",
            "0.01",
            "4.5000",
            "1000000",
            "4.505",
            "-1",
            ".5",
            "5.",
            "1e3",
            "",
            "4..5",
            "0.001",
            "9999999",
        ] {
            assert_eq!(
                matches(PRICE_INPUT_PATTERN, text) && text.len() <= 16,
                text.parse::<Price>().is_ok(),
                "{text:?}"
            );
            if let Ok(price) = text.parse::<Price>() {
                assert!(matches(PRICE_PATTERN, &price.to_string()), "{price}");
            }
        }
    }

    #[test]
    fn id_currency_and_category_patterns_agree_with_the_parsers() {
        let id = ItemId::new().to_string();
        assert!(matches(ITEM_ID_PATTERN, &id));
        for text in [
            id.as_str(),
            "01jq3zk8v4n6t2w9y5b7c1d3e5",
            "short",
            "8ZZZZZZZZZZZZZZZZZZZZZZZZZ",
        ] {
            assert_eq!(
                matches(ITEM_ID_PATTERN, text),
                text.parse::<ItemId>().is_ok(),
                "{text:?}"
            );
        }
        for text in ["drinks", "hot-drinks", "a1", "Hot", "-a", "a--b", "a-", ""] {
            assert_eq!(
                matches(CATEGORY_PATTERN, text),
                text.parse::<Category>().is_ok(),
                "{text:?}"
            );
        }
        assert!(matches(CURRENCY_PATTERN, "EUR") && "EUR".parse::<Currency>().is_ok());
        assert!(!matches(CURRENCY_PATTERN, "eur") && "eur".parse::<Currency>().is_err());
        let schema = serde_json::to_value(Currency::schema()).expect("JSON");
        let codes = schema["enum"].as_array().expect("enum");
        assert!(codes.len() > 150 && codes.iter().any(|c| c == "JPY"));
        assert!(!codes.iter().any(|c| c == "JFG"));
    }
}
