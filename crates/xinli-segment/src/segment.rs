//! Named segments and their evaluation over any records.

use crate::error::ParseError;
use crate::expr::Expression;
use crate::table::CsvTable;
use crate::value::{Record, Schema};

/// A custom segment: a name, an expression in the segment language and a description.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub name: String,
    pub expression: String,
    #[serde(default)]
    pub description: String,
}

impl Segment {
    pub fn new(name: &str, expression: &str, description: &str) -> Segment {
        Segment {
            name: name.into(),
            expression: expression.into(),
            description: description.into(),
        }
    }

    /// Compiles the expression (checked against `schema` when given).
    pub fn compile(&self, schema: Option<&Schema>) -> Result<Expression, ParseError> {
        Expression::compile(&self.expression, schema)
    }
}

/// A list of segments as a shop writes it in TOML:
/// ```toml
/// [[segment]]
/// name = "price-sensitive at risk"
/// expression = '''trait_price_sensitivity > 0.7 and rfm_segment in ["At risk", "Can't lose"]'''
/// description = "win back with a coupon"
/// ```
pub fn segments_from_toml(text: &str) -> Result<Vec<Segment>, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        segment: Vec<Segment>,
    }
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut seen = std::collections::HashSet::new();
    for s in &file.segment {
        if !seen.insert(s.name.as_str()) {
            return Err(format!("segment name '{}' is used more than once", s.name));
        }
    }
    Ok(file.segment)
}

/// The members of a segment: indices into the evaluated records, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Members {
    pub name: String,
    pub members: Vec<usize>,
    pub size: usize,
    /// Records for which the answer was unknown because of a null (not members).
    pub unknown: usize,
    /// Records evaluated.
    pub total: usize,
}

/// Compiles `segment` (no schema: any field) and evaluates it over `records`.
pub fn evaluate<R: Record>(segment: &Segment, records: &[R]) -> Result<Members, ParseError> {
    let expr = segment.compile(None)?;
    Ok(evaluate_compiled(&segment.name, &expr, records.iter()))
}

/// Evaluates a compiled expression over any iterator of records.
pub fn evaluate_compiled<R: Record>(
    name: &str,
    expr: &Expression,
    records: impl Iterator<Item = R>,
) -> Members {
    let mut members = Vec::new();
    let mut unknown = 0;
    let mut total = 0;
    for (i, r) in records.enumerate() {
        total += 1;
        match expr.eval(&r) {
            Some(true) => members.push(i),
            None => unknown += 1,
            Some(false) => {}
        }
    }
    Members {
        name: name.to_string(),
        size: members.len(),
        members,
        unknown,
        total,
    }
}

/// A segment's members in a CSV table, by customer id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvMembers {
    pub name: String,
    pub size: usize,
    pub total: usize,
    pub unknown: usize,
    pub rows: Vec<usize>,
    pub customer_ids: Vec<String>,
}

impl CsvTable {
    /// Compiles `segment` against this file's header (unknown columns and type errors are
    /// errors) and lists its members.
    pub fn evaluate(&self, segment: &Segment) -> Result<CsvMembers, ParseError> {
        let expr = segment.compile(Some(&self.schema()))?;
        Ok(self.evaluate_compiled(&segment.name, &expr))
    }

    pub fn evaluate_compiled(&self, name: &str, expr: &Expression) -> CsvMembers {
        let m = evaluate_compiled(name, &self.bind(expr), self.rows());
        let customer_ids = m.members.iter().map(|&r| self.id(r)).collect();
        CsvMembers {
            name: m.name,
            size: m.size,
            total: m.total,
            unknown: m.unknown,
            rows: m.members,
            customer_ids,
        }
    }

    /// Evaluates several segments, one pass each; the first compile error stops.
    pub fn evaluate_all(&self, segments: &[Segment]) -> Result<Vec<CsvMembers>, ParseError> {
        segments.iter().map(|s| self.evaluate(s)).collect()
    }
}
