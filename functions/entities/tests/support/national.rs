//! The national-identifier report (QUALITY_NATIONAL.md): the synthetic set
//! of `pii_synthetic::national` run through the service's own recognizers.
//! Shared by `tests/national_quality.rs` and `examples/national_quality.rs`
//! (`#[path]`), so the recorded file and its freshness test use one code path.

#![allow(dead_code)] // each includer uses part of it

use std::collections::BTreeMap;

use entities::analyze::{pattern_findings, resolve_overlaps};
use pii_synthetic::{
    Case, Predicted, TypeScore,
    national::{RECORDED_CASES, RECORDED_SEED, TEMPLATE_COUNT, TYPES, cases},
};

/// The built-in recognizers' findings on each case, kept to `types` (all
/// pattern types when `None`) and resolved to one per region, as the service
/// resolves them. No model pack reports these types, so with `types` set to
/// [`TYPES`] this is what a request gets at every model size.
pub fn pattern_predictions(cases: &[Case], types: Option<&[&str]>) -> Vec<Vec<Predicted>> {
    cases
        .iter()
        .map(|case| {
            let candidates = pattern_findings(&case.text, None)
                .into_iter()
                .filter(|f| types.is_none_or(|t| t.contains(&f.entity_type.as_str())))
                .collect();
            resolve_overlaps(candidates)
                .into_iter()
                .map(|f| Predicted {
                    start: f.start,
                    end: f.end,
                    entity_type: f.entity_type,
                })
                .collect()
        })
        .collect()
}

/// The recorded report (functions/entities/QUALITY_NATIONAL.md), from the
/// recorded set.
pub fn report() -> String {
    let cases = cases(RECORDED_SEED, RECORDED_CASES);
    let only = pattern_predictions(&cases, Some(TYPES));
    let scores: BTreeMap<String, TypeScore> = pii_synthetic::score(&cases, &only);
    let (masked, total) = pii_synthetic::look_alikes_masked(&cases, &only);
    let every = pattern_predictions(&cases, None);
    let (masked_every, _) = pii_synthetic::look_alikes_masked(&cases, &every);
    format!(
        "# National identifiers on the synthetic set\n\n\
         Written by `cargo run -p entities --example national_quality -- --write`; the test \
         `recorded_national_quality_is_current` fails when it is out of date. The set: \
         {RECORDED_CASES} sentences (seed {RECORDED_SEED}, `tools/pii-synthetic/src/national.rs`) from {} \
         templates in the countries' languages: valid identifiers made by each format's own rules, \
         and {total} look-alikes (the same shapes with a wrong check character or an impossible \
         birth date, and valid bare numbers with no context word near them). Scored with `types` set to these types: no \
         model reports them, so every `model_size` gives the same figures. Synthetic text is \
         easier than real text: a regression baseline, not accuracy on real data.\n\n{}\n\
         Look-alikes masked: {masked} of {total} with `types` set to these types; {masked_every} \
         of {total} with every pattern type (a bare 3-3-4 number may also be a valid US phone \
         number, a 12-digit one a Maestro card).\n",
        TEMPLATE_COUNT,
        pii_synthetic::table(&scores),
    )
}
