use std::fmt;
use std::sync::Arc;

/// Why a string could not become an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("identifier is empty")]
    Empty,
    #[error("identifier is longer than {max} bytes")]
    TooLong { max: usize },
    #[error("identifier contains a control character")]
    ControlCharacter,
}

/// Identifiers are at most this long: longer values are almost always a broken export.
pub const MAX_ID_LEN: usize = 256;

fn parse_id(raw: &str) -> Result<Arc<str>, IdError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(IdError::Empty);
    }
    if trimmed.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { max: MAX_ID_LEN });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(IdError::ControlCharacter);
    }
    Ok(Arc::from(trimmed))
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Arc<str>);

        impl $name {
            /// Trims surrounding white space; rejects empty, overlong or control-character values.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                parse_id(raw).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), &*self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(raw: String) -> Result<Self, IdError> {
                Self::parse(&raw)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.to_string()
            }
        }
    };
}

identifier!(
    /// A shop's customer (or, for events, an anonymous visitor's) identifier.
    CustomerId
);
identifier!(
    /// A product (SKU / stock code) identifier.
    ProductId
);
identifier!(
    /// An order (invoice) identifier; several order lines share one.
    OrderId
);
identifier!(
    /// A review identifier.
    ReviewId
);
identifier!(
    /// A marketing campaign identifier.
    CampaignId
);
identifier!(
    /// A product category as the shop names it.
    Category
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_trimmed_and_never_empty() {
        assert_eq!(CustomerId::parse(" 17850 ").unwrap().as_str(), "17850");
        assert_eq!(CustomerId::parse("  "), Err(IdError::Empty));
        assert_eq!(ProductId::parse("a\u{0}b"), Err(IdError::ControlCharacter));
        assert_eq!(
            OrderId::parse(&"x".repeat(MAX_ID_LEN + 1)),
            Err(IdError::TooLong { max: MAX_ID_LEN })
        );
    }
}
