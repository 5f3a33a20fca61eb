//! Menu items in DynamoDB.
//!
//! One table, keyed by `id`:
//! - menu items, mapped with serde_dynamo, plus `entity = "item"` so that the
//!   `by_created` index lists every item in creation (ULID) order;
//! - idempotency records (`id = "idempotency#<sha256 of the key>"`), which have no
//!   `entity` or `category` and so never appear in either index.
//!
//! Every write is conditional: a create must not overwrite, an update or delete
//! must find the item (at the version read or given). There are no transactions,
//! which dynalite lacks.

use std::{collections::HashMap, time::Duration};

use aws_sdk_dynamodb::{
    Client,
    error::{ProvideErrorMetadata, SdkError},
    types::AttributeValue,
};
use time::OffsetDateTime;

use crate::model::{Category, Item, ItemId};

pub const INDEX_BY_CREATED: &str = "by_created";
pub const INDEX_BY_CATEGORY: &str = "by_category";
const ENTITY_ITEM: &str = "item";
const IDEMPOTENCY_PREFIX: &str = "idempotency#";
/// Idempotency records expire (DynamoDB TTL on `expires_at`) after a day.
const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;
/// Queries one list request may make before it returns a partial page with a
/// cursor: keeps a filtered listing of a big table inside the function timeout.
const MAX_QUERIES_PER_PAGE: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The condition of a conditional write failed.
    #[error("condition failed")]
    ConditionFailed,
    /// DynamoDB is throttling, unreachable, slow or failing; worth retrying later.
    #[error("DynamoDB unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a misconfiguration.
    #[error("DynamoDB error: {0}")]
    Other(String),
}

impl<E, R> From<SdkError<E, R>> for StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    fn from(err: SdkError<E, R>) -> Self {
        dynamo::classify(&err).into()
    }
}

impl From<dynamo::ErrorKind> for StoreError {
    fn from(kind: dynamo::ErrorKind) -> Self {
        match kind {
            dynamo::ErrorKind::ConditionFailed => StoreError::ConditionFailed,
            dynamo::ErrorKind::Unavailable(reason) => StoreError::Unavailable(reason),
            dynamo::ErrorKind::Other(reason) => StoreError::Other(reason),
        }
    }
}

impl From<serde_dynamo::Error> for StoreError {
    fn from(err: serde_dynamo::Error) -> Self {
        StoreError::Other(format!("item mapping: {err}"))
    }
}

/// Which items a listing returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub category: Option<Category>,
    pub is_offer: Option<bool>,
}

/// One page of a listing: the items and, when more may follow, the id to
/// continue after.
#[derive(Debug, Clone)]
pub struct Page {
    pub items: Vec<Item>,
    pub next_after: Option<ItemId>,
}

/// Result of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: create the item with the id we proposed.
    Fresh,
    /// The key was used before, for `item_id`, with a body of `fingerprint`.
    Existing {
        item_id: ItemId,
        fingerprint: String,
        completed: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// A client with bounded waits: a slow or absent DynamoDB must turn into a
    /// 503 well inside the function's timeout, not a hang.
    pub async fn connect(endpoint: Option<&str>, table: &str) -> Self {
        let client = dynamo::client(
            endpoint,
            Duration::from_millis(1500),
            Duration::from_secs(4),
        )
        .await;
        Self::new(client, table)
    }

    /// Creates `item`; fails with `ConditionFailed` if its id exists.
    pub async fn put_new(&self, item: &Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_attributes(item)?))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await?;
        Ok(())
    }

    /// Reads an item (strongly consistent: a read after a write sees it).
    pub async fn get(&self, id: ItemId) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_string()))
            .consistent_read(true)
            .send()
            .await?;
        output
            .item
            .map(|attributes| serde_dynamo::from_item(attributes).map_err(StoreError::from))
            .transpose()
    }

    /// Replaces `item` if the stored one still has `expected_version`.
    pub async fn replace(&self, item: &Item, expected_version: u64) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_attributes(item)?))
            .condition_expression("attribute_exists(id) AND version = :expected")
            .expression_attribute_values(
                ":expected",
                AttributeValue::N(expected_version.to_string()),
            )
            .send()
            .await?;
        Ok(())
    }

    /// Deletes an item if it exists (and has `expected_version`, when given).
    pub async fn delete(
        &self,
        id: ItemId,
        expected_version: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_string()));
        request = match expected_version {
            Some(version) => request
                .condition_expression("attribute_exists(id) AND version = :expected")
                .expression_attribute_values(":expected", AttributeValue::N(version.to_string())),
            None => request.condition_expression("attribute_exists(id)"),
        };
        request.send().await?;
        Ok(())
    }

    /// Lists items in creation order, after `after` when given.
    pub async fn list(
        &self,
        filter: &ListFilter,
        limit: usize,
        after: Option<ItemId>,
    ) -> Result<Page, StoreError> {
        let (index, partition_attr, partition_value) = match &filter.category {
            Some(category) => (INDEX_BY_CATEGORY, "category", category.as_str().to_owned()),
            None => (INDEX_BY_CREATED, "entity", ENTITY_ITEM.to_owned()),
        };
        let mut start_key = after.map(|id| {
            HashMap::from([
                ("id".to_owned(), AttributeValue::S(id.to_string())),
                (
                    partition_attr.to_owned(),
                    AttributeValue::S(partition_value.clone()),
                ),
            ])
        });
        // One more than asked for tells whether another page exists, so a page
        // that ends exactly at the last item carries no cursor.
        let wanted = limit + 1;
        let mut items: Vec<Item> = Vec::with_capacity(wanted);
        let mut queries = 0;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", partition_attr)
                .expression_attribute_values(":pk", AttributeValue::S(partition_value.clone()))
                .scan_index_forward(true)
                .limit(
                    i32::try_from(wanted - items.len())
                        .unwrap_or(i32::MAX)
                        .max(1),
                )
                .set_exclusive_start_key(start_key.take());
            if let Some(is_offer) = filter.is_offer {
                query = query
                    .filter_expression("is_offer = :offer")
                    .expression_attribute_values(":offer", AttributeValue::Bool(is_offer));
            }
            let output = query.send().await?;
            queries += 1;
            for attributes in output.items.unwrap_or_default() {
                items.push(serde_dynamo::from_item(attributes)?);
            }
            let last_evaluated = output.last_evaluated_key;
            if items.len() >= wanted {
                items.truncate(limit);
                let next_after = items.last().map(|item| item.id);
                return Ok(Page { items, next_after });
            }
            match last_evaluated {
                None => {
                    return Ok(Page {
                        items,
                        next_after: None,
                    });
                }
                Some(key) if queries >= MAX_QUERIES_PER_PAGE => {
                    // A sparse filter over many items: hand back what we have and
                    // where to continue, rather than run into the timeout.
                    let next_after = key
                        .get("id")
                        .and_then(|v| v.as_s().ok())
                        .and_then(|id| id.parse().ok());
                    return Ok(Page { items, next_after });
                }
                Some(key) => start_key = Some(key),
            }
        }
    }

    /// Records that `key_hash` creates `item_id`, unless it was recorded before.
    pub async fn claim_idempotency_key(
        &self,
        key_hash: &str,
        item_id: ItemId,
        fingerprint: &str,
        now: OffsetDateTime,
    ) -> Result<Claim, StoreError> {
        let record_id = format!("{IDEMPOTENCY_PREFIX}{key_hash}");
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("id", AttributeValue::S(record_id.clone()))
            .item("item_id", AttributeValue::S(item_id.to_string()))
            .item("fingerprint", AttributeValue::S(fingerprint.to_owned()))
            .item("completed", AttributeValue::Bool(false))
            .item(
                "expires_at",
                AttributeValue::N((now.unix_timestamp() + IDEMPOTENCY_TTL_SECS).to_string()),
            )
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match put.map_err(StoreError::from) {
            Ok(_) => Ok(Claim::Fresh),
            Err(StoreError::ConditionFailed) => {
                let record = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("id", AttributeValue::S(record_id))
                    .consistent_read(true)
                    .send()
                    .await?
                    .item
                    .ok_or_else(|| StoreError::Other("idempotency record vanished".into()))?;
                let text = |name: &str| {
                    record
                        .get(name)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                Ok(Claim::Existing {
                    item_id: text("item_id").parse().map_err(|_| {
                        StoreError::Other("idempotency record holds a bad item id".into())
                    })?,
                    fingerprint: text("fingerprint"),
                    completed: record
                        .get("completed")
                        .and_then(|v| v.as_bool().ok())
                        .copied()
                        .unwrap_or(false),
                })
            }
            Err(other) => Err(other),
        }
    }

    /// Marks an idempotency record as done, so a retry after the item has been
    /// deleted does not bring it back.
    pub async fn complete_idempotency_key(&self, key_hash: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(
                "id",
                AttributeValue::S(format!("{IDEMPOTENCY_PREFIX}{key_hash}")),
            )
            .update_expression("SET completed = :done")
            .expression_attribute_values(":done", AttributeValue::Bool(true))
            .condition_expression("attribute_exists(id)")
            .send()
            .await?;
        Ok(())
    }

    /// Creates the table as `template.yaml` declares it, if it is missing. For
    /// local servers only: on AWS, CloudFormation owns the table.
    pub async fn ensure_table(&self) -> Result<(), StoreError> {
        dynamo::ensure_table(&self.client, &self.table, &table_spec())
            .await
            .map_err(StoreError::from)
    }
}

pub use dynamo::TableSpec;

/// The table's key schema and indexes; `template.yaml` must declare the same
/// (a test compares them).
pub fn table_spec() -> TableSpec {
    TableSpec {
        hash_key: "id",
        range_key: None,
        attributes: vec!["id", "entity", "category"],
        indexes: vec![
            (INDEX_BY_CREATED, "entity", "id"),
            (INDEX_BY_CATEGORY, "category", "id"),
        ],
    }
}

fn item_attributes(item: &Item) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let mut attributes: HashMap<String, AttributeValue> = serde_dynamo::to_item(item)?;
    attributes.insert(
        "entity".to_owned(),
        AttributeValue::S(ENTITY_ITEM.to_owned()),
    );
    Ok(attributes)
}
