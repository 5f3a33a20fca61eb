//! The menu item and the rules its fields obey.
//!
//! Parse, don't validate: each field with a format of its own is a type whose
//! `Deserialize` refuses bad input with a message that names the rule (never the
//! submitted value), so an `Item` in hand is always valid.

use std::{fmt, str::FromStr};

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use time::OffsetDateTime;

pub mod schema;

pub const NAME_MAX_CHARS: usize = 50;
pub const DESCRIPTION_MAX_CHARS: usize = 500;
pub const CATEGORY_MAX_CHARS: usize = 32;
pub const DEFAULT_CATEGORY: &str = "uncategorized";
/// Largest price accepted: 999,999.99 in any currency.
pub const PRICE_MAX: Decimal = Decimal::from_parts(99_999_999, 0, 0, false, 2);

/// Server-generated item id: a ULID (26 characters of Crockford base32), which
/// is URL-safe and sorts by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(ulid::Ulid);

impl ItemId {
    pub fn new() -> Self {
        Self(ulid::Ulid::new())
    }
}

impl Default for ItemId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for ItemId {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only the canonical upper-case spelling, so one item has one URL.
        // A first character above 7 overflows 128 bits; the ulid crate would
        // wrap it into another id's value (so one item would have two URLs).
        if s.len() != ulid::ULID_LEN
            || s.bytes().any(|b| b.is_ascii_lowercase())
            || s.as_bytes()[0] > b'7'
        {
            return Err("must be a 26-character item id (ULID, upper case)");
        }
        s.parse()
            .map(Self)
            .map_err(|_| "must be a 26-character item id (ULID, upper case)")
    }
}

impl Serialize for ItemId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ItemId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(de::Error::custom)
    }
}

/// A non-negative amount with at most two decimal places. On the wire it is a
/// string (`"4.50"`) so no client parses it into a binary float; a JSON number
/// is accepted on input when it has the same exact decimal text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Price(Decimal);

impl Price {
    pub fn new(amount: Decimal) -> Result<Self, &'static str> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err("must not be negative");
        }
        if amount.normalize().scale() > 2 {
            return Err("must have at most 2 decimal places");
        }
        if amount > PRICE_MAX {
            return Err("must be at most 999999.99");
        }
        let mut amount = amount.abs();
        amount.rescale(2);
        Ok(Self(amount))
    }

    pub fn amount(&self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl FromStr for Price {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let well_formed = !s.is_empty()
            && s.len() <= 16
            && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && s.bytes().filter(|b| *b == b'.').count() <= 1
            && !s.starts_with('.')
            && !s.ends_with('.');
        if !well_formed {
            return Err("must be a decimal amount like \"4.50\"");
        }
        let amount =
            Decimal::from_str_exact(s).map_err(|_| "must be a decimal amount like \"4.50\"")?;
        Price::new(amount)
    }
}

impl Serialize for Price {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PriceVisitor;

        impl de::Visitor<'_> for PriceVisitor {
            type Value = Price;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal amount like \"4.50\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Price, E> {
                v.parse().map_err(E::custom)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Price, E> {
                Price::new(Decimal::from(v)).map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Price, E> {
                Price::new(Decimal::from(v)).map_err(E::custom)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Price, E> {
                // Rust prints the shortest text that reads back as the same f64;
                // for amounts within PRICE_MAX (at most 8 significant digits) that
                // is exactly the decimal the client wrote.
                if !v.is_finite() {
                    return Err(E::custom("must be a finite amount"));
                }
                format!("{v}").parse::<Price>().map_err(|err| {
                    if v < 0.0 {
                        E::custom("must not be negative")
                    } else {
                        E::custom(err)
                    }
                })
            }
        }

        deserializer.deserialize_any(PriceVisitor)
    }
}

/// An active ISO 4217 currency code such as `EUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    pub fn code(&self) -> &'static str {
        self.0.code()
    }
}

impl FromStr for Currency {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err("must be an ISO 4217 code of three capital letters, like \"EUR\"");
        }
        iso_currency::Currency::from_code(s)
            .map(Self)
            .ok_or("must be an ISO 4217 currency code, like \"EUR\"")
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(de::Error::custom)
    }
}

/// A short lower-case slug such as `drinks` or `hot-food`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Category(String);

impl Category {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Category {
    fn default() -> Self {
        Self(DEFAULT_CATEGORY.to_owned())
    }
}

impl FromStr for Category {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = (1..=CATEGORY_MAX_CHARS).contains(&s.len())
            && s.split('-').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(
                "must be a slug of 1-32 characters: lower-case letters and digits, separated by single hyphens",
            )
        }
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(de::Error::custom)
    }
}

/// What a client sends to create (`POST`) or replace (`PUT`) an item, and what a
/// merge patch must produce. Unknown fields, including the server's own (`id`,
/// `version`, ...), are rejected.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, garde::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Flat white", "price": "3.20", "category": "hot-drinks", "is_offer": false}))]
pub struct ItemInput {
    /// 1-50 characters once surrounding spaces are trimmed; no control characters.
    #[garde(custom(valid_name))]
    #[schema(min_length = 1, examples("Flat white"))]
    pub name: String,
    /// At most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(inner(length(chars, max = DESCRIPTION_MAX_CHARS)))]
    #[schema(max_length = 500)]
    pub description: Option<String>,
    #[garde(skip)]
    #[schema(schema_with = schema::price_input_schema)]
    pub price: Price,
    /// Defaults to the function's configured currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[garde(skip)]
    pub currency: Option<Currency>,
    #[serde(default)]
    #[garde(skip)]
    #[schema(default = false)]
    pub is_offer: bool,
    /// Defaults to `uncategorized`.
    #[serde(default)]
    #[garde(skip)]
    pub category: Category,
}

#[allow(clippy::ptr_arg)] // garde passes custom rules a reference to the field's type
fn valid_name(name: &String, _: &()) -> garde::Result {
    let trimmed = name.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(garde::Error::new("must not be empty or only spaces"));
    }
    if chars > NAME_MAX_CHARS {
        return Err(garde::Error::new(format!(
            "must be at most {NAME_MAX_CHARS} characters"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(garde::Error::new("must not contain control characters"));
    }
    Ok(())
}

impl ItemInput {
    /// The members a request body may have.
    pub const FIELDS: [&'static str; 6] = [
        "name",
        "description",
        "price",
        "currency",
        "is_offer",
        "category",
    ];

    /// Normalises what validation allows in more than one spelling.
    pub fn normalized(mut self) -> Self {
        self.name = self.name.trim().to_owned();
        self.description = self.description.filter(|d| !d.is_empty());
        self
    }
}

/// A stored menu item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Item {
    pub id: ItemId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub price: Price,
    pub currency: Currency,
    pub is_offer: bool,
    pub category: Category,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// Incremented by every write; the `ETag` is this number in quotes.
    #[schema(minimum = 1)]
    pub version: u64,
}

impl Item {
    pub fn create(
        id: ItemId,
        input: ItemInput,
        default_currency: Currency,
        now: OffsetDateTime,
    ) -> Self {
        let input = input.normalized();
        Self {
            id,
            name: input.name,
            description: input.description,
            price: input.price,
            currency: input.currency.unwrap_or(default_currency),
            is_offer: input.is_offer,
            category: input.category,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// The item with every writable field replaced by `input`.
    pub fn replaced(
        &self,
        input: ItemInput,
        default_currency: Currency,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: self.id,
            created_at: self.created_at,
            updated_at: now,
            version: self.version + 1,
            ..Item::create(self.id, input, default_currency, now)
        }
    }

    /// The writable fields, as a merge patch applies to them.
    pub fn input(&self) -> ItemInput {
        ItemInput {
            name: self.name.clone(),
            description: self.description.clone(),
            price: self.price,
            currency: Some(self.currency),
            is_offer: self.is_offer,
            category: self.category.clone(),
        }
    }

    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_exact_decimals_with_two_places() {
        assert_eq!("4.5".parse::<Price>().unwrap().to_string(), "4.50");
        assert_eq!("0".parse::<Price>().unwrap().to_string(), "0.00");
        assert_eq!(
            "999999.99".parse::<Price>().unwrap().to_string(),
            "999999.99"
        );
        for bad in [
            "-1", "4.505", "1e3", "", ".5", "5.", "1000000", "4,50", " 4.50", "NaN",
        ] {
            assert!(bad.parse::<Price>().is_err(), "{bad:?}");
        }
        let from_number: Price = serde_json::from_str("4.1").unwrap();
        assert_eq!(from_number.to_string(), "4.10");
        let from_number: Price = serde_json::from_str("19.99").unwrap();
        assert_eq!(from_number.to_string(), "19.99");
        assert!(serde_json::from_str::<Price>("0.1234").is_err());
        assert!(serde_json::from_str::<Price>("-0.5").is_err());
        assert_eq!(serde_json::to_string(&from_number).unwrap(), "\"19.99\"");
    }

    #[test]
    fn currencies_are_iso_4217() {
        assert_eq!("EUR".parse::<Currency>().unwrap().code(), "EUR");
        for bad in ["eur", "EURO", "XYZ", ""] {
            assert!(bad.parse::<Currency>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fields_lists_every_member_of_a_full_input() {
        let input: ItemInput = serde_json::from_value(serde_json::json!({
            "name": "Tea", "description": "Green", "price": "2.00",
            "currency": "EUR", "is_offer": true, "category": "drinks"
        }))
        .unwrap();
        let value = serde_json::to_value(input).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut fields = ItemInput::FIELDS;
        fields.sort_unstable();
        assert_eq!(keys, fields);
    }

    #[test]
    fn categories_are_slugs() {
        for good in ["drinks", "hot-food", "a1", "x"] {
            assert!(good.parse::<Category>().is_ok(), "{good}");
        }
        for bad in [
            "",
            "Drinks",
            "hot--food",
            "-x",
            "x-",
            "hot food",
            &"a".repeat(33),
        ] {
            assert!(bad.parse::<Category>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_are_canonical_ulids() {
        let id = ItemId::new();
        assert_eq!(id.to_string().parse::<ItemId>().unwrap(), id);
        assert!(id.to_string().to_lowercase().parse::<ItemId>().is_err());
        assert!("not-an-id".parse::<ItemId>().is_err());
        assert!(ItemId::new() > id || ItemId::new() != id);
    }
}
