//! The national identifiers on the synthetic set: the recorded report is
//! current, every type reaches F1 0.98 and no look-alike is masked.

mod support;

use pii_synthetic::national::{RECORDED_CASES, RECORDED_SEED, TYPES, cases};
use support::national::{pattern_predictions, report};

#[test]
fn recorded_national_quality_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("QUALITY_NATIONAL.md");
    let recorded = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        recorded,
        report(),
        "{} is out of date: run `cargo run -p entities --example national_quality -- --write`",
        path.display()
    );
}

#[test]
fn each_type_reaches_f1_0_98_and_no_look_alike_is_masked() {
    let set = cases(RECORDED_SEED, RECORDED_CASES);
    let found = pattern_predictions(&set, Some(TYPES));
    for (kind, score) in pii_synthetic::score(&set, &found) {
        assert!(score.f1() >= 0.98, "{kind}: F1 {:.3}", score.f1());
    }
    assert_eq!(pii_synthetic::look_alikes_masked(&set, &found).0, 0);
}
