//! Creating a store's table on a local server (dynalite, DynamoDB Local):
//! on AWS, CloudFormation owns the tables and no function creates one.

use std::time::Duration;

use aws_sdk_dynamodb::{
    Client,
    error::SdkError,
    types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement,
        KeyType, Projection, ProjectionType, ScalarAttributeType, TableStatus,
    },
};

use crate::{ErrorKind, classify};

/// A table's key schema and indexes, as `template.yaml` declares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub hash_key: &'static str,
    pub range_key: Option<&'static str>,
    /// Every key attribute (all strings).
    pub attributes: Vec<&'static str>,
    /// `(index name, hash key, range key)`, all projecting every attribute.
    pub indexes: Vec<(&'static str, &'static str, &'static str)>,
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, ErrorKind> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| ErrorKind::Other(e.to_string()))
}

/// Creates `table` as `spec` says when it is missing (another cold start may
/// create it first: that is fine), then waits until it and its indexes are
/// ACTIVE, which dynalite too reaches a moment after CreateTable returns.
pub async fn ensure_table(client: &Client, table: &str, spec: &TableSpec) -> Result<(), ErrorKind> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => return wait_until_active(client, table).await,
        Err(SdkError::ServiceError(e)) if e.err().is_resource_not_found_exception() => {}
        Err(other) => return Err(classify(&other)),
    }
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(spec.hash_key, KeyType::Hash)?);
    if let Some(range) = spec.range_key {
        request = request.key_schema(key(range, KeyType::Range)?);
    }
    for attribute in &spec.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(*attribute)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| ErrorKind::Other(e.to_string()))?,
        );
    }
    for (name, hash, range) in &spec.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(*name)
                .key_schema(key(hash, KeyType::Hash)?)
                .key_schema(key(range, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| ErrorKind::Other(e.to_string()))?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(SdkError::ServiceError(e)) if e.err().is_resource_in_use_exception() => {}
        Err(other) => return Err(classify(&other)),
    }
    wait_until_active(client, table).await
}

async fn wait_until_active(client: &Client, table: &str) -> Result<(), ErrorKind> {
    for _ in 0..300 {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| classify(&e))?
            .table;
        let active = described.as_ref().is_some_and(|t| {
            t.table_status() == Some(&TableStatus::Active)
                && t.global_secondary_indexes()
                    .iter()
                    .all(|index| index.index_status() == Some(&IndexStatus::Active))
        });
        if active {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(ErrorKind::Unavailable(format!(
        "table {table} did not become active"
    )))
}
