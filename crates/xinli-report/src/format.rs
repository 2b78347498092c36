//! Number formatting for people: thousands separators, percentages, money, compact axis labels.
//!
//! Non-finite numbers format as an en dash (`–`), never as `NaN` or `inf`.

use crate::text::{Lang, Text};

const DASH: &str = "–";

/// Groups the digits of an integer string with commas: `1234567` → `1,234,567`.
fn group_digits(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    // Digits until the next comma: the first group has 1–3 digits, the others 3.
    let mut left = if n == 0 { 0 } else { (n - 1) % 3 + 1 };
    for c in digits.chars() {
        if left == 0 {
            out.push(',');
            left = 3;
        }
        out.push(c);
        left -= 1;
    }
    out
}

/// An integer with thousands separators: `1234567` → `1,234,567`.
pub fn int(v: impl Into<i128>) -> String {
    let v: i128 = v.into();
    let digits = group_digits(&v.unsigned_abs().to_string());
    if v < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}

/// A number with `decimals` decimals and thousands separators: `1234.5` → `1,234.50`.
pub fn num(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return DASH.to_string();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s.as_str(), None),
    };
    let mut out = String::new();
    // No "-0.00": only show a sign when the rounded value is non-zero.
    if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    out.push_str(&group_digits(whole));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A number with as many decimals as make sense for its size (≥ 100: none, ≥ 1: up to 2,
/// smaller: 3 significant digits), trailing zeros trimmed.
pub fn auto(v: f64) -> String {
    if !v.is_finite() {
        return DASH.to_string();
    }
    let a = v.abs();
    let decimals = if a >= 100.0 || a == 0.0 {
        0
    } else if a >= 0.1 {
        2
    } else {
        (2.0 - a.log10().floor()).clamp(0.0, 8.0) as usize
    };
    trim_zeros(num(v, decimals))
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A fraction as a percentage: `0.1234` → `12.3%` (with `decimals` = 1).
pub fn pct(fraction: f64, decimals: usize) -> String {
    if !fraction.is_finite() {
        return DASH.to_string();
    }
    format!("{}%", num(fraction * 100.0, decimals))
}

/// An amount of money with a currency symbol: `money(-1234.5, "¥", 2)` → `-¥1,234.50`.
pub fn money(v: f64, symbol: &str, decimals: usize) -> String {
    if !v.is_finite() {
        return DASH.to_string();
    }
    let body = num(v.abs(), decimals);
    let neg = v < 0.0 && body.chars().any(|c| c.is_ascii_digit() && c != '0');
    format!("{}{symbol}{body}", if neg { "-" } else { "" })
}

/// A compact number for axis ticks and tight spaces: English `12k`, `3.4M`, `1.2B`; Chinese
/// `1.2万`, `3.4亿`. Below 10,000 the number is written out (with separators).
pub fn compact(v: f64, lang: Lang) -> String {
    if !v.is_finite() {
        return DASH.to_string();
    }
    let a = v.abs();
    let (scaled, suffix) = match lang {
        Lang::En if a >= 1e9 => (v / 1e9, "B"),
        Lang::En if a >= 1e6 => (v / 1e6, "M"),
        Lang::En if a >= 1e4 => (v / 1e3, "k"),
        Lang::Zh if a >= 1e8 => (v / 1e8, "亿"),
        Lang::Zh if a >= 1e4 => (v / 1e4, "万"),
        _ => return auto(v),
    };
    let decimals = if scaled.abs() >= 100.0 { 0 } else if scaled.abs() >= 10.0 { 1 } else { 2 };
    format!("{}{suffix}", trim_zeros(num(scaled, decimals)))
}

/// [`compact`] in both languages.
pub fn compact_text(v: f64) -> Text {
    Text { zh: compact(v, Lang::Zh), en: compact(v, Lang::En) }
}

/// How the numbers on an axis or in chart cells are written.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum NumFormat {
    /// Plain numbers; large ones compact (`12k` / `1.2万`) on axes.
    #[default]
    Number,
    /// A fraction in [0, 1] shown as a percentage with this many decimals.
    Percent(usize),
    /// Money with this symbol; large amounts compact on axes.
    Money(String),
}

impl NumFormat {
    /// A full-precision value for tooltips and cells.
    pub fn value(&self, v: f64) -> Text {
        match self {
            NumFormat::Number => Text::same(auto(v)),
            NumFormat::Percent(d) => Text::same(pct(v, *d)),
            NumFormat::Money(sym) => Text::same(money(v, sym, if v.abs() >= 1000.0 { 0 } else { 2 })),
        }
    }

    /// A tick label for `v` on an axis whose ticks are `step` apart.
    pub fn tick(&self, v: f64, step: f64) -> Text {
        let decimals_for = |step: f64| -> usize {
            if step <= 0.0 || !step.is_finite() {
                return 0;
            }
            let mut d = 0usize;
            let mut s = step;
            while d < 8 && (s - s.round()).abs() > 1e-9 * s.abs().max(1.0) {
                s *= 10.0;
                d += 1;
            }
            d
        };
        match self {
            NumFormat::Percent(_) => Text::same(pct(v, decimals_for(step * 100.0))),
            NumFormat::Number | NumFormat::Money(_) => {
                if v.abs() >= 1e4 {
                    compact_text(v)
                } else {
                    Text::same(num(v, decimals_for(step)))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(-1234567), "-1,234,567");
        assert_eq!(int(1_000_000u64), "1,000,000");
        assert_eq!(num(1234.5, 2), "1,234.50");
        assert_eq!(num(-0.001, 2), "0.00");
        assert_eq!(num(-1234567.891, 1), "-1,234,567.9");
        assert_eq!(num(f64::NAN, 1), "–");
        assert_eq!(money(-1234.5, "¥", 2), "-¥1,234.50");
        assert_eq!(pct(0.1234, 1), "12.3%");
        assert_eq!(auto(0.012345), "0.0123");
        assert_eq!(auto(12.5), "12.5");
        assert_eq!(auto(12345.6), "12,346");
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(25_000.0, Lang::En), "25k");
        assert_eq!(compact(25_000.0, Lang::Zh), "2.5万");
        assert_eq!(compact(3_400_000.0, Lang::En), "3.4M");
        assert_eq!(compact(340_000_000.0, Lang::Zh), "3.4亿");
        assert_eq!(compact(2_500.0, Lang::En), "2,500");
    }

    #[test]
    fn tick_labels() {
        assert_eq!(NumFormat::Number.tick(0.30000000000000004, 0.1).en, "0.3");
        assert_eq!(NumFormat::Percent(0).tick(0.25, 0.05).en, "25%");
        assert_eq!(NumFormat::Percent(0).tick(0.025, 0.005).en, "2.5%");
        assert_eq!(NumFormat::Number.tick(2000.0, 500.0).en, "2,000");
    }
}
