//! A gap-free daily price series, and merging new rows into it safely.

use time::{Date, Duration, format_description::well_known::Iso8601, macros::format_description};

/// Closing prices for consecutive days starting at `start`.
#[derive(Debug, Clone, PartialEq)]
pub struct DailySeries {
    pub start: Date,
    pub closes: Vec<f64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SeriesError {
    #[error("line {line}: {reason}")]
    Csv { line: usize, reason: String },
    #[error("row {index}: the close must be a finite positive number")]
    NotPositive { index: usize },
    #[error("row {index}: {date} is already known with close {known}, which this row contradicts")]
    Disagrees {
        index: usize,
        date: Date,
        known: f64,
    },
    #[error("row {index}: {date} leaves a gap; the next day the series needs is {expected}")]
    Gap {
        index: usize,
        date: Date,
        expected: Date,
    },
    #[error("row {index}: {date} appears twice with different closes")]
    Duplicate { index: usize, date: Date },
    #[error("the series is empty")]
    Empty,
}

/// Closes equal to within this relative tolerance are the same observation.
const SAME_CLOSE: f64 = 1e-9;

pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

pub fn format_date(date: Date) -> String {
    date.format(&Iso8601::DATE).unwrap_or_default()
}

impl DailySeries {
    /// Parses `date,usd_close` CSV with a header, one row per consecutive day.
    pub fn from_csv(text: &str) -> Result<Self, SeriesError> {
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, header)) if header.trim() == "date,usd_close" => {}
            _ => {
                return Err(SeriesError::Csv {
                    line: 1,
                    reason: "expected the header `date,usd_close`".into(),
                });
            }
        }
        let mut start = None;
        let mut closes = Vec::new();
        for (number, line) in lines {
            let line_no = number + 1;
            if line.trim().is_empty() {
                continue;
            }
            let csv_err = |reason: &str| SeriesError::Csv {
                line: line_no,
                reason: reason.into(),
            };
            let (date, close) = line
                .split_once(',')
                .ok_or_else(|| csv_err("expected two columns"))?;
            let date = parse_date(date.trim()).ok_or_else(|| csv_err("bad date"))?;
            let close: f64 = close.trim().parse().map_err(|_| csv_err("bad close"))?;
            if !(close.is_finite() && close > 0.0) {
                return Err(csv_err("close must be positive"));
            }
            let start = *start.get_or_insert(date);
            let expected = start + Duration::days(closes.len() as i64);
            if date != expected {
                return Err(csv_err(&format!(
                    "expected {expected}: rows must be consecutive days"
                )));
            }
            closes.push(close);
        }
        let start = start.ok_or(SeriesError::Empty)?;
        Ok(Self { start, closes })
    }

    pub fn to_csv(&self) -> String {
        let mut out = String::from("date,usd_close\n");
        for (i, close) in self.closes.iter().enumerate() {
            out.push_str(&format!("{},{close}\n", format_date(self.date_at(i))));
        }
        out
    }

    pub fn len(&self) -> usize {
        self.closes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.closes.is_empty()
    }

    pub fn date_at(&self, index: usize) -> Date {
        self.start + Duration::days(index as i64)
    }

    pub fn end(&self) -> Date {
        self.date_at(self.len().saturating_sub(1))
    }

    /// Index of `date`, if the series covers it.
    pub fn index_of(&self, date: Date) -> Option<usize> {
        let offset = (date - self.start).whole_days();
        usize::try_from(offset).ok().filter(|i| *i < self.len())
    }

    /// The series with `rows` added. Rows on known days must agree with what is
    /// known; new days must extend the series without a gap. Nothing is changed
    /// when any row is refused.
    pub fn merged(&self, rows: &[(Date, f64)]) -> Result<Self, SeriesError> {
        let mut sorted: Vec<(usize, Date, f64)> = rows
            .iter()
            .enumerate()
            .map(|(i, (d, c))| (i, *d, *c))
            .collect();
        for (index, _, close) in &sorted {
            if !(close.is_finite() && *close > 0.0) {
                return Err(SeriesError::NotPositive { index: *index });
            }
        }
        sorted.sort_by_key(|(_, date, _)| *date);
        let mut merged = self.clone();
        let mut previous: Option<(Date, f64)> = None;
        for (index, date, close) in sorted {
            if let Some((prev_date, prev_close)) = previous
                && prev_date == date
            {
                if !same(prev_close, close) {
                    return Err(SeriesError::Duplicate { index, date });
                }
                continue;
            }
            previous = Some((date, close));
            if let Some(known_index) = merged.index_of(date) {
                let known = merged.closes[known_index];
                if !same(known, close) {
                    return Err(SeriesError::Disagrees { index, date, known });
                }
            } else if date < merged.start {
                return Err(SeriesError::Gap {
                    index,
                    date,
                    expected: merged.end() + Duration::days(1),
                });
            } else {
                let expected = merged.end() + Duration::days(1);
                if date != expected {
                    return Err(SeriesError::Gap {
                        index,
                        date,
                        expected,
                    });
                }
                merged.closes.push(close);
            }
        }
        Ok(merged)
    }
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= SAME_CLOSE * a.abs().max(b.abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn series() -> DailySeries {
        DailySeries::from_csv("date,usd_close\n2024-01-01,100\n2024-01-02,101\n2024-01-03,99.5\n")
            .unwrap()
    }

    #[test]
    fn parses_and_round_trips() {
        let s = series();
        assert_eq!(s.start, date!(2024 - 01 - 01));
        assert_eq!(s.end(), date!(2024 - 01 - 03));
        assert_eq!(DailySeries::from_csv(&s.to_csv()).unwrap(), s);
        assert!(DailySeries::from_csv("date,usd_close\n2024-01-01,1\n2024-01-03,2\n").is_err());
        assert!(DailySeries::from_csv("date,usd_close\n2024-01-01,-1\n").is_err());
    }

    #[test]
    fn merging_extends_agrees_or_refuses() {
        let s = series();
        let merged = s
            .merged(&[
                (date!(2024 - 01 - 05), 103.0),
                (date!(2024 - 01 - 04), 102.0),
            ])
            .unwrap();
        assert_eq!(merged.closes, vec![100.0, 101.0, 99.5, 102.0, 103.0]);
        // Re-sending known rows is harmless.
        assert_eq!(s.merged(&[(date!(2024 - 01 - 02), 101.0)]).unwrap(), s);
        assert_eq!(
            s.merged(&[(date!(2024 - 01 - 02), 150.0)]),
            Err(SeriesError::Disagrees {
                index: 0,
                date: date!(2024 - 01 - 02),
                known: 101.0
            })
        );
        assert!(matches!(
            s.merged(&[(date!(2024 - 01 - 06), 1.0)]),
            Err(SeriesError::Gap { .. })
        ));
        assert!(matches!(
            s.merged(&[(date!(2023 - 12 - 01), 1.0)]),
            Err(SeriesError::Gap { .. })
        ));
        assert!(matches!(
            s.merged(&[(date!(2024 - 01 - 04), 0.0)]),
            Err(SeriesError::NotPositive { index: 0 })
        ));
        assert!(matches!(
            s.merged(&[(date!(2024 - 01 - 04), 1.0), (date!(2024 - 01 - 04), 2.0)]),
            Err(SeriesError::Duplicate { .. })
        ));
    }
}
