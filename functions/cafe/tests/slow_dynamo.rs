//! Fault injection between the function and DynamoDB: a proxy in front of the
//! test's dynalite that passes traffic through, delays it, swallows it (a hung
//! network) or answers every call with DynamoDB's throttling error. Slow-but-
//! working DynamoDB still serves; hung or throttling DynamoDB gives a 503 with
//! `Retry-After` well inside the function's 10 s timeout (template.yaml), and
//! nothing is written; when it recovers, the same function serves again.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU8, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use cafe::{AppState, store::Store};
use common::{TOKEN, call, create, endpoint, list_all};
use http::Method;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

const PASS: u8 = 0;
const DELAY: u8 = 1;
const HANG: u8 = 2;
const THROTTLE: u8 = 3;

/// The function's timeout in template.yaml (Globals.Function.Timeout).
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

const THROTTLED: &str = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\",\"message\":\"The level of configured provisioned throughput for the table was exceeded.\"}";

struct FaultProxy {
    mode: Arc<AtomicU8>,
    /// Connections that reached the real server.
    forwarded: Arc<AtomicUsize>,
    endpoint: String,
}

impl FaultProxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let mode = Arc::new(AtomicU8::new(PASS));
        let forwarded = Arc::new(AtomicUsize::new(0));
        let (m, f) = (Arc::clone(&mode), Arc::clone(&forwarded));
        let upstream = upstream.trim_start_matches("http://").to_owned();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let (mode, forwarded, upstream) =
                    (Arc::clone(&m), Arc::clone(&f), upstream.clone());
                tokio::spawn(async move { serve(client, &upstream, &mode, &forwarded).await });
            }
        });
        Self {
            mode,
            forwarded,
            endpoint,
        }
    }

    /// Switches the fault, and gives open connections time to be cut.
    async fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn serve(mut client: TcpStream, upstream: &str, mode: &AtomicU8, forwarded: &AtomicUsize) {
    match mode.load(Ordering::SeqCst) {
        HANG => {
            // Accept and never answer: what a lost network path looks like.
            let mut sink = [0u8; 4096];
            while matches!(client.read(&mut sink).await, Ok(n) if n > 0) {}
        }
        THROTTLE => {
            let mut request = [0u8; 65536];
            let _ = client.read(&mut request).await;
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{THROTTLED}",
                THROTTLED.len()
            );
            let _ = client.write_all(response.as_bytes()).await;
        }
        current => {
            if current == DELAY {
                tokio::time::sleep(Duration::from_millis(400)).await;
            }
            let Ok(mut server) = TcpStream::connect(upstream).await else {
                return;
            };
            forwarded.fetch_add(1, Ordering::SeqCst);
            // The SDK keeps connections alive: cut this one when the mode
            // changes, so the next call meets the new fault.
            let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
            let changed = async {
                while mode.load(Ordering::SeqCst) == current {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            };
            tokio::select! {
                _ = copy => {}
                () = changed => {}
            }
        }
    }
}

fn item(name: &str) -> serde_json::Value {
    json!({"name": name, "price": "3.10", "category": "food"})
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn slow_hung_and_throttling_dynamodb() {
    let proxy = FaultProxy::start(endpoint()).await;
    let table = format!("cafe-faults-{}", std::process::id());
    let store = Store::connect(Some(&proxy.endpoint), &table).await;
    store.ensure_table().await.unwrap();
    let state = AppState::new(store, TOKEN.parse().unwrap(), "EUR".parse().unwrap());
    let app = shared::build_app(cafe::router(state), &shared::config::HttpConfig::default());
    let before = vec![
        create(&app, item("Toast")).await,
        create(&app, item("Soup")).await,
    ];
    let id = before[0]["id"].as_str().unwrap().to_owned();

    // Slow but answering (every new connection waits 400 ms): still served.
    proxy.set(DELAY).await;
    let reply = call(Method::GET, &format!("/items/{id}")).send(&app).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    for (mode, name) in [(HANG, "hung"), (THROTTLE, "throttling")] {
        proxy.set(mode).await;
        let forwarded = proxy.forwarded.load(Ordering::SeqCst);
        let requests = [
            call(Method::GET, "/items"),
            call(Method::GET, &format!("/items/{id}")),
            call(Method::POST, "/items").auth().json(item("Lost")),
            call(Method::PATCH, &format!("/items/{id}"))
                .auth()
                .json(json!({"price": "9.99"})),
            call(Method::DELETE, &format!("/items/{id}")).auth(),
        ];
        for request in requests {
            let started = Instant::now();
            let reply = request.send(&app).await;
            let took = started.elapsed();
            reply.assert_unavailable();
            assert!(
                took < FUNCTION_TIMEOUT,
                "{name}: answered after {took:?}, past the function's timeout"
            );
            assert!(
                !reply.body.to_string().contains("Throughput"),
                "{name}: internals leaked: {}",
                reply.body
            );
        }
        assert_eq!(
            proxy.forwarded.load(Ordering::SeqCst),
            forwarded,
            "{name}: nothing reached DynamoDB"
        );
    }

    proxy.set(PASS).await;
    assert_eq!(
        list_all(&app, "").await,
        before,
        "nothing lost or half-written"
    );
    let after = create(&app, item("Stew")).await;
    assert_eq!(after["name"], "Stew");
}
