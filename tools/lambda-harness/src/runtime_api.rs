//! The Lambda runtime API a function's runtime client talks to
//! (`AWS_LAMBDA_RUNTIME_API`): it long-polls `GET /invocation/next` for an
//! event and posts the result to `/invocation/{id}/response` (or `/error`).
//! <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::IntoResponse,
    routing::{get, post},
};
use tokio::sync::{Notify, oneshot};

use crate::HarnessError;

const PREFIX: &str = "/2018-06-01/runtime";

/// What a function answered to one event.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The response (or error) document the function posted.
    pub body: Bytes,
    /// Whether it came through `/error` instead of `/response`.
    pub is_error: bool,
    /// When the harness received it.
    pub at: Instant,
}

impl Reply {
    /// The HTTP status inside an API Gateway proxy response, if it is one.
    pub fn http_status(&self) -> Option<u16> {
        let document: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        document["statusCode"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
    }
}

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<(String, Bytes)>>,
    queued: Notify,
    waiting: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
    first_poll: Mutex<Option<Instant>>,
    polls: AtomicU64,
    polled: Notify,
    init_error: Mutex<Option<Bytes>>,
    init_failed: Notify,
    next_id: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind: keep going.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A runtime API server on 127.0.0.1 for one function process at a time.
pub struct RuntimeApi {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Starts the server on a free port.
    pub async fn start() -> Result<Self, HarnessError> {
        let shared = Arc::new(Shared::default());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let app = Router::new()
            .route(&format!("{PREFIX}/invocation/next"), get(next))
            .route(
                &format!("{PREFIX}/invocation/{{id}}/response"),
                post(respond),
            )
            .route(&format!("{PREFIX}/invocation/{{id}}/error"), post(fail))
            .route(&format!("{PREFIX}/init/error"), post(init_error))
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            // The server ends with the harness; an accept error ends it early and
            // the waiting invoke reports a timeout.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            address,
            shared,
            server,
        })
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// When the function first asked for an event: its initialisation was done.
    pub fn first_poll(&self) -> Option<Instant> {
        *lock(&self.shared.first_poll)
    }

    /// Waits until the function has asked for work `count` times in all: after
    /// the answer to event n, poll n + 1 says it finished everything it does
    /// after answering (the EMF flush), which is when Lambda freezes it.
    pub async fn wait_for_polls(&self, count: u64, timeout: Duration) -> Result<(), HarnessError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let polled = self.shared.polled.notified();
            if self.shared.polls.load(Ordering::SeqCst) >= count {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline, polled).await.is_err() {
                return Err(HarnessError::Timeout(timeout));
            }
        }
    }

    /// Hands `event` to the function and waits for its answer.
    pub async fn invoke(
        &self,
        event: &serde_json::Value,
        timeout: Duration,
    ) -> Result<Reply, HarnessError> {
        let id = format!(
            "harness-{}",
            self.shared.next_id.fetch_add(1, Ordering::Relaxed)
        );
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.waiting).insert(id.clone(), tx);
        let body = Bytes::from(serde_json::to_vec(event)?);
        lock(&self.shared.queue).push_back((id.clone(), body));
        self.shared.queued.notify_one();
        let init_failed = self.shared.init_failed.notified();
        if let Some(report) = lock(&self.shared.init_error).clone() {
            return Err(HarnessError::InitFailed(
                String::from_utf8_lossy(&report).into_owned(),
            ));
        }
        tokio::select! {
            reply = rx => reply.map_err(|_| HarnessError::Timeout(timeout)),
            () = init_failed => Err(HarnessError::InitFailed(
                lock(&self.shared.init_error).clone().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default(),
            )),
            () = tokio::time::sleep(timeout) => {
                lock(&self.shared.waiting).remove(&id);
                Err(HarnessError::Timeout(timeout))
            }
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    lock(&shared.first_poll).get_or_insert_with(Instant::now);
    shared.polls.fetch_add(1, Ordering::SeqCst);
    shared.polled.notify_waiters();
    loop {
        let notified = shared.queued.notified();
        if let Some((id, event)) = lock(&shared.queue).pop_front() {
            let deadline = SystemTime::now()
                .checked_add(Duration::from_secs(30))
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_millis());
            let mut headers = HeaderMap::new();
            let mut put = |name: &'static str, value: String| {
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.insert(name, value);
                }
            };
            put("lambda-runtime-aws-request-id", id);
            put("lambda-runtime-deadline-ms", deadline.to_string());
            put(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:harness".to_owned(),
            );
            put(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned(),
            );
            put("content-type", "application/json".to_owned());
            return (StatusCode::OK, headers, event);
        }
        notified.await;
    }
}

fn deliver(shared: &Shared, id: &str, body: Bytes, is_error: bool) -> StatusCode {
    let at = Instant::now();
    match lock(&shared.waiting).remove(id) {
        Some(tx) => {
            // The invoker may have timed out and gone: nothing to tell it.
            let _ = tx.send(Reply { body, is_error, at });
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

async fn respond(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    deliver(&shared, &id, body, false)
}

async fn fail(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    deliver(&shared, &id, body, true)
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    *lock(&shared.init_error) = Some(body);
    shared.init_failed.notify_waiters();
    StatusCode::ACCEPTED
}
