//! What the worst patterns and deny lists a request may bring cost, next to
//! the built-in recognizers over the same text (what every request pays).
//! Each row compiles the recognizer and runs it over the text, median of 7.
//!
//!     taskset -c 0 cargo run --release -p pii-patterns --example hostile_cost
//!     cargo run --release -p pii-patterns --example hostile_cost -- --fixture
//!     cargo run --release -p pii-patterns --example hostile_cost -- --first-use
//!
//! `--fixture` prints the request recognizers that bench/entities/hostile.json
//! holds (what scripts/bench-load.sh sends): the largest deny list, and the
//! most expensive patterns that fit when a request brings 2 and when it
//! brings 16. `--first-use` times those sets compiled and run once over the
//! load benchmark's texts (bench/entities/texts), and as many patterns as fit
//! whose Unicode classes the process has never seen (each run new ones);
//! then the largest Unicode patterns meeting short texts that are not ASCII.

#![allow(clippy::print_stdout, clippy::unwrap_used)] // a measuring tool

use std::sync::atomic::{AtomicU32, Ordering};
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

/// `count` distinct copies of `pattern` (`{pattern}q{i}`), as a request
/// would bring them.
fn copies(pattern: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{pattern}q{i}")).collect()
}

/// Do `count` copies of `pattern` compile within one request's budget?
fn fit(pattern: &str, count: usize) -> bool {
    let mut budget = custom::CompileBudget::default();
    copies(pattern, count)
        .iter()
        .all(|p| budget.compile(p).is_ok())
}

/// The longest `{1,n}` repetition of `unit` of which `count` copies fit
/// (`None` when `unit` alone does not).
fn largest_repetition_within(unit: &str, count: usize) -> Option<String> {
    let (mut low, mut high) = (0usize, 10_000usize);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if fit(&format!("{unit}{{1,{mid}}}"), count) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    (low > 0).then(|| format!("{unit}{{1,{low}}}"))
}

/// The slowest-compiling pattern of which `count` copies fit.
fn costliest_within(count: usize) -> String {
    [r"(?-u:\w)", r"[\p{L}\p{N}]", r"\w", r"\d"]
        .iter()
        .filter_map(|unit| largest_repetition_within(unit, count))
        .map(|p| {
            let ms = time(|| {
                let mut budget = custom::CompileBudget::default();
                for copy in copies(&p, count) {
                    std::hint::black_box(budget.compile(&copy).unwrap());
                }
            });
            (p, ms)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(p, _)| p)
        .unwrap()
}

/// The fixture's deny list: the most entries, the most characters in all.
fn hostile_deny_list() -> Vec<String> {
    (0..custom::MAX_DENY_ENTRIES)
        .map(|i| format!("Zoë{i:04}abcdefghijkl"))
        .collect()
}

/// The fixture's patterns when a request brings `count`: the costliest that
/// fits its share of the compiled size, made distinct.
fn hostile_patterns(count: usize) -> Vec<String> {
    copies(&costliest_within(count), count)
}

fn fixture() {
    let patterns = |count: usize| -> serde_json::Value {
        serde_json::Value::Array(
            hostile_patterns(count)
                .iter()
                .enumerate()
                .map(|(i, regex)| serde_json::json!({"name": format!("p{i}"), "regex": regex}))
                .collect(),
        )
    };
    let fixture = serde_json::json!({
        "deny_list": [{"type": "HOSTILE_LIST", "deny_list": hostile_deny_list()}],
        "two_patterns": [{"type": "HOSTILE", "patterns": patterns(2)}],
        "sixteen_patterns": [{"type": "HOSTILE", "patterns": patterns(16)}],
        "new_unicode_classes": [{"type": "HOSTILE", "patterns": new_unicode_class_templates()}],
    });
    println!("{}", serde_json::to_string_pretty(&fixture).unwrap());
}

/// Symbols that are not word characters (arrows, mathematical operators),
/// handed out once each.
static NEXT_SYMBOL: AtomicU32 = AtomicU32::new(0x2190);

/// `count` patterns `[\w<symbol>]q<i>`, each with a symbol never used
/// before: Unicode classes the process has not measured yet (a caller who
/// sends new classes with every request pays for measuring each).
fn new_unicode_classes(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let symbol = char::from_u32(NEXT_SYMBOL.fetch_add(1, Ordering::Relaxed)).unwrap();
            format!("[\\w{symbol}]q{i}")
        })
        .collect()
}

/// The fixture's patterns with Unicode classes never met before: as many
/// `[\w__U__<symbol>]q<i>` as fit, where bench/load/fresh.lua makes `__U__`
/// two private-use characters that no other request has, so that every
/// request brings classes the process has not charged yet.
fn new_unicode_class_templates() -> Vec<serde_json::Value> {
    let template = |i: u32| {
        let symbol = char::from_u32(0x2190 + i).unwrap();
        format!("[\\w__U__{symbol}]q{i}")
    };
    // Private-use characters from U+E000 to U+F8FF, as fresh.lua puts them
    // in: as many as fit whichever two they are (the first and last of each
    // lead byte's block, and the ends).
    let pairs = [
        ('\u{E000}', '\u{E001}'),
        ('\u{E03F}', '\u{E040}'),
        ('\u{EFFF}', '\u{F000}'),
        ('\u{F8FE}', '\u{F8FF}'),
        ('\u{E000}', '\u{F8FF}'),
    ];
    let fitting = pairs
        .iter()
        .map(|(a, b)| {
            let mut budget = custom::CompileBudget::default();
            (0..custom::MAX_PATTERNS as u32)
                .take_while(|i| {
                    let pattern = template(*i).replace("__U__", &format!("{a}{b}"));
                    budget.compile(&pattern).is_ok()
                })
                .count()
        })
        .min()
        .unwrap() as u32;
    (0..fitting)
        .map(|i| serde_json::json!({"name": format!("p{i}"), "regex": template(i)}))
        .collect()
}

/// How many of those fit one request's budget.
fn new_unicode_classes_that_fit() -> usize {
    let mut budget = custom::CompileBudget::default();
    new_unicode_classes(custom::MAX_PATTERNS)
        .iter()
        .take_while(|p| budget.compile(p).is_ok())
        .count()
}

/// What the fixture's sets cost on first use (compiled, then run once) over
/// the benchmark's texts, next to the built-in recognizers over the same
/// text: the part of a request's time they add when the compiled-set cache
/// does not have them.
fn first_use() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/entities/texts");
    let deny = hostile_deny_list();
    let sets: Vec<(&str, usize)> = vec![
        ("deny list", 0),
        ("two patterns", 2),
        ("sixteen patterns", 16),
        ("new Unicode classes", usize::MAX),
    ];
    println!("| text | set | first use (ms) | built-in recognizers (ms) |");
    println!("|---|---|---|---|");
    for tokens in ["015", "120", "420"] {
        let text = std::fs::read_to_string(root.join(format!("{tokens}.txt"))).unwrap();
        let text = text.trim();
        pii_patterns::warm_up();
        let builtin = time(|| {
            std::hint::black_box(pii_patterns::find_all(text));
        });
        for (label, count) in &sets {
            let fixed = match *count {
                0 => vec![],
                usize::MAX => new_unicode_classes(new_unicode_classes_that_fit()),
                _ => hostile_patterns(*count),
            };
            let list: &[String] = if *count == 0 { &deny } else { &[] };
            let mut runs = (0..7).map(|_| {
                if *count == usize::MAX {
                    new_unicode_classes(fixed.len())
                } else {
                    fixed.clone()
                }
            });
            let ms = time(|| {
                let mut budget = custom::CompileBudget::default();
                let sources = runs.next().unwrap_or_default();
                let patterns = sources
                    .iter()
                    .enumerate()
                    .map(|(i, source)| CustomPattern {
                        name: format!("p{i}"),
                        regex: budget.compile(source).unwrap(),
                        score: 0.5,
                    })
                    .collect();
                let recognizer = CustomRecognizer::new(
                    "hostile".into(),
                    "HOSTILE".into(),
                    list,
                    1.0,
                    patterns,
                    &[],
                );
                std::hint::black_box(recognizer.find(text));
            });
            println!(
                "| {} tokens ({} bytes) | {label} ({} patterns) | {ms:.2} | {builtin:.2} |",
                tokens.trim_start_matches('0'),
                text.len(),
                fixed.len()
            );
        }
    }
}

/// A set already compiled (the cache has it) meeting short texts that are
/// not ASCII, one after another: the costliest Unicode patterns as written
/// that fit, which such texts could make the function build. Each row is a
/// new set's first, second and third such text, median of 7 sets.
fn texts_not_ascii() {
    let texts = [
        "Please send the invoice to Zoë Doe at 12 Baker Street before Friday.",
        "Herr Müller wohnt in der Hauptstraße 5, nicht in Köln.",
        "José Núñez paid 120 € at the café on Friday.",
    ];
    println!("| cached set | 1st text (ms) | 2nd text (ms) | 3rd text (ms) |");
    println!("|---|---|---|---|");
    for unit in [r"\w", r"[\p{L}\p{N}]", r"\d"] {
        let Some(pattern) = largest_repetition_within(unit, 1) else {
            continue;
        };
        let mut runs: [Vec<Duration>; 3] = Default::default();
        for i in 0..7 {
            let compiled = custom::compile_pattern(&format!("{pattern}q{i}")).unwrap();
            for (run, text) in runs.iter_mut().zip(texts) {
                let started = Instant::now();
                std::hint::black_box(compiled.find_all(text));
                run.push(started.elapsed());
            }
        }
        let [first, second, third] = runs.map(median);
        println!("| `{pattern}` | {first:.3} | {second:.3} | {third:.3} |");
    }
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
    if std::env::args().any(|a| a == "--fixture") {
        fixture();
        return;
    }
    if std::env::args().any(|a| a == "--first-use") {
        first_use();
        println!();
        texts_not_ascii();
        return;
    }
    let mut hostile: Vec<(String, String)> = vec![
        ("nested quantifiers".into(), "(a+)+$".into()),
        ("alternation under a star".into(), "(a|aa)*b".into()),
        ("dot stars".into(), ".*.*.*=.*".into()),
        ("Unicode word boundaries".into(), r"\b\w+\b".into()),
    ];
    for unit in [r"(?-u:\w)", r"[\p{L}\p{N}]", r"\w"] {
        hostile.push((
            format!("largest repetition of {unit}"),
            largest_repetition_within(unit, 1).unwrap(),
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
                );
                std::hint::black_box(recognizer.find(&text));
            });
            rows.push((format!("`{pattern}` ({name})"), ms));
        }
        let ms = time(|| {
            let recognizer =
                CustomRecognizer::new("deny".into(), "DENY".into(), &words, 1.0, vec![], &[]);
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
