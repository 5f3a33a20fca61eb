//! The OpenAPI schemas of the item's value types, next to the types (the
//! parsers in `model` and these patterns describe the same strings).

use std::borrow::Cow;

use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        RefOr,
        schema::{ObjectBuilder, OneOfBuilder, Schema, Type},
    },
};

use super::{CATEGORY_MAX_CHARS, Category, Currency, ItemId, Price};

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
