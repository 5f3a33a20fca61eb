//! What a request with large recognizers costs inside the function (the real
//! router and layers, in process, no HTTP), next to the plain request: how
//! much of what `scripts/bench-load.sh` measures for the hostile fixtures is
//! the function's own work, and how much is the way in (the harness's API
//! Gateway event, the runtime API). Median of 200 calls each, 15-token text.
//!
//!     cargo run --release -p entities --example request_cost

#![allow(clippy::print_stdout, clippy::unwrap_used)] // a measuring tool

use std::{path::PathBuf, time::Instant};

#[path = "common/in_process.rs"]
mod in_process;

fn root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../..")
}

fn main() {
    let root = root();
    let text = std::fs::read_to_string(root.join("bench/entities/texts/015.txt")).unwrap();
    let text = text.trim();
    let fixture: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("bench/entities/hostile.json")).unwrap())
            .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = in_process::app(entities::Catalog::discover(&root.join("models")));
    let post = |body: String| in_process::post(&app, body);
    runtime.block_on(post(serde_json::json!({ "text": "warm-up" }).to_string()));

    let time = |make: &dyn Fn(usize) -> String| -> f64 {
        let mut runs: Vec<f64> = (0..200)
            .map(|i| {
                let body = make(i);
                let started = Instant::now();
                runtime.block_on(post(body));
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        runs[runs.len() / 2]
    };
    let with = |variant: &str, fresh: bool, i: usize| {
        let mut recognizers = fixture[variant].clone();
        if fresh {
            recognizers[0]["name"] = serde_json::json!(format!("first-use-{i}"));
        }
        serde_json::json!({ "text": text, "recognizers": recognizers }).to_string()
    };
    let plain = time(&|_| serde_json::json!({ "text": text }).to_string());
    println!("| request (15 tokens) | body bytes | p50 in process (ms) | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| plain | {} | {plain:.3} | 1.00 |",
        serde_json::json!({ "text": text }).to_string().len()
    );
    for variant in ["deny_list", "two_patterns", "sixteen_patterns"] {
        for fresh in [false, true] {
            let make = |i: usize| with(variant, fresh, i);
            let bytes = make(0).len();
            let ms = time(&make);
            let how = if fresh { "first use" } else { "cached" };
            println!(
                "| {variant}, {how} | {bytes} | {ms:.3} | {:.2} |",
                ms / plain
            );
        }
    }
}
