//! What the worst patterns and deny lists a request may bring cost, next to
//! the built-in recognizers over the same text (what every request pays).
//! Each row compiles the recognizer and runs it over the text, median of 7.
//!
//!     taskset -c 0 cargo run --release -p pii-patterns --example hostile_cost

#![allow(clippy::print_stdout, clippy::unwrap_used)] // a measuring tool

use std::time::{Duration, Instant};

use pii_patterns::custom::{self, CustomPattern, CustomRecognizer};

fn median(mut runs: Vec<Duration>) -> f64 {
    runs.sort();
    runs[runs.len() / 2].as_secs_f64() * 1e3
}

fn time(mut f: impl FnMut()) -> f64 {
    median(
        (0..7)
            .map(|_| {
                let started = Instant::now();
                f();
                started.elapsed()
            })
            .collect(),
    )
}

/// The longest `{1,n}` repetition of `unit` that compiles under the limit.
fn largest_repetition(unit: &str) -> String {
    let (mut low, mut high) = (1usize, 10_000usize);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if custom::compile_pattern(&format!("{unit}{{1,{mid}}}")).is_ok() {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    format!("{unit}{{1,{low}}}")
}

fn prose(chars: usize, accented: bool) -> String {
    let sentence = if accented {
        "Zoë Müller wrote to José Núñez about the café on Straße 12 in Köln; "
    } else {
        "Jane Doe wrote to John Smith about the cafe on Main Street 12 in Leeds; "
    };
    sentence.chars().cycle().take(chars).collect()
}

fn main() {
    let mut hostile: Vec<(String, String)> = vec![
        ("nested quantifiers".into(), "(a+)+$".into()),
        ("alternation under a star".into(), "(a|aa)*b".into()),
        ("dot stars".into(), ".*.*.*=.*".into()),
        ("Unicode word boundaries".into(), r"\b\w+\b".into()),
    ];
    for unit in [r"(?-u:\w)", r"[\p{L}\p{N}]", r"\w"] {
        hostile.push((
            format!("largest repetition of {unit}"),
            largest_repetition(unit),
        ));
    }
    let words: Vec<String> = (0..custom::MAX_DENY_ENTRIES)
        .map(|i| {
            format!("Zoë{i:04}abcdefghijkl")
                .chars()
                .take(custom::MAX_DENY_CHARS / custom::MAX_DENY_ENTRIES)
                .collect()
        })
        .collect();
    println!("| text | recognizer | compile + run (ms) | built-in recognizers (ms) | ratio |");
    println!("|---|---|---|---|---|");
    for (label, text) in [
        ("1,000 chars, ASCII", prose(1_000, false)),
        ("100,000 chars, ASCII", prose(100_000, false)),
        ("100,000 chars, accented", prose(100_000, true)),
    ] {
        pii_patterns::warm_up();
        let builtin = time(|| {
            std::hint::black_box(pii_patterns::find_all(&text));
        });
        let mut rows: Vec<(String, f64)> = Vec::new();
        for (name, pattern) in &hostile {
            let ms = time(|| {
                let regex = custom::compile_pattern(pattern).unwrap();
                let recognizer = CustomRecognizer::new(
                    "hostile".into(),
                    "HOSTILE".into(),
                    &[] as &[String],
                    1.0,
                    vec![CustomPattern {
                        name: name.clone(),
                        regex,
                        score: 0.5,
                    }],
                    &[] as &[String],
                )
                .unwrap();
                std::hint::black_box(recognizer.find(&text));
            });
            rows.push((format!("`{pattern}` ({name})"), ms));
        }
        let ms = time(|| {
            let recognizer =
                CustomRecognizer::new("deny".into(), "DENY".into(), &words, 1.0, vec![], &[])
                    .unwrap();
            std::hint::black_box(recognizer.find(&text));
        });
        rows.push((
            format!(
                "deny list of {} entries, {} chars in all",
                words.len(),
                words.iter().map(|w| w.chars().count()).sum::<usize>()
            ),
            ms,
        ));
        for (name, ms) in rows {
            println!(
                "| {label} | {name} | {ms:.2} | {builtin:.2} | {:.2} |",
                ms / builtin
            );
        }
    }
}
