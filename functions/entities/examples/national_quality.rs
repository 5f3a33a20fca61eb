//! Measures the national-identifier recognizers on the synthetic set
//! (`pii_synthetic::national`) and, with `--write`, records the table
//! in functions/entities/QUALITY_NATIONAL.md (checked by the test
//! `recorded_national_quality_is_current`). No model runs: no pack reports
//! these types.
//!
//!     cargo run -p entities --example national_quality -- --write

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a tool: a panic is the failure report

#[path = "../tests/support/national.rs"]
mod national;

fn main() {
    let report = national::report();
    println!("{report}");
    if std::env::args().any(|a| a == "--write") {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("QUALITY_NATIONAL.md");
        std::fs::write(&path, report).unwrap();
        println!("wrote {}", path.display());
    }
}
