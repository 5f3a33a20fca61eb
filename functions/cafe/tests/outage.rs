//! Fault injection: DynamoDB (a dynalite server of this test's own, on disk)
//! stops in the middle of use and comes back. During the outage every request
//! gets a 503 problem with `Retry-After`; afterwards everything written before
//! is there, nothing attempted during the outage was half-written, and writes
//! work again without restarting the function.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::{
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use cafe::{AppState, store::Store};
use common::{TOKEN, call, create, list_all, repo_root};
use http::Method;
use serde_json::json;

struct Dynalite {
    child: Child,
}

impl Dynalite {
    /// Starts dynalite on `port` with its data under `dir`, ready when its port
    /// accepts connections.
    fn start(port: u16, dir: &Path) -> Self {
        let binary = repo_root().join("node_modules/.bin/dynalite");
        assert!(
            binary.exists(),
            "{} is missing: run ./scripts/test.sh (it runs npm ci)",
            binary.display()
        );
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--createTableMs", "0", "--deleteTableMs", "0"])
            .arg("--path")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dynalite");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "dynalite did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child }
    }

    fn stop(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn item(name: &str) -> serde_json::Value {
    json!({"name": name, "price": "2.50", "category": "drinks"})
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn an_outage_gives_503s_and_loses_nothing() {
    let port = free_port();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("cafe-outage-{}-{port}", std::process::id()));
    let endpoint = format!("http://127.0.0.1:{port}");
    let dynalite = Dynalite::start(port, &dir);

    let store = Store::connect(Some(&endpoint), "cafe-outage").await;
    store.ensure_table().await.unwrap();
    let state = AppState::new(store, TOKEN.parse().unwrap(), "EUR".parse().unwrap());
    let app = shared::build_app(cafe::router(state), &shared::config::HttpConfig::default());

    let mut before = Vec::new();
    for name in ["Tea", "Coffee", "Scone", "Bagel", "Juice"] {
        before.push(create(&app, item(name)).await);
    }
    let first_id = before[0]["id"].as_str().unwrap().to_owned();

    dynalite.stop();
    let during = [
        call(Method::GET, "/items"),
        call(Method::GET, &format!("/items/{first_id}")),
        call(Method::POST, "/items").auth().json(item("Lost")),
        call(Method::PATCH, &format!("/items/{first_id}"))
            .auth()
            .json(json!({"price": "9.99"})),
        call(Method::DELETE, &format!("/items/{first_id}")).auth(),
    ];
    for request in during {
        request.send(&app).await.assert_unavailable();
    }

    let dynalite = Dynalite::start(port, &dir);
    let after = list_all(&app, "").await;
    assert_eq!(
        after, before,
        "every item as it was, and nothing from the outage"
    );
    let created = create(&app, item("Muffin")).await;
    assert_eq!(created["name"], "Muffin");
    assert_eq!(list_all(&app, "").await.len(), 6);

    dynalite.stop();
    std::fs::remove_dir_all(&dir).ok();
}
