//! The request and response bodies of the cafe's routes that are not the item
//! itself (`model::Item`, `model::ItemInput`): the list query, a page, and the
//! merge-patch document.

use serde::{Deserialize, Serialize};

use crate::model::{Category, Item};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

#[derive(Debug, Deserialize, garde::Validate, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size.
    #[serde(default = "default_page_size")]
    #[garde(range(min = 1, max = MAX_PAGE_SIZE))]
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: u32,
    /// `next_cursor` of the previous page.
    #[garde(skip)]
    pub cursor: Option<String>,
    /// Only items of this category.
    #[garde(skip)]
    pub category: Option<Category>,
    /// Only offers (`true`) or only regular items (`false`).
    #[garde(skip)]
    pub is_offer: Option<bool>,
}

fn default_page_size() -> u32 {
    DEFAULT_PAGE_SIZE
}

/// One page of the menu, in creation order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemPage {
    pub items: Vec<Item>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A JSON merge patch document (RFC 7396): an object whose members replace the
/// item's fields, `null` removing optional ones.
#[derive(Debug, garde::Validate)]
pub struct MergePatch(#[garde(skip)] pub serde_json::Map<String, serde_json::Value>);

/// Refuses a member given twice, which a plain map would silently collapse
/// into the last one (typed bodies refuse it the same way).
impl<'de> Deserialize<'de> for MergePatch {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;

        impl<'de> serde::de::Visitor<'de> for Members {
            type Value = MergePatch;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of the fields to change")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<MergePatch, A::Error> {
                let mut members = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if members.contains_key(&key) {
                        return Err(serde::de::Error::custom(format_args!(
                            "duplicate field `{key}`"
                        )));
                    }
                    members.insert(key, map.next_value()?);
                }
                Ok(MergePatch(members))
            }
        }

        deserializer.deserialize_map(Members)
    }
}
