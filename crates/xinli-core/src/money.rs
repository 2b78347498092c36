use std::fmt;

/// Why a number could not become money or a quantity.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MoneyError {
    #[error("not a number: {0:?}")]
    NotANumber(String),
    #[error("not finite")]
    NotFinite,
    #[error("negative amount {0}")]
    Negative(f64),
}

fn parse_number(raw: &str) -> Result<f64, MoneyError> {
    let cleaned: String = raw.trim().chars().filter(|c| *c != ',' && *c != '_').collect();
    let cleaned = cleaned.trim_start_matches(['$', '£', '€', '¥', '￥']);
    let value: f64 = cleaned
        .parse()
        .map_err(|_| MoneyError::NotANumber(raw.to_string()))?;
    if !value.is_finite() {
        return Err(MoneyError::NotFinite);
    }
    Ok(value)
}

/// A finite, non-negative amount of the shop's currency.
#[derive(Clone, Copy, PartialEq, PartialOrd, Default, serde::Serialize, serde::Deserialize)]
pub struct Money(f64);

impl Money {
    pub const ZERO: Money = Money(0.0);

    /// Accepts `12.5`, `1,234.50`, `£3.20`; rejects NaN, infinities and negatives.
    pub fn parse(raw: &str) -> Result<Self, MoneyError> {
        Self::new(parse_number(raw)?)
    }
    pub fn new(value: f64) -> Result<Self, MoneyError> {
        if !value.is_finite() {
            Err(MoneyError::NotFinite)
        } else if value < 0.0 {
            Err(MoneyError::Negative(value))
        } else {
            Ok(Money(value))
        }
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({})", self.0)
    }
}

/// A finite count of units. Negative quantities exist in real exports (returns,
/// cancellations) and are kept: it is the importer's rules that decide what they mean.
#[derive(Clone, Copy, PartialEq, PartialOrd, Debug, serde::Serialize, serde::Deserialize)]
pub struct Quantity(f64);

impl Quantity {
    pub fn parse(raw: &str) -> Result<Self, MoneyError> {
        Self::new(parse_number(raw)?)
    }
    pub fn new(value: f64) -> Result<Self, MoneyError> {
        if value.is_finite() {
            Ok(Quantity(value))
        } else {
            Err(MoneyError::NotFinite)
        }
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_accepts_shop_formats_and_rejects_garbage() {
        assert_eq!(Money::parse("1,234.50").unwrap().get(), 1234.5);
        assert_eq!(Money::parse(" £3.20").unwrap().get(), 3.2);
        assert!(matches!(Money::parse("abc"), Err(MoneyError::NotANumber(_))));
        assert_eq!(Money::parse("NaN"), Err(MoneyError::NotFinite));
        assert_eq!(Money::parse("-1"), Err(MoneyError::Negative(-1.0)));
        assert_eq!(Quantity::parse("-3").unwrap().get(), -3.0);
        assert_eq!(Quantity::parse("inf"), Err(MoneyError::NotFinite));
    }
}
