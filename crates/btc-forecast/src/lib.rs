//! A trained Bitcoin forecasting model as the functions see it.
//!
//! The layer under both sides: `training/btc` (`btc-training`) fits models and
//! writes [`ModelMeta`]; `predict`, `train` and `btc-store` read it. Nothing
//! here fits anything, and nothing here is an HTTP type: the functions map
//! these stored types onto their own response types, so renaming a stored
//! field is a compile error in that mapping, never a silent API change.
//!
//! - [`series`]: a gap-free daily series, its dates, and safe merging of new rows;
//! - [`meta`]: the stored metadata of a model (`config.json`, published versions)
//!   and the check a reader runs before serving it;
//! - [`interval`]: recent volatility and the calibrated interval around a forecast.

pub mod interval;
pub mod meta;
pub mod series;

pub use meta::{LEVELS, META_FORMAT, ModelMeta};
pub use series::DailySeries;

/// The bundled data set (see `data/SOURCE.md`): what training fits on, and
/// the history the functions serve before any close is posted.
pub const BUNDLED_CSV: &str = include_str!("../data/btc_usd_daily_close.csv");

/// The bundled data set, parsed. It is part of the binary and a test checks it
/// parses, so the empty fallback (which a function would serve as "no history")
/// is never reached from a request.
pub fn bundled_history() -> DailySeries {
    DailySeries::from_csv(BUNDLED_CSV).unwrap_or(DailySeries {
        start: time::Date::MIN,
        closes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_history_parses_and_is_not_empty() {
        let series = super::DailySeries::from_csv(super::BUNDLED_CSV).unwrap();
        assert!(series.len() > 5_000);
        assert_eq!(super::bundled_history(), series);
    }
}
