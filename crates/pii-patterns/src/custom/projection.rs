//! A pattern cut down to the characters a text can hold, and what the
//! pattern as written would cost to compile, without compiling it.
//!
//! Why: compiling a Unicode class is what a caller's pattern costs on first
//! use. `\d` compiles to about 70 byte ranges and `\w` to over 700, and the
//! Thompson compiler builds them again for every copy a counted repetition
//! makes (`\d{1,56}` compiles `\d` 56 times: 0.7 ms). A text of only ASCII
//! characters never meets the rest of a class, so intersecting every class
//! with ASCII gives a program that finds exactly the same matches in it, at a
//! few percent of the size. The same holds for any text and the characters it
//! contains. The request's budget still charges the program as written
//! ([`unicode_bytes`]): a class's extra size over its ASCII part is measured
//! once, on the class alone, and multiplied by the copies the pattern makes.

use std::collections::HashMap;
use std::sync::Mutex;

use regex_automata::nfa::thompson;
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look};

/// Characters a text may hold: ASCII, plus `extra` when it is not empty.
pub(crate) struct Alphabet {
    chars: ClassUnicode,
    ascii_only: bool,
}

fn ascii_class() -> ClassUnicode {
    ClassUnicode::new([ClassUnicodeRange::new('\0', '\x7f')])
}

impl Alphabet {
    pub(crate) fn ascii() -> Self {
        Self {
            chars: ascii_class(),
            ascii_only: true,
        }
    }

    /// ASCII and every character of `text`.
    pub(crate) fn of(text: &str) -> Self {
        let mut extra: Vec<char> = text.chars().filter(|c| !c.is_ascii()).collect();
        if extra.is_empty() {
            return Self::ascii();
        }
        extra.sort_unstable();
        extra.dedup();
        let mut chars = ClassUnicode::new(extra.into_iter().map(|c| ClassUnicodeRange::new(c, c)));
        chars.union(&ascii_class());
        Self {
            chars,
            ascii_only: false,
        }
    }
}

/// `hir` with every class intersected with `alphabet`: on a text whose
/// characters are all in the alphabet, the same matches at the same places.
/// Over ASCII only, Unicode word boundaries become ASCII ones too (the same
/// test on ASCII characters, and the engines' faster one).
pub(crate) fn project(hir: &Hir, alphabet: &Alphabet) -> Hir {
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => {
            let mut class = class.clone();
            class.intersect(&alphabet.chars);
            Hir::class(Class::Unicode(class))
        }
        HirKind::Look(look) if alphabet.ascii_only => Hir::look(ascii_look(*look)),
        HirKind::Repetition(repetition) => {
            let mut repetition = repetition.clone();
            repetition.sub = Box::new(project(&repetition.sub, alphabet));
            Hir::repetition(repetition)
        }
        HirKind::Capture(capture) => {
            let mut capture = capture.clone();
            capture.sub = Box::new(project(&capture.sub, alphabet));
            Hir::capture(capture)
        }
        HirKind::Concat(parts) => Hir::concat(parts.iter().map(|p| project(p, alphabet)).collect()),
        HirKind::Alternation(parts) => {
            Hir::alternation(parts.iter().map(|p| project(p, alphabet)).collect())
        }
        // Literals, byte classes (ASCII only in a UTF-8 pattern), the empty
        // expression and the other assertions match the same either way.
        _ => hir.clone(),
    }
}

fn ascii_look(look: Look) -> Look {
    match look {
        Look::WordUnicode => Look::WordAscii,
        Look::WordUnicodeNegate => Look::WordAsciiNegate,
        Look::WordStartUnicode => Look::WordStartAscii,
        Look::WordEndUnicode => Look::WordEndAscii,
        Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
        Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
        other => other,
    }
}

/// How many times the Thompson compiler builds the body of a repetition:
/// `x{n,m}` is `m` copies (`n` required, the rest optional), `x{n,}` is `n`
/// copies with the last one looping (one for `x*`).
fn copies(min: u32, max: Option<u32>) -> usize {
    match max {
        Some(max) => max as usize,
        None => min.max(1) as usize,
    }
}

/// Classes measured so far, by their ranges, with their size over their
/// ASCII part. Bounded: cleared when full (a caller who sends a new class
/// each time pays for measuring it, no more than compiling it once).
static CLASS_EXTRA_BYTES: Mutex<Option<MeasuredClasses>> = Mutex::new(None);
type MeasuredClasses = HashMap<Vec<(char, char)>, usize>;
const MEASURED_CLASSES: usize = 128;

fn nfa_bytes(hir: &Hir, limit: usize) -> Option<usize> {
    thompson::Compiler::new()
        .configure(thompson::Config::new().nfa_size_limit(Some(limit)))
        .build_from_hir(hir)
        .ok()
        .map(|nfa| nfa.memory_usage())
}

/// What `class` adds to a program over its ASCII part, or `None` when that
/// is more than `limit`.
fn class_extra_bytes(class: &ClassUnicode, limit: usize) -> Option<usize> {
    if class.ranges().last().is_none_or(|r| r.end().is_ascii()) {
        return Some(0);
    }
    let key: Vec<(char, char)> = class
        .ranges()
        .iter()
        .map(|r| (r.start(), r.end()))
        .collect();
    let mut memo = CLASS_EXTRA_BYTES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let memo = memo.get_or_insert_with(HashMap::new);
    if let Some(bytes) = memo.get(&key) {
        return Some(*bytes);
    }
    let mut ascii = class.clone();
    ascii.intersect(&ascii_class());
    let whole = nfa_bytes(&Hir::class(Class::Unicode(class.clone())), limit)?;
    let part = nfa_bytes(&Hir::class(Class::Unicode(ascii)), limit)?;
    let extra = whole.saturating_sub(part);
    if memo.len() >= MEASURED_CLASSES {
        memo.clear();
    }
    memo.insert(key, extra);
    Some(extra)
}

/// Bytes the classes of `hir` add over their ASCII parts, counting every
/// copy, or `None` as soon as that passes `limit`.
fn extra_bytes(hir: &Hir, copies_of_this: usize, limit: usize) -> Option<usize> {
    let total = match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => {
            class_extra_bytes(class, limit)?.saturating_mul(copies_of_this)
        }
        HirKind::Repetition(repetition) => extra_bytes(
            &repetition.sub,
            copies_of_this.saturating_mul(copies(repetition.min, repetition.max)),
            limit,
        )?,
        HirKind::Capture(capture) => extra_bytes(&capture.sub, copies_of_this, limit)?,
        HirKind::Concat(parts) | HirKind::Alternation(parts) => {
            let mut sum = 0usize;
            for part in parts {
                sum = sum.saturating_add(extra_bytes(part, copies_of_this, limit)?);
                if sum > limit {
                    return None;
                }
            }
            sum
        }
        _ => 0,
    };
    (total <= limit).then_some(total)
}

/// The size the pattern `hir` compiles to as written, from the size of its
/// ASCII projection (`ascii_bytes`, already compiled): within a fraction of a
/// percent of compiling it (tested). `None` when it is over `limit`.
pub(crate) fn unicode_bytes(hir: &Hir, ascii_bytes: usize, limit: usize) -> Option<usize> {
    let extra = extra_bytes(hir, 1, limit.checked_sub(ascii_bytes)?)?;
    let total = ascii_bytes.saturating_add(extra);
    (total <= limit).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pattern: &str) -> Hir {
        regex_syntax::parse(pattern).unwrap()
    }

    #[test]
    fn ascii_projection_keeps_only_ascii() {
        let hir = project(&parse(r"\w\b"), &Alphabet::ascii());
        let HirKind::Concat(parts) = hir.kind() else {
            panic!("{hir:?}")
        };
        let HirKind::Class(Class::Unicode(class)) = parts[0].kind() else {
            panic!("{hir:?}")
        };
        assert_eq!(class.ranges().len(), 4, "0-9 A-Z _ a-z");
        assert_eq!(parts[1].kind(), &HirKind::Look(Look::WordAscii));
    }

    #[test]
    fn a_texts_alphabet_adds_its_own_characters() {
        let alphabet = Alphabet::of("Zoë and Zoë, Ω");
        assert!(!alphabet.ascii_only);
        let hir = project(&parse(r"\w\b"), &alphabet);
        let HirKind::Concat(parts) = hir.kind() else {
            panic!("{hir:?}")
        };
        let HirKind::Class(Class::Unicode(class)) = parts[0].kind() else {
            panic!("{hir:?}")
        };
        let last: Vec<_> = class.ranges()[4..]
            .iter()
            .map(|r| (r.start(), r.end()))
            .collect();
        assert_eq!(last, [('ë', 'ë'), ('Ω', 'Ω')]);
        // Unicode word boundaries stay: 'ë' is a word character.
        assert_eq!(parts[1].kind(), &HirKind::Look(Look::WordUnicode));
        assert!(Alphabet::of("plain").ascii_only);
    }

    #[test]
    fn repetitions_count_their_copies() {
        assert_eq!(copies(1, Some(56)), 56);
        assert_eq!(copies(0, None), 1);
        assert_eq!(copies(1, None), 1);
        assert_eq!(copies(3, None), 3);
        assert_eq!(copies(2, Some(2)), 2);
    }

    #[test]
    fn the_estimate_is_what_compiling_costs() {
        for pattern in [
            r"\d{1,56}q0",
            r"\w{1,6}",
            r"\bEMP-[A-Z]{2}\d{6}\b",
            r"(?i)\w+@\w+",
            r"(?i)straße\s+\d+",
            r".{3,9}x",
            r"[\p{L}\p{N}]{1,7}",
            r"(\w+\s){2,5}\d",
            r"[^a-z]{4}",
            r"\p{Greek}+|\p{Cyrillic}{2,4}",
            r"((\d){2}){3}",
            r"(?:\d\w|[a-c]\s){2,}",
            r"(?-u:\w){1,100}",
        ] {
            let hir = parse(pattern);
            let actual = nfa_bytes(&hir, usize::MAX).unwrap();
            let ascii = nfa_bytes(&project(&hir, &Alphabet::ascii()), usize::MAX).unwrap();
            let estimate = unicode_bytes(&hir, ascii, usize::MAX).unwrap();
            let error = (estimate as f64 - actual as f64).abs() / actual as f64;
            assert!(error < 0.01, "{pattern}: {estimate} for {actual}");
        }
    }

    #[test]
    fn the_estimate_stops_at_the_limit() {
        let hir = parse(r"\w{1,100}");
        let ascii = nfa_bytes(&project(&hir, &Alphabet::ascii()), usize::MAX).unwrap();
        assert_eq!(unicode_bytes(&hir, ascii, 160 * 1024), None);
        assert_eq!(unicode_bytes(&hir, ascii, ascii - 1), None);
    }
}
