//! One cold container's work in a fresh process: discover the packs under
//! `models/` (or `ENTITIES_BENCH_MODEL_DIR`), load the model, analyse one text through the real router; then
//! print, as one JSON line, the load and first-request times and the process's
//! peak resident memory (`VmHWM`). Used by `scripts/bench-entities.sh`, which
//! also reads the peak from `/usr/bin/time -v`.
//!
//!     cargo run --release -p entities --example peak_memory -- bench/entities/texts/420.txt

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::{path::PathBuf, time::Instant};

#[path = "common/in_process.rs"]
mod in_process;

/// A `kB` field of /proc/self/status (Linux), in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: peak_memory TEXT_FILE");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.trim_end_matches('\n');
    let models = std::env::var_os("ENTITIES_BENCH_MODEL_DIR").map_or_else(
        || {
            // Read at run time when cargo sets it, so a binary built in another
            // checkout sharing the target directory reads this one's packs.
            std::env::var_os("CARGO_MANIFEST_DIR")
                .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
                .join("../../models")
        },
        PathBuf::from,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let started = Instant::now();
    let catalog = entities::Catalog::discover(&models);
    let pack = catalog.packs.first().expect("no model pack in models/");
    runtime.block_on(pack.classifier()).unwrap();
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let rss_after_load_kib = status_kib("VmRSS:");

    let app = in_process::app(catalog);
    let body = serde_json::json!({ "text": text }).to_string();
    let started = Instant::now();
    let bytes = runtime.block_on(in_process::post(&app, body));
    let first_request_ms = started.elapsed().as_secs_f64() * 1e3;
    let response: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let entities = response["entities"].as_array().map_or(0, Vec::len);

    println!(
        "{}",
        serde_json::json!({
            "text": path,
            "chars": text.chars().count(),
            "entities": entities,
            "load_ms": load_ms,
            "first_request_ms": first_request_ms,
            "rss_after_load_kib": rss_after_load_kib,
            "peak_rss_kib": status_kib("VmHWM:"),
        })
    );
}
