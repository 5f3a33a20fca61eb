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
//! ([`unicode_bytes`]): a class's extra size over its ASCII part, multiplied
//! by the copies the pattern makes. That extra size is measured exactly for
//! the classes patterns use most (`WELL_KNOWN_CLASSES`: `\d`, `\w`,
//! `\p{L}`...), once per process, and bounded from above for any other
//! class from its UTF-8 sequences without compiling it ([`utf8_bound`]):
//! compiling a class the process has never met, only to measure it, cost
//! as much as compiling it (0.06-0.1 ms for a class the size of `\w`), and a
//! caller can send new classes with every request.

use std::collections::{HashMap, hash_map::Entry};
use std::sync::Mutex;

use regex_automata::nfa::thompson::{self, State, Transition};
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look};
use regex_syntax::utf8::Utf8Sequences;

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

/// Classes charged so far, by their ranges, with their size over their
/// ASCII part (measured or bounded). Bounded: cleared when full (a caller
/// who sends a new class each time pays for bounding it, about a
/// microsecond per 1 KiB of the bound).
static CLASS_EXTRA_BYTES: Mutex<Option<ChargedClasses>> = Mutex::new(None);
/// Keyed by the ranges' ends in one flat list: hashing a slice of integers
/// is one pass over its bytes (pairs of `char` are hashed one by one, which
/// took a third of charging a new class the size of `\w`).
type ChargedClasses = HashMap<Vec<u32>, usize>;
const CHARGED_CLASSES: usize = 128;

/// The classes charged exactly what they compile to: the ones patterns use
/// most, as written and case-insensitive (`(?i)`). Being a fixed list, what
/// a class is charged never depends on what the process met before. Each
/// comes with its number of ranges and their [`fingerprint`], so that
/// recognising one costs a hash: parsing the list takes about 0.9 ms. The
/// test `the_well_known_table_is_what_regex_syntax_parses` keeps the numbers
/// equal to the classes of the `regex-syntax` in use (its Unicode tables
/// move with its version) and prints the table when they are not.
const WELL_KNOWN_CLASSES: &[(&str, usize, u64)] = &[
    (r"\d", 71, 0x09feb57572a7e020),
    (r"\D", 72, 0x89f9d1e73def1b91),
    (r"\w", 796, 0x7112d3cfad495c10),
    (r"\W", 797, 0x3dfab848ec51d521),
    (r"\s", 10, 0x4d22e8101fe8dd20),
    (r"\S", 11, 0x64465df7940acefd),
    (r".", 2, 0xefc9967f5766a83c),
    (r"(?s:.)", 1, 0x17c2c907cf5d8e60),
    (r"\p{L}", 677, 0xb258b8170c1af890),
    (r"(?i)\p{L}", 678, 0x12e514858a962bda),
    (r"\P{L}", 678, 0x1caa7304a2689239),
    (r"(?i)\P{L}", 679, 0x4eb022d40ae0e177),
    (r"\p{Lu}", 651, 0x2555b9d4c95d5496),
    (r"(?i)\p{Lu}", 176, 0xcbbba220fd888d0d),
    (r"\p{Ll}", 662, 0xc61a86aee5d37f53),
    (r"(?i)\p{Ll}", 144, 0xead15996663b784f),
    (r"\p{N}", 144, 0x7d7143b2be0a9972),
    (r"\p{P}", 198, 0xe41469bf65ec83b6),
    (r"\p{S}", 236, 0x42b2dd5e93a49023),
    (r"[\p{L}\p{N}]", 770, 0x7139c229900f1052),
    (r"(?i)[\p{L}\p{N}]", 771, 0x4fd3c941b3e9cd30),
    (r"[^\p{L}\p{N}]", 771, 0x210e17f29daa2277),
    (r"(?i)[^\p{L}\p{N}]", 772, 0xfe0d4a60a1622d31),
    (r"[\w\s]", 804, 0x4c5b5fe991f45dc1),
    (r"[^\w\s]", 805, 0xd13c8432e24d9548),
];

/// FNV-1a, a word at a time, over the ranges' ends ([`ranges_of`]): a
/// fingerprint to recognise a well-known class by. Two classes that share
/// one are both charged exactly, which costs a compile, never a wrong
/// charge.
fn fingerprint(ends: &[u32]) -> u64 {
    ends.iter().fold(0xcbf2_9ce4_8422_2325, |hash: u64, end| {
        (hash ^ u64::from(*end)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn is_well_known(ends: &[u32]) -> bool {
    // Hashed only when some entry has as many ranges.
    let mut hashed = None;
    WELL_KNOWN_CLASSES.iter().any(|(_, count, expected)| {
        *count * 2 == ends.len() && *hashed.get_or_insert_with(|| fingerprint(ends)) == *expected
    })
}

/// The start and end of every range of `class`, in order.
fn ranges_of(class: &ClassUnicode) -> Vec<u32> {
    class
        .ranges()
        .iter()
        .flat_map(|r| [u32::from(r.start()), u32::from(r.end())])
        .collect()
}

fn nfa_bytes(hir: &Hir, limit: usize) -> Option<usize> {
    thompson::Compiler::new()
        .configure(thompson::Config::new().nfa_size_limit(Some(limit)))
        .build_from_hir(hir)
        .ok()
        .map(|nfa| nfa.memory_usage())
}

/// The heap a state with `transitions` takes in a compiled NFA: one with a
/// single transition keeps it inline, one with more stores them all.
fn state_bytes(transitions: usize) -> usize {
    size_of::<State>()
        + if transitions >= 2 {
            transitions * size_of::<Transition>()
        } else {
            0
        }
}

/// An upper bound on what `class` compiles to in a forward NFA, from its
/// UTF-8 sequences alone, without compiling it.
///
/// Why it is a bound: the Thompson compiler feeds the same sequences, in the
/// same order, into a trie that shares the prefix each one has with the one
/// before, and freezes every node into a state unless an identical state
/// exists already (it shares suffixes too). Each state of the class is
/// therefore one node of that trie with that node's transitions, and this
/// counts every node of the trie, shared suffixes or not. For classes the
/// size of `\w` it is 15-17 % above the real size (`[\w.-]`: 20.0 KiB for
/// 17.1); classes of many short runs share more suffixes and are bounded
/// less tightly (`[\d\p{Sc}]`: 1.6 times), tiny ones up to about 2.3 times
/// (`.`: 536 bytes for 232).
pub(crate) fn utf8_bound(class: &ClassUnicode) -> usize {
    let mut total = 0;
    // The transitions of each node on the path of the last sequence, the
    // root first; a node leaves the path, and is counted, when a sequence
    // no longer shares it.
    let mut path: Vec<usize> = vec![0];
    let mut last = [(0u8, 0u8); 4];
    let mut last_len = 0;
    for range in class.iter() {
        for sequence in Utf8Sequences::new(range.start(), range.end()) {
            let sequence = sequence.as_slice();
            // The shared prefix ends before the last byte range: two
            // sequences of one class never share all their ranges.
            let shared = sequence
                .iter()
                .zip(&last[..last_len])
                .take_while(|(range, last)| (range.start, range.end) == **last)
                .count()
                .min(sequence.len() - 1);
            while path.len() > shared + 1 {
                total += path.pop().map_or(0, state_bytes);
            }
            path[shared] += 1;
            path.extend(std::iter::repeat_n(1, sequence.len() - 1 - shared));
            for (slot, range) in last.iter_mut().zip(sequence) {
                *slot = (range.start, range.end);
            }
            last_len = sequence.len();
        }
    }
    total + path.into_iter().map(state_bytes).sum::<usize>()
}

/// What `class` adds to a program over its ASCII part (exactly for a
/// well-known class, at most [`utf8_bound`] otherwise), or `None` when that
/// is more than `limit`.
fn class_extra_bytes(class: &ClassUnicode, limit: usize) -> Option<usize> {
    if class.ranges().last().is_none_or(|r| r.end().is_ascii()) {
        return Some(0);
    }
    let key = ranges_of(class);
    let mut memo = CLASS_EXTRA_BYTES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let memo = memo.get_or_insert_with(HashMap::new);
    if memo.len() >= CHARGED_CLASSES && !memo.contains_key(&key) {
        memo.clear();
    }
    // One hash of the key, found or not.
    let entry = match memo.entry(key) {
        Entry::Occupied(found) => {
            let bytes = *found.get();
            return (bytes <= limit).then_some(bytes);
        }
        Entry::Vacant(entry) => entry,
    };
    let mut ascii = class.clone();
    ascii.intersect(&ascii_class());
    let extra = if is_well_known(entry.key()) {
        let whole = nfa_bytes(&Hir::class(Class::Unicode(class.clone())), usize::MAX)?;
        let part = nfa_bytes(&Hir::class(Class::Unicode(ascii)), usize::MAX)?;
        whole.saturating_sub(part)
    } else {
        // The ASCII part compiles to one state of its ranges (a failing
        // state when there are none), which the whole class has too.
        utf8_bound(class).saturating_sub(state_bytes(ascii.ranges().len()))
    };
    entry.insert(extra);
    (extra <= limit).then_some(extra)
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
/// ASCII projection (`ascii_bytes`, already compiled): never below what
/// compiling it takes, within a fraction of a percent of it when its classes
/// are well-known, within 20 % when they are large and 1.65 times for the
/// others tested.
/// `None` when it is over `limit`.
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

    /// What compiling `pattern` as written takes, and what it is charged.
    fn actual_and_charged(pattern: &str) -> (usize, usize) {
        let hir = parse(pattern);
        let actual = nfa_bytes(&hir, usize::MAX).unwrap();
        let ascii = nfa_bytes(&project(&hir, &Alphabet::ascii()), usize::MAX).unwrap();
        (actual, unicode_bytes(&hir, ascii, usize::MAX).unwrap())
    }

    #[test]
    fn well_known_classes_are_charged_what_compiling_costs() {
        for pattern in [
            r"\d{1,56}q0",
            r"\w{1,6}",
            r"\bEMP-[A-Z]{2}\d{6}\b",
            r"(?i)\w+@\w+",
            r".{3,9}x",
            r"[\p{L}\p{N}]{1,7}",
            r"(\w+\s){2,5}\d",
            r"((\d){2}){3}",
            r"(?:\d\w|[a-c]\s){2,}",
            r"(?-u:\w){1,100}",
            r"\W+\S\D",
        ] {
            let (actual, charged) = actual_and_charged(pattern);
            let error = (charged as f64 - actual as f64).abs() / actual as f64;
            assert!(error < 0.01, "{pattern}: {charged} for {actual}");
        }
    }

    #[test]
    fn other_classes_are_charged_a_bound_close_to_what_compiling_costs() {
        // The bound is tightest for large classes, whose transitions are
        // most of their size, and loosest for classes of many short runs.
        for (pattern, most_over) in [
            (r"[\w.-]+@[\w-]+\.[\w.]{2,}", 1.2),
            (r"[\w☃]{1,6}", 1.2),
            (r"(?i)straße\s+\d+", 1.01),
            (r"\p{Greek}+|\p{Cyrillic}{2,4}", 1.1),
            (r"[\p{Han}\p{Hiragana}]{2,8}", 1.45),
            (r"[\d\p{Sc}]{1,12}", 1.6),
            (r"[^a-z]{4}", 1.65),
        ] {
            let (actual, charged) = actual_and_charged(pattern);
            let over = charged as f64 / actual as f64;
            assert!(
                (1.0..most_over).contains(&over),
                "{pattern}: {charged} for {actual}"
            );
        }
    }

    #[test]
    fn the_well_known_table_is_what_regex_syntax_parses() {
        let classes = [
            r"\d",
            r"\D",
            r"\w",
            r"\W",
            r"\s",
            r"\S",
            r".",
            r"(?s:.)",
            r"\p{L}",
            r"\P{L}",
            r"\p{Lu}",
            r"\p{Ll}",
            r"\p{N}",
            r"\p{P}",
            r"\p{S}",
            r"[\p{L}\p{N}]",
            r"[^\p{L}\p{N}]",
            r"[\w\s]",
            r"[^\w\s]",
        ];
        let mut table = Vec::new();
        for class in classes {
            for pattern in [class.to_owned(), format!("(?i){class}")] {
                let HirKind::Class(Class::Unicode(parsed)) = parse(&pattern).into_kind() else {
                    panic!("{pattern} is not a class")
                };
                let ends = ranges_of(&parsed);
                let entry = (ends.len() / 2, fingerprint(&ends));
                // Case-insensitive forms that are the same class once.
                if !table
                    .iter()
                    .any(|(_, count, print)| (*count, *print) == entry)
                {
                    table.push((pattern, entry.0, entry.1));
                }
            }
        }
        let expected: Vec<(String, usize, u64)> = WELL_KNOWN_CLASSES
            .iter()
            .map(|(p, c, f)| ((*p).to_owned(), *c, *f))
            .collect();
        let printed: String = table
            .iter()
            .map(|(p, c, f)| format!("    (r\"{p}\", {c}, 0x{f:016x}),\n"))
            .collect();
        assert_eq!(expected, table, "the table should be:\n{printed}");
    }

    fn class_from(ranges: &[(u32, u32)]) -> ClassUnicode {
        ClassUnicode::new(ranges.iter().map(|&(start, len)| {
            let start = char::from_u32(start).unwrap_or('a');
            let end = char::from_u32(u32::from(start).saturating_add(len)).unwrap_or(start);
            ClassUnicodeRange::new(start, end)
        }))
    }

    proptest::proptest! {
        /// Whatever the class, the bound is never below what compiling it
        /// adds over its ASCII part.
        #[test]
        fn the_bound_is_never_below_what_compiling_adds(
            ranges in proptest::collection::vec((0u32..0x11_0000, 0u32..3_000), 1..40),
        ) {
            let class = class_from(&ranges);
            let mut ascii = class.clone();
            ascii.intersect(&ascii_class());
            let whole = nfa_bytes(&Hir::class(Class::Unicode(class.clone())), usize::MAX).unwrap();
            let part = nfa_bytes(&Hir::class(Class::Unicode(ascii.clone())), usize::MAX).unwrap();
            let bound = utf8_bound(&class).saturating_sub(state_bytes(ascii.ranges().len()));
            proptest::prop_assert!(bound >= whole.saturating_sub(part), "{bound} < {whole} - {part}");
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
