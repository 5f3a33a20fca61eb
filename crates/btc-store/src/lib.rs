//! DynamoDB storage of the Bitcoin model, shared by the `predict` (reads) and
//! `train` (writes) functions.
//!
//! One table, key `(pk, sk)`:
//! - `prices#BTC-USD` / `<date>`: daily closes posted through `POST /train`
//!   (the bundled history is compiled in and never stored);
//! - `model#btc` / `version#<version>`: a published model, ONNX bytes, its
//!   metadata JSON and checksum; written once, never changed;
//! - `model#btc` / `current`: which version is served. Publishing writes the
//!   version item first and then moves this pointer with a compare-and-set, so a
//!   reader sees either the old or the new model, never a half-written one.

use std::{collections::HashMap, time::Duration};

use aws_sdk_dynamodb::{
    Client,
    error::{ProvideErrorMetadata, SdkError},
    primitives::Blob,
    types::{AttributeValue, PutRequest, WriteRequest},
};
use sha2::{Digest, Sha256};
use time::Date;

use btc_forecast::series::{format_date, parse_date};

const PRICES_PK: &str = "prices#BTC-USD";
const MODEL_PK: &str = "model#btc";
const CURRENT_SK: &str = "current";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("another publish changed the current model first")]
    Conflict,
    #[error("DynamoDB unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
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
            dynamo::ErrorKind::ConditionFailed => StoreError::Conflict,
            dynamo::ErrorKind::Unavailable(reason) => StoreError::Unavailable(reason),
            dynamo::ErrorKind::Other(reason) => StoreError::Other(reason),
        }
    }
}

/// How long [`BtcStore::put_prices`] may retry throttled writes in all (the
/// `/train` function's timeout is 30 s; fitting and publishing need the rest).
pub const PUT_PRICES_BUDGET: Duration = Duration::from_secs(10);

/// Which version is served, and the checksum its bytes must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    pub version: String,
    pub sha256: String,
}

/// A published model as stored.
#[derive(Debug, Clone)]
pub struct StoredModel {
    pub version: String,
    pub onnx: Vec<u8>,
    pub meta_json: String,
}

#[derive(Debug, Clone)]
pub struct BtcStore {
    client: Client,
    table: String,
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl BtcStore {
    /// A client with bounded waits, so an outage becomes an error in seconds.
    pub async fn connect(endpoint: Option<&str>, table: &str) -> Self {
        Self {
            client: dynamo::client(endpoint, Duration::from_secs(2), Duration::from_secs(6)).await,
            table: table.to_owned(),
        }
    }

    /// Every posted close, in date order.
    pub async fn prices(&self) -> Result<Vec<(Date, f64)>, StoreError> {
        let mut rows = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(PRICES_PK))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await?;
            for item in page.items() {
                let date = item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|d| parse_date(d))
                    .ok_or_else(|| StoreError::Corrupt("price row without a date".into()))?;
                let close = item
                    .get("close")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse::<f64>().ok())
                    .ok_or_else(|| StoreError::Corrupt("price row without a close".into()))?;
                rows.push((date, close));
            }
            match page.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(rows),
            }
        }
    }

    /// Stores closes (idempotent: a row for a date always holds the same close,
    /// which the caller checked against the series).
    ///
    /// Rows DynamoDB leaves unprocessed (throttling) are retried with
    /// exponential back-off; no back-off starts after [`PUT_PRICES_BUDGET`]
    /// has passed since the call began (counted for the whole call, not per
    /// 25-row chunk: a 3,660-row history is 147 chunks, and per-chunk retries
    /// could outlast the caller's timeout). The writes themselves, and the
    /// SDK's own retries, are bounded by the SDK's timeouts, not by this.
    pub async fn put_prices(&self, rows: &[(Date, f64)]) -> Result<(), StoreError> {
        let deadline = tokio::time::Instant::now() + PUT_PRICES_BUDGET;
        for chunk in rows.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|(date, close)| {
                    let put = PutRequest::builder()
                        .item("pk", s(PRICES_PK))
                        .item("sk", s(&format_date(*date)))
                        // `{:?}` prints the shortest text that reads back as the same f64.
                        .item("close", AttributeValue::N(format!("{close:?}")))
                        .build()
                        .map_err(|e| StoreError::Other(e.to_string()))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<_, StoreError>>()?;
            for attempt in 0u32.. {
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests.clone())
                    .send()
                    .await?;
                requests = output
                    .unprocessed_items
                    .and_then(|mut items| items.remove(&self.table))
                    .unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                let backoff = Duration::from_millis(50 << attempt.min(4));
                if tokio::time::Instant::now() + backoff > deadline {
                    return Err(StoreError::Unavailable("writes left unprocessed".into()));
                }
                tokio::time::sleep(backoff).await;
            }
        }
        Ok(())
    }

    pub async fn current(&self) -> Result<Option<Pointer>, StoreError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(MODEL_PK))
            .key("sk", s(CURRENT_SK))
            .consistent_read(true)
            .send()
            .await?
            .item;
        Ok(item.and_then(|item| {
            Some(Pointer {
                version: item.get("version")?.as_s().ok()?.clone(),
                sha256: item.get("sha256")?.as_s().ok()?.clone(),
            })
        }))
    }

    /// Loads a published version and checks its bytes against `expected_sha256`.
    pub async fn load(&self, pointer: &Pointer) -> Result<StoredModel, StoreError> {
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(MODEL_PK))
            .key("sk", s(&format!("version#{}", pointer.version)))
            .consistent_read(true)
            .send()
            .await?
            .item
            .ok_or_else(|| {
                StoreError::Corrupt(format!("version {} is missing", pointer.version))
            })?;
        let onnx = item
            .get("onnx")
            .and_then(|v| v.as_b().ok())
            .map(|b| b.as_ref().to_vec())
            .ok_or_else(|| StoreError::Corrupt("model without bytes".into()))?;
        let meta_json = item
            .get("meta")
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| StoreError::Corrupt("model without metadata".into()))?;
        if sha256_hex(&onnx) != pointer.sha256 {
            return Err(StoreError::Corrupt(format!(
                "version {} fails its checksum",
                pointer.version
            )));
        }
        Ok(StoredModel {
            version: pointer.version.clone(),
            onnx,
            meta_json,
        })
    }

    /// Publishes a model: writes the version, then moves the pointer from
    /// `expected_current` (`None`: no model published yet) to it. Fails with
    /// `Conflict` if another publish moved the pointer first.
    pub async fn publish(
        &self,
        version: &str,
        onnx: &[u8],
        meta_json: &str,
        expected_current: Option<&str>,
    ) -> Result<Pointer, StoreError> {
        let sha256 = sha256_hex(onnx);
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(MODEL_PK))
            .item("sk", s(&format!("version#{version}")))
            .item("onnx", AttributeValue::B(Blob::new(onnx.to_vec())))
            .item("meta", s(meta_json))
            .item("sha256", s(&sha256))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put.map_err(StoreError::from) {
            // The same version (same bytes, by its name's hash) already exists: fine.
            Ok(_) | Err(StoreError::Conflict) => {}
            Err(other) => return Err(other),
        }
        let mut pointer = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(MODEL_PK))
            .item("sk", s(CURRENT_SK))
            .item("version", s(version))
            .item("sha256", s(&sha256));
        pointer = match expected_current {
            Some(current) => pointer
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", s(current)),
            None => pointer.condition_expression("attribute_not_exists(pk)"),
        };
        pointer.send().await?;
        Ok(Pointer {
            version: version.to_owned(),
            sha256,
        })
    }

    /// Creates the table if missing (local servers only; CloudFormation owns it
    /// on AWS) and waits until it takes writes.
    pub async fn ensure_table(&self) -> Result<(), StoreError> {
        let spec = dynamo::TableSpec {
            hash_key: "pk",
            range_key: Some("sk"),
            attributes: vec!["pk", "sk"],
            indexes: Vec::new(),
        };
        dynamo::ensure_table(&self.client, &self.table, &spec)
            .await
            .map_err(StoreError::from)
    }
}
