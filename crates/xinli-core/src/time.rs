use chrono::{DateTime, NaiveDate, NaiveDateTime};
use std::fmt;

/// Why a string could not become a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a timestamp: {raw:?} (expected RFC 3339, `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD`)")]
pub struct TimestampError {
    pub raw: String,
}

/// An instant in UTC, to the second. Timestamps without a zone are read as UTC: shops export
/// local wall-clock times, and for day-level customer-base models only the calendar day matters.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Timestamp(i64);

const SECONDS_PER_DAY: i64 = 86_400;

impl Timestamp {
    /// Accepts RFC 3339 (`2011-12-09T12:50:00Z`, with any offset), `YYYY-MM-DD HH:MM:SS[.fff]`,
    /// `YYYY-MM-DDTHH:MM:SS`, `YYYY-MM-DD`, and the same with `/` as date separator.
    pub fn parse(raw: &str) -> Result<Self, TimestampError> {
        let s = raw.trim();
        let err = || TimestampError { raw: raw.to_string() };
        if s.len() < 8 || s.len() > 40 {
            return Err(err());
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(Timestamp(dt.timestamp()));
        }
        let normalised = s.replace('/', "-");
        for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(&normalised, format) {
                return Ok(Timestamp(dt.and_utc().timestamp()));
            }
        }
        if let Ok(date) = NaiveDate::parse_from_str(&normalised, "%Y-%m-%d") {
            return Ok(Self::from_date(date));
        }
        Err(err())
    }

    /// `YYYYMMDD`, as in the CDNOW files.
    pub fn parse_compact_date(raw: &str) -> Result<Self, TimestampError> {
        NaiveDate::parse_from_str(raw.trim(), "%Y%m%d")
            .map(Self::from_date)
            .map_err(|_| TimestampError { raw: raw.to_string() })
    }

    pub fn from_unix_seconds(seconds: i64) -> Self {
        Timestamp(seconds)
    }

    pub fn from_date(date: NaiveDate) -> Self {
        Timestamp(date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp())
    }

    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Whole days since 1970-01-01 (floor), the index customer-base models count in.
    pub fn day_index(self) -> i64 {
        self.0.div_euclid(SECONDS_PER_DAY)
    }

    /// The last second of this timestamp's calendar day: a calibration end given as a date
    /// includes that whole day.
    pub fn end_of_day(self) -> Self {
        Timestamp((self.day_index() + 1) * SECONDS_PER_DAY - 1)
    }

    pub fn date(self) -> NaiveDate {
        DateTime::from_timestamp(self.0, 0)
            .map(|dt| dt.date_naive())
            .unwrap_or(NaiveDate::MIN)
    }

    pub fn add_days(self, days: i64) -> Self {
        Timestamp(self.0 + days * SECONDS_PER_DAY)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match DateTime::from_timestamp(self.0, 0) {
            Some(dt) => write!(f, "{}", dt.format("%Y-%m-%d %H:%M:%S")),
            None => write!(f, "@{}", self.0),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

/// The unit customer-base models measure recency and age in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Days,
    /// Weeks of 7 days: a span in weeks is its number of days divided by 7 (lifetimes' convention
    /// for the CDNOW summaries).
    Weeks,
}

impl TimeUnit {
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
        }
    }
    /// A number of whole days expressed in this unit.
    pub fn from_days(self, days: i64) -> f64 {
        days as f64 / self.days()
    }
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
        }
    }
}

impl std::str::FromStr for TimeUnit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "d" | "day" | "days" => Ok(TimeUnit::Days),
            "w" | "week" | "weeks" => Ok(TimeUnit::Weeks),
            other => Err(format!("unknown time unit {other:?} (use days or weeks)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_format() {
        let base = Timestamp::parse("2011-12-09 12:50:00").unwrap();
        assert_eq!(Timestamp::parse("2011-12-09T12:50:00Z").unwrap(), base);
        assert_eq!(Timestamp::parse("2011-12-09T20:50:00+08:00").unwrap(), base);
        assert_eq!(Timestamp::parse("2011/12/09 12:50:00").unwrap(), base);
        assert_eq!(Timestamp::parse("2011-12-09 12:50").unwrap(), base);
        let day = Timestamp::parse("2011-12-09").unwrap();
        assert_eq!(day.day_index(), base.day_index());
        assert_eq!(Timestamp::parse_compact_date("19970101").unwrap().to_string(), "1997-01-01 00:00:00");
        assert!(Timestamp::parse("2011-13-40").is_err());
        assert!(Timestamp::parse("yesterday").is_err());
        assert_eq!(day.end_of_day().to_string(), "2011-12-09 23:59:59");
    }

    #[test]
    fn weeks_are_days_over_seven() {
        assert!((TimeUnit::Weeks.from_days(213) - 30.428_571).abs() < 1e-5);
        assert_eq!("weeks".parse::<TimeUnit>().unwrap(), TimeUnit::Weeks);
    }
}
