//! Field decoding, fast paths for numbers and timestamps, and id interning.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use std::borrow::Cow;
use std::collections::HashMap;
use xinli_core::{IdError, Money, MoneyError, Quantity, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Enc {
    Utf8,
    Gb18030,
    Windows1252,
}

/// Decodes one field. `Ok((text, fell_back))`; `fell_back` is true when a UTF-8 file's field
/// was not UTF-8 and was read as GB18030. `Err(())` when the bytes are not text in any of them.
#[inline]
pub(crate) fn decode(enc: Enc, bytes: &[u8]) -> Result<(Cow<'_, str>, bool), ()> {
    if enc != Enc::Utf8 && bytes.is_ascii() {
        return Ok((Cow::Borrowed(std::str::from_utf8(bytes).map_err(|_| ())?), false));
    }
    match enc {
        Enc::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => Ok((Cow::Borrowed(s), false)),
            Err(_) => encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|s| (Cow::Owned(s.into_owned()), true))
                .ok_or(()),
        },
        Enc::Gb18030 => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|s| (Cow::Owned(s.into_owned()), false))
            .ok_or(()),
        Enc::Windows1252 => {
            let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            Ok((Cow::Owned(s.into_owned()), false))
        }
    }
}

/// A plain decimal number (`-12.50`, `3e2`); `None` for anything needing the lenient parser.
#[inline]
fn plain_f64(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 40 {
        return None;
    }
    // Whole numbers (most quantities): no float parser needed.
    let (neg, digits_part) = match b[0] {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if !digits_part.is_empty() && digits_part.len() <= 15 && digits_part.iter().all(u8::is_ascii_digit) {
        let v = digits_part.iter().fold(0i64, |acc, &c| acc * 10 + (c - b'0') as i64) as f64;
        return Some(if neg { -v } else { v });
    }
    if !b.iter().all(|&c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E')) {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Why a number was rejected, without repeating the (possibly huge) value.
pub(crate) fn number_reason(e: &MoneyError) -> String {
    match e {
        MoneyError::NotANumber(_) => "bad number".to_string(),
        MoneyError::NotFinite => "bad number: not finite".to_string(),
        MoneyError::Negative(_) => "bad number: negative".to_string(),
    }
}

pub(crate) fn parse_money(s: &str) -> Result<Money, MoneyError> {
    match plain_f64(s.trim()) {
        Some(v) => Money::new(v),
        None => Money::parse(s),
    }
}

pub(crate) fn parse_quantity(s: &str) -> Result<Quantity, MoneyError> {
    match plain_f64(s.trim()) {
        Some(v) => Quantity::new(v),
        None => Quantity::parse(s),
    }
}

/// Any finite number, negative allowed (event values, ratings).
pub(crate) fn parse_f64(s: &str) -> Option<f64> {
    let t = s.trim();
    plain_f64(t).or_else(|| Quantity::parse(t).ok().map(|q| q.get()))
}

#[inline]
fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DD` (also `/` and `T`), parsed without allocating. `None`
/// means "ask [`Timestamp::parse`]", which stays the authority on every other form.
#[inline]
fn fast_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 19 && b.len() != 10 {
        return None;
    }
    let sep = b[4];
    if !(sep == b'-' || sep == b'/') || b[7] != sep {
        return None;
    }
    let y = digits(&b[0..4])? as i32;
    let m = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    if b.len() == 10 {
        return Some(Timestamp::from_date(date));
    }
    if !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let dt = date.and_hms_opt(digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?)?;
    Some(Timestamp::from_unix_seconds(dt.and_utc().timestamp()))
}

/// How timestamps are written in a file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) enum TsFormat {
    /// The contract's forms (RFC 3339, `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD`).
    #[default]
    Contract,
    /// Unix seconds.
    Unix,
    /// Unix milliseconds.
    UnixMillis,
    /// A chrono format string (`%Y/%m/%d %H:%M`, `%d.%m.%Y`, with or without `%z`).
    Chrono(String),
}

impl TsFormat {
    pub(crate) fn parse(&self, raw: &str) -> Result<Timestamp, String> {
        let s = raw.trim();
        match self {
            TsFormat::Contract => fast_timestamp(s)
                .map(Ok)
                .unwrap_or_else(|| {
                    Timestamp::parse(s).map_err(|_| "expected RFC 3339, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD".to_string())
                }),
            TsFormat::Unix | TsFormat::UnixMillis => {
                let v: i64 = s
                    .parse()
                    .ok()
                    .or_else(|| plain_f64(s).filter(|f| f.abs() < 1e15).map(|f| f as i64))
                    .ok_or_else(|| "not a unix timestamp".to_string())?;
                let secs = if *self == TsFormat::UnixMillis { v.div_euclid(1000) } else { v };
                // Keep to years 1..9999 so every timestamp can be displayed.
                if !(-62_135_596_800..=253_402_300_799).contains(&secs) {
                    return Err("unix timestamp out of range".to_string());
                }
                Ok(Timestamp::from_unix_seconds(secs))
            }
            TsFormat::Chrono(fmt) => {
                if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
                    return Ok(Timestamp::from_unix_seconds(dt.and_utc().timestamp()));
                }
                if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
                    return Ok(Timestamp::from_unix_seconds(dt.timestamp()));
                }
                if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
                    return Ok(Timestamp::from_date(d));
                }
                // Be forgiving: a file may mix its own format with the contract's.
                fast_timestamp(s)
                    .map(Ok)
                    .unwrap_or_else(|| Timestamp::parse(s).map_err(|_| format!("not a timestamp in format {fmt:?}")))
            }
        }
    }
}

/// Decodes a field of a record already known to be valid UTF-8 as a whole.
#[inline]
pub(crate) fn field_of_valid_record(bytes: &[u8]) -> &str {
    // SAFETY: the caller checked that the whole record (the concatenation of its fields) is
    // valid UTF-8, and csv splits records only at ASCII bytes (delimiter, quote, line end), so
    // every field starts and ends on a character boundary and is itself valid UTF-8.
    debug_assert!(std::str::from_utf8(bytes).is_ok());
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// FxHash-style hasher: ids are short and not attacker-chosen keys of a long-lived server, so
/// a fast non-cryptographic hash is the right trade (SipHash showed up in profiles).
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            h = (h.rotate_left(5) ^ u64::from_le_bytes(c.try_into().unwrap())).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(buf)).wrapping_mul(K);
        }
        self.0 = h;
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche so hashbrown's top bits are well mixed.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

/// Ids up to this many bytes are keyed inline (no pointer chasing on lookup).
const INLINE: usize = 23;

#[inline]
fn inline_key(raw: &str) -> Option<[u8; INLINE + 1]> {
    let b = raw.as_bytes();
    if b.len() > INLINE {
        return None;
    }
    let mut k = [0u8; INLINE + 1];
    k[..b.len()].copy_from_slice(b);
    k[INLINE] = b.len() as u8;
    Some(k)
}

/// Hands out one shared id per distinct string, so repeated ids do not allocate. Each distinct
/// id also gets a dense index (order of first appearance).
pub(crate) struct Interner<T> {
    short: FastMap<[u8; INLINE + 1], u32>,
    long: FastMap<Box<str>, u32>,
    values: Vec<T>,
    last: Option<([u8; INLINE + 1], u32)>,
}

/// Distinct ids kept per interner; past this (hostile input), ids are still parsed but not shared.
const MAX_INTERNED: usize = 50_000_000;

impl<T: Clone> Interner<T> {
    pub(crate) fn new() -> Self {
        Interner { short: FastMap::default(), long: FastMap::default(), values: Vec::new(), last: None }
    }
    #[inline]
    pub(crate) fn get(&mut self, raw: &str, parse: fn(&str) -> Result<T, IdError>) -> Result<T, IdError> {
        self.get_indexed(raw, parse).map(|(v, _)| v)
    }
    /// The id and its dense index (`u32::MAX` once the interner is full).
    #[inline]
    pub(crate) fn get_indexed(&mut self, raw: &str, parse: fn(&str) -> Result<T, IdError>) -> Result<(T, u32), IdError> {
        let Some(key) = inline_key(raw) else {
            if let Some(&i) = self.long.get(raw) {
                return Ok((self.values[i as usize].clone(), i));
            }
            let v = parse(raw)?;
            if self.values.len() >= MAX_INTERNED {
                return Ok((v, u32::MAX));
            }
            let i = self.values.len() as u32;
            self.values.push(v.clone());
            self.long.insert(raw.into(), i);
            return Ok((v, i));
        };
        if let Some((k, i)) = &self.last {
            if *k == key {
                return Ok((self.values[*i as usize].clone(), *i));
            }
        }
        let i = match self.short.get(&key) {
            Some(&i) => i,
            None => {
                let v = parse(raw)?;
                if self.values.len() >= MAX_INTERNED {
                    return Ok((v, u32::MAX));
                }
                let i = self.values.len() as u32;
                self.values.push(v);
                self.short.insert(key, i);
                i
            }
        };
        self.last = Some((key, i));
        Ok((self.values[i as usize].clone(), i))
    }
}

/// The contract's booleans: true/false/1/0/yes/no/y/n/是/否 (case-insensitive).
pub(crate) fn parse_bool(raw: &str) -> Option<bool> {
    let s = raw.trim();
    for t in ["true", "1", "yes", "y", "t", "是", "真"] {
        if s.eq_ignore_ascii_case(t) {
            return Some(true);
        }
    }
    for f in ["false", "0", "no", "n", "f", "否", "假"] {
        if s.eq_ignore_ascii_case(f) {
            return Some(false);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_timestamp_agrees_with_core() {
        for s in ["2011-12-09 12:50:00", "2011/12/09 12:50:00", "2011-12-09T12:50:00", "2011-12-09", "2012-02-29"] {
            assert_eq!(fast_timestamp(s), Some(Timestamp::parse(s).unwrap()), "{s}");
        }
        for s in ["2011-02-30", "2011-13-01 00:00:00", "2011-12-09 25:00:00", "2011-12-09x12:00:00"] {
            assert_eq!(fast_timestamp(s), None, "{s}");
        }
        assert!(TsFormat::Contract.parse("2011-02-30").is_err());
        assert_eq!(
            TsFormat::Chrono("%d.%m.%Y %H:%M".into()).parse("09.12.2011 12:50").unwrap(),
            Timestamp::parse("2011-12-09 12:50:00").unwrap()
        );
        assert_eq!(TsFormat::Unix.parse("1511658000").unwrap().to_string(), "2017-11-26 01:00:00");
        assert!(TsFormat::Unix.parse("99999999999999999").is_err());
    }

    #[test]
    fn numbers_and_booleans() {
        assert_eq!(parse_money("2.55").unwrap().get(), 2.55);
        assert_eq!(parse_money("1,234.5").unwrap().get(), 1234.5);
        assert!(parse_money("-1").is_err());
        assert!(parse_money("nan").is_err());
        assert_eq!(parse_quantity("-6").unwrap().get(), -6.0);
        assert_eq!(parse_quantity("80995").unwrap().get(), 80995.0);
        assert_eq!(parse_f64("-0"), Some(0.0));
        assert_eq!(parse_f64("007"), Some(7.0));
        assert_eq!(parse_f64("-"), None);
        assert_eq!(parse_f64("1e3"), Some(1000.0));
        assert_eq!(parse_bool("是"), Some(true));
        assert_eq!(parse_bool("NO"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}
