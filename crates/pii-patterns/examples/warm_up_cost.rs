//! What `warm_up` costs in a fresh process, against the phone library's own
//! full database (the cold-start item this crate's per-code metadata cuts).
//!
//!     taskset -c 0 cargo run --release -p pii-patterns --example warm_up_cost          # ours
//!     taskset -c 0 cargo run --release -p pii-patterns --example warm_up_cost -- full  # the library's

#![allow(clippy::print_stdout)] // a measuring tool

use std::time::Instant;

fn main() {
    let full = std::env::args().any(|a| a == "full");
    let started = Instant::now();
    if full {
        let number = phonenumber::parse(Some(phonenumber::country::Id::US), "415 555 2671");
        assert!(number.is_ok_and(|n| phonenumber::is_valid(&n)));
    } else {
        pii_patterns::warm_up();
    }
    let first = started.elapsed();
    let started = Instant::now();
    let international = pii_patterns::valid_phone("+44 20 7946 0958");
    println!(
        "{}: {:.1} ms; then a first +44 number: {:.2} ms ({international})",
        if full {
            "phonenumber's full database, first US number"
        } else {
            "pii_patterns::warm_up"
        },
        first.as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64() * 1e3,
    );
}
