//! The cafe's part of the OpenAPI document.
//!
//! The wire types with rules of their own (`ItemId`, `Price`, [`Currency`],
//! [`Category`]) parse themselves by hand; their schemas live beside them in
//! `model::schema`, and a test here checks each schema's pattern against the
//! parser on sample values. This module holds the HTTP side: the merge-patch
//! body's schema and the function's part of the document.

use std::borrow::Cow;

use utoipa::{
    OpenApi, PartialSchema, ToSchema,
    openapi::{
        RefOr,
        schema::{ObjectBuilder, OneOfBuilder, Schema, Type},
    },
};

use crate::{
    dto,
    model::{Category, Currency, Item, ItemInput, schema::price_input_schema},
};

impl PartialSchema for dto::MergePatch {
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

impl ToSchema for dto::MergePatch {
    fn name() -> Cow<'static, str> {
        "MergePatch".into()
    }
}

#[derive(OpenApi)]
#[openapi(
    components(schemas(Item, ItemInput, dto::ItemPage, dto::MergePatch)),
    tags((name = "cafe", description = "The cafe's menu: items stored in DynamoDB, with conditional writes, ETags and idempotent creates."))
)]
pub struct CafeApi;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema::{
        CATEGORY_PATTERN, CURRENCY_PATTERN, ITEM_ID_PATTERN, PRICE_INPUT_PATTERN, PRICE_PATTERN,
    };
    use crate::model::{ItemId, Price};

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

    /// The item's writable fields are written in a few places on purpose (the
    /// input with its optional members, the stored item with them resolved,
    /// the merge patch's schema with `null`s); this ties those lists together,
    /// so a field added to one and not the others fails here.
    #[test]
    fn the_input_the_patch_and_the_item_name_the_same_writable_fields() {
        let properties = |schema: RefOr<Schema>| -> Vec<String> {
            let RefOr::T(Schema::Object(object)) = schema else {
                panic!("an object schema")
            };
            let mut names: Vec<String> = object.properties.keys().cloned().collect();
            names.sort_unstable();
            names
        };
        let mut fields: Vec<String> = ItemInput::FIELDS.iter().map(|f| f.to_string()).collect();
        fields.sort_unstable();
        assert_eq!(properties(<ItemInput as PartialSchema>::schema()), fields);
        assert_eq!(
            properties(<dto::MergePatch as PartialSchema>::schema()),
            fields
        );
        let stored: Vec<String> = properties(<Item as PartialSchema>::schema())
            .into_iter()
            .filter(|f| !["id", "created_at", "updated_at", "version"].contains(&f.as_str()))
            .collect();
        assert_eq!(stored, fields);
    }
}
