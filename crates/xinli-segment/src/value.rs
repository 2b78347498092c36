//! Values, types, schemas and the [`Record`] trait expressions are evaluated against.

use std::collections::{BTreeMap, HashMap};

/// A field's value in one record, borrowed from the record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Number(f64),
    Text(&'a str),
    Bool(bool),
}

impl Value<'_> {
    pub fn type_of(&self) -> Option<Type> {
        match self {
            Value::Null => None,
            Value::Number(_) => Some(Type::Number),
            Value::Text(_) => Some(Type::Text),
            Value::Bool(_) => Some(Type::Bool),
        }
    }
}

/// An owned value: literals in expressions, and the cells of [`MapRecord`].
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Number(f64),
    Text(String),
    Bool(bool),
}

impl Scalar {
    pub fn as_value(&self) -> Value<'_> {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Number(x) => Value::Number(*x),
            Scalar::Text(s) => Value::Text(s),
            Scalar::Bool(b) => Value::Bool(*b),
        }
    }
}

impl From<f64> for Scalar {
    fn from(x: f64) -> Scalar {
        Scalar::Number(x)
    }
}
impl From<&str> for Scalar {
    fn from(s: &str) -> Scalar {
        Scalar::Text(s.to_string())
    }
}
impl From<bool> for Scalar {
    fn from(b: bool) -> Scalar {
        Scalar::Bool(b)
    }
}

/// The type of a field in a [`Schema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Number,
    Text,
    Bool,
    /// Unknown type (e.g. a column that is empty everywhere): never a type error.
    Any,
}

impl Type {
    pub fn name_en(self) -> &'static str {
        match self {
            Type::Number => "number",
            Type::Text => "text",
            Type::Bool => "boolean",
            Type::Any => "any",
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            Type::Number => "数值",
            Type::Text => "文本",
            Type::Bool => "布尔",
            Type::Any => "任意",
        }
    }
}

/// A record that expressions can be evaluated against. Missing fields are [`Value::Null`].
pub trait Record {
    fn get(&self, field: &str) -> Value<'_>;

    /// Fast path used when a table evaluates an expression it bound to its own column
    /// positions; `slot` is that position. The default reads by name.
    #[inline]
    fn get_slot(&self, slot: usize, field: &str) -> Value<'_> {
        let _ = slot;
        self.get(field)
    }
}

impl<R: Record + ?Sized> Record for &R {
    fn get(&self, field: &str) -> Value<'_> {
        (**self).get(field)
    }
    fn get_slot(&self, slot: usize, field: &str) -> Value<'_> {
        (**self).get_slot(slot, field)
    }
}

/// A record held as a map from field name to owned value (tests, small inputs, JSON-like data).
pub type MapRecord = HashMap<String, Scalar>;

impl Record for HashMap<String, Scalar> {
    fn get(&self, field: &str) -> Value<'_> {
        self.get(field).map_or(Value::Null, Scalar::as_value)
    }
}

impl Record for BTreeMap<String, Scalar> {
    fn get(&self, field: &str) -> Value<'_> {
        self.get(field).map_or(Value::Null, Scalar::as_value)
    }
}

/// Field name → type. With a schema, compilation rejects unknown fields (with suggestions) and
/// type errors such as comparing a number field with text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    fields: Vec<(String, Type)>,
}

impl Schema {
    pub fn new() -> Schema {
        Schema::default()
    }

    /// Adds or replaces a field.
    pub fn with(mut self, name: &str, ty: Type) -> Schema {
        self.insert(name, ty);
        self
    }

    pub fn insert(&mut self, name: &str, ty: Type) {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = ty,
            None => self.fields.push((name.to_string(), ty)),
        }
    }

    pub fn get(&self, name: &str) -> Option<Type> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, t)| *t)
    }

    pub fn fields(&self) -> impl Iterator<Item = (&str, Type)> {
        self.fields.iter().map(|(n, t)| (n.as_str(), *t))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The columns of `customers.csv`: data contract v1 (see `xinli-analyze/src/output.rs`)
    /// plus the announced psychology and demographic columns (`trait_*`, `confidence_*`,
    /// `persona`, `journey_stage`, `main_barrier`, `gender`, `age`, `city`, `acquisition_channel`).
    pub fn customers() -> Schema {
        use Type::*;
        let mut s = Schema::new();
        for (name, ty) in [
            ("customer_id", Text),
            ("first_purchase", Text),
            ("last_purchase", Text),
            ("frequency", Number),
            ("recency", Number),
            ("T", Number),
            ("monetary", Number),
            ("rfm_r", Number),
            ("rfm_f", Number),
            ("rfm_m", Number),
            ("rfm_segment", Text),
            ("p_alive", Number),
            ("expected_purchases", Number),
            ("expected_next_order", Text),
            ("clv", Number),
            ("churn_risk", Number),
            ("value_tier", Text),
            ("orders", Number),
            ("total_spend", Number),
        ] {
            s.insert(name, ty);
        }
        for t in TRAITS {
            s.insert(&format!("trait_{t}"), Number);
        }
        for t in TRAITS {
            s.insert(&format!("confidence_{t}"), Number);
        }
        for (name, ty) in [
            ("persona", Text),
            ("journey_stage", Text),
            ("main_barrier", Text),
            ("gender", Text),
            ("age", Number),
            ("city", Text),
            ("acquisition_channel", Text),
        ] {
            s.insert(name, ty);
        }
        s
    }
}

/// The six psychology traits, in `customers.csv` column order (`trait_<name>`).
pub const TRAITS: [&str; 6] = [
    "price_sensitivity",
    "info_seeking",
    "convenience",
    "trust_concern",
    "social_influence",
    "novelty_seeking",
];
