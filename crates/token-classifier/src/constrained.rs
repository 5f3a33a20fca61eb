//! BIO-constrained decoding: the most likely label sequence in which every
//! `I-X` continues a `B-X` or `I-X`.
//!
//! Greedy decoding takes each word's best label on its own, so a model that
//! hesitates between types mid-entity writes `B-STREET_ADDRESS I-FAC I-FAC`
//! and the entity falls apart into pieces of different types. This decoder
//! (Viterbi over per-word log-probabilities, no learned transition scores)
//! picks the best sequence that is well formed instead: where the greedy
//! sequence is already well formed the two agree.
//!
//! Only continuations are constrained (`I-X` and `L-X`/`E-X` need a `B-X` or
//! `I-X` before them); a type without a `B-` label (IO schemes) is left free.

use crate::decode::{Tag, parse_label};

/// How a label may follow the previous word's label.
#[derive(Debug, Clone)]
enum Follows {
    /// Any label, or the start of the window.
    Anything,
    /// Only these labels (the `B-` and `I-` of its own type).
    Only(Vec<usize>),
}

/// The allowed predecessors of every label, computed once per pack.
#[derive(Debug, Clone)]
pub struct Transitions {
    follows: Vec<Follows>,
}

impl Transitions {
    pub fn new(labels: &[String]) -> Self {
        let parsed: Vec<(Tag, &str)> = labels.iter().map(|l| parse_label(l)).collect();
        let follows = parsed
            .iter()
            .map(|(tag, kind)| {
                if !matches!(tag, Tag::Inside | Tag::Last) {
                    return Follows::Anything;
                }
                let has_begin = parsed.iter().any(|(t, k)| *t == Tag::Begin && k == kind);
                if !has_begin {
                    return Follows::Anything;
                }
                Follows::Only(
                    parsed
                        .iter()
                        .enumerate()
                        .filter(|(_, (t, k))| matches!(t, Tag::Begin | Tag::Inside) && k == kind)
                        .map(|(i, _)| i)
                        .collect(),
                )
            })
            .collect();
        Self { follows }
    }

    /// The best well-formed label per word. `log_probs` holds one row of
    /// `labels` log-probabilities per word, row after row.
    pub fn best_path(&self, log_probs: &[f32], labels: usize) -> Vec<usize> {
        if labels == 0 || labels != self.follows.len() {
            return Vec::new();
        }
        let words = log_probs.len() / labels;
        if words == 0 {
            return Vec::new();
        }
        let mut back = vec![0usize; words * labels];
        let mut score: Vec<f32> = (0..labels)
            .map(|l| match self.follows[l] {
                Follows::Anything => log_probs[l],
                Follows::Only(_) => f32::NEG_INFINITY,
            })
            .collect();
        let mut next = vec![0f32; labels];
        for w in 1..words {
            let (best_any, best_score) = argmax(&score);
            let row = &log_probs[w * labels..(w + 1) * labels];
            for l in 0..labels {
                let (from, prev) = match &self.follows[l] {
                    Follows::Anything => (best_any, best_score),
                    Follows::Only(allowed) => allowed.iter().map(|&p| (p, score[p])).fold(
                        (best_any, f32::NEG_INFINITY),
                        |acc, c| {
                            if c.1 > acc.1 { c } else { acc }
                        },
                    ),
                };
                back[w * labels + l] = from;
                next[l] = prev + row[l];
            }
            std::mem::swap(&mut score, &mut next);
        }
        let mut path = vec![0usize; words];
        path[words - 1] = argmax(&score).0;
        for w in (1..words).rev() {
            path[w - 1] = back[w * labels + path[w]];
        }
        path
    }
}

/// Index and value of the largest entry (the first on ties; NaN never wins).
fn argmax(values: &[f32]) -> (usize, f32) {
    values
        .iter()
        .copied()
        .enumerate()
        .fold(
            (0, f32::NEG_INFINITY),
            |acc, (i, v)| {
                if v > acc.1 { (i, v) } else { acc }
            },
        )
}

/// Log-softmax of one row of logits.
pub fn log_softmax(logits: &[f32]) -> impl Iterator<Item = f32> + '_ {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let log_total = logits.iter().map(|v| (v - max).exp()).sum::<f32>().ln();
    logits.iter().map(move |v| v - max - log_total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn probs(rows: &[&[f32]]) -> Vec<f32> {
        rows.iter().flat_map(|r| r.iter().map(|p| p.ln())).collect()
    }

    const LABELS: &[&str] = &["O", "B-STREET", "I-STREET", "B-FAC", "I-FAC"];

    #[test]
    fn a_broken_continuation_becomes_one_entity() {
        let t = Transitions::new(&labels(LABELS));
        // Greedy: B-STREET, I-FAC, I-FAC (two pieces of two types).
        let lp = probs(&[
            &[0.05, 0.8, 0.05, 0.05, 0.05],
            &[0.05, 0.05, 0.4, 0.05, 0.45],
            &[0.05, 0.05, 0.4, 0.05, 0.45],
        ]);
        assert_eq!(t.best_path(&lp, 5), vec![1, 2, 2]);
    }

    #[test]
    fn a_well_formed_greedy_sequence_is_kept() {
        let t = Transitions::new(&labels(LABELS));
        let lp = probs(&[
            &[0.1, 0.6, 0.1, 0.1, 0.1],
            &[0.1, 0.1, 0.1, 0.6, 0.1],
            &[0.6, 0.1, 0.1, 0.1, 0.1],
        ]);
        assert_eq!(t.best_path(&lp, 5), vec![1, 3, 0]);
    }

    #[test]
    fn the_first_word_cannot_continue() {
        let t = Transitions::new(&labels(LABELS));
        let lp = probs(&[&[0.3, 0.1, 0.5, 0.05, 0.05]]);
        assert_eq!(t.best_path(&lp, 5), vec![0]);
    }

    #[test]
    fn io_schemes_are_left_free() {
        let t = Transitions::new(&labels(&["O", "I-PER"]));
        let lp = probs(&[&[0.2, 0.8], &[0.3, 0.7]]);
        assert_eq!(t.best_path(&lp, 2), vec![1, 1]);
    }

    #[test]
    fn log_softmax_sums_to_one() {
        let total: f32 = log_softmax(&[1.0, 2.0, 3.0]).map(f32::exp).sum();
        assert!((total - 1.0).abs() < 1e-5);
    }

    proptest::proptest! {
        #[test]
        fn paths_are_well_formed_and_never_panic(
            rows in proptest::collection::vec(proptest::collection::vec(-10f32..10.0, 5), 0..40)
        ) {
            let t = Transitions::new(&labels(LABELS));
            let lp: Vec<f32> = rows.iter().flat_map(|r| log_softmax(r).collect::<Vec<_>>()).collect();
            let path = t.best_path(&lp, 5);
            proptest::prop_assert_eq!(path.len(), rows.len());
            for (i, &l) in path.iter().enumerate() {
                let prev = if i == 0 { None } else { Some(path[i - 1]) };
                match l {
                    2 => proptest::prop_assert!(matches!(prev, Some(1 | 2))),
                    4 => proptest::prop_assert!(matches!(prev, Some(3 | 4))),
                    _ => {}
                }
            }
        }
    }
}
