//! `customers.csv` (or any CSV with a header) as records: the header names the fields, cells
//! that parse as numbers in a numeric column are numbers, empty cells are null.

use crate::value::{Record, Schema, Type, Value};
use std::collections::HashMap;
use std::path::Path;

/// Errors reading a CSV table.
#[derive(Debug)]
pub enum TableError {
    Io(std::io::Error),
    Csv(csv::Error),
    /// A column holds more text than the 4 GiB arena of one column.
    TooLarge(String),
}

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableError::Io(e) => write!(f, "{e}"),
            TableError::Csv(e) => write!(f, "{e}"),
            TableError::TooLarge(c) => write!(f, "column '{c}' holds more than 4 GiB of text"),
        }
    }
}

impl std::error::Error for TableError {}

impl From<std::io::Error> for TableError {
    fn from(e: std::io::Error) -> TableError {
        TableError::Io(e)
    }
}
impl From<csv::Error> for TableError {
    fn from(e: csv::Error) -> TableError {
        TableError::Csv(e)
    }
}

/// The slot of a field the table lacks: reads null without a lookup.
const MISSING_SLOT: usize = usize::MAX;

const NULL_SPAN: (u32, u32) = (u32::MAX, 0);

#[derive(Debug, Clone)]
enum Column {
    /// NaN marks null.
    Number(Vec<f64>),
    Bool(Vec<Option<bool>>),
    /// One arena per column; `(start, len)` spans, `NULL_SPAN` for null.
    Text {
        arena: String,
        spans: Vec<(u32, u32)>,
    },
}

/// A CSV file held column by column (numbers as `f64`, text in one arena per column).
///
/// Column types: a column of data contract v1 or of the announced columns
/// ([`Schema::customers`]) keeps its contract type when its cells allow it (so `customer_id`
/// stays text even when every id is numeric); any other column is a number when every
/// non-empty cell parses as a finite number, a boolean when every non-empty cell is
/// `true`/`false`, and text otherwise. A column empty everywhere has type [`Type::Any`].
/// Cells are trimmed; an empty cell is null.
#[derive(Debug, Clone)]
pub struct CsvTable {
    names: Vec<String>,
    types: Vec<Type>,
    index: HashMap<String, usize, BuildFnv>,
    columns: Vec<Column>,
    rows: usize,
}

impl CsvTable {
    pub fn from_path(path: impl AsRef<Path>) -> Result<CsvTable, TableError> {
        let file = std::fs::File::open(path)?;
        CsvTable::from_reader(std::io::BufReader::new(file))
    }

    pub fn from_reader(reader: impl std::io::Read) -> Result<CsvTable, TableError> {
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let names: Vec<String> = rdr
            .headers()?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let n = names.len();
        let mut arenas: Vec<String> = vec![String::new(); n];
        let mut spans: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n];
        let mut record = csv::StringRecord::new();
        let mut rows = 0;
        while rdr.read_record(&mut record)? {
            for c in 0..n {
                let cell = record.get(c).unwrap_or("").trim();
                if cell.is_empty() {
                    spans[c].push(NULL_SPAN);
                } else {
                    let start = arenas[c].len();
                    arenas[c].push_str(cell);
                    if arenas[c].len() >= u32::MAX as usize {
                        return Err(TableError::TooLarge(names[c].clone()));
                    }
                    spans[c].push((start as u32, cell.len() as u32));
                }
            }
            rows += 1;
        }
        let contract = Schema::customers();
        let mut columns = Vec::with_capacity(n);
        let mut types = Vec::with_capacity(n);
        for (c, (arena, spans)) in arenas.into_iter().zip(spans).enumerate() {
            let cells = || {
                spans
                    .iter()
                    .filter(|s| **s != NULL_SPAN)
                    .map(|&(s, l)| &arena[s as usize..(s + l) as usize])
            };
            let all_empty = cells().next().is_none();
            let numeric = !all_empty && cells().all(|t| parse_number(t).is_some());
            let boolean = !all_empty && cells().all(|t| parse_bool(t).is_some());
            let ty = match contract.get(&names[c]) {
                _ if all_empty => Type::Any,
                Some(Type::Text) => Type::Text,
                Some(Type::Number) if numeric => Type::Number,
                Some(Type::Bool) if boolean => Type::Bool,
                _ if numeric => Type::Number,
                _ if boolean => Type::Bool,
                _ => Type::Text,
            };
            let column = match ty {
                Type::Number => Column::Number(
                    spans
                        .iter()
                        .map(|&s| {
                            if s == NULL_SPAN {
                                f64::NAN
                            } else {
                                parse_number(&arena[s.0 as usize..(s.0 + s.1) as usize]).unwrap()
                            }
                        })
                        .collect(),
                ),
                Type::Bool => Column::Bool(
                    spans
                        .iter()
                        .map(|&s| {
                            if s == NULL_SPAN {
                                None
                            } else {
                                parse_bool(&arena[s.0 as usize..(s.0 + s.1) as usize])
                            }
                        })
                        .collect(),
                ),
                _ => Column::Text { arena, spans },
            };
            columns.push(column);
            types.push(ty);
        }
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Ok(CsvTable {
            names,
            types,
            index,
            columns,
            rows,
        })
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn columns(&self) -> &[String] {
        &self.names
    }

    /// The header with each column's type, for compile-time checks.
    pub fn schema(&self) -> Schema {
        let mut s = Schema::new();
        for (n, t) in self.names.iter().zip(&self.types) {
            s.insert(n, *t);
        }
        s
    }

    /// [`Schema::customers`] (the contract, including announced columns not yet in this file)
    /// overlaid with this file's columns and types. Tag expressions are compiled against it, so
    /// a tag may name a column this file lacks (it reads null there).
    pub fn contract_schema(&self) -> Schema {
        let mut s = Schema::customers();
        for (n, t) in self.names.iter().zip(&self.types) {
            s.insert(n, *t);
        }
        s
    }

    pub fn row(&self, row: usize) -> CsvRow<'_> {
        assert!(row < self.rows, "row {row} out of range");
        CsvRow { table: self, row }
    }

    pub fn rows(&self) -> impl ExactSizeIterator<Item = CsvRow<'_>> {
        (0..self.rows).map(move |row| CsvRow { table: self, row })
    }

    /// The value of `field` in `row`.
    pub fn value(&self, row: usize, field: &str) -> Value<'_> {
        match self.index.get(field) {
            Some(&c) => self.cell(row, c),
            None => Value::Null,
        }
    }

    #[inline]
    fn cell(&self, row: usize, c: usize) -> Value<'_> {
        match &self.columns[c] {
            Column::Number(v) => {
                let x = v[row];
                if x.is_nan() {
                    Value::Null
                } else {
                    Value::Number(x)
                }
            }
            Column::Bool(v) => v[row].map_or(Value::Null, Value::Bool),
            Column::Text { arena, spans } => {
                let (s, l) = spans[row];
                if (s, l) == NULL_SPAN {
                    Value::Null
                } else {
                    Value::Text(&arena[s as usize..(s + l) as usize])
                }
            }
        }
    }

    /// `expr` with its fields bound to this table's columns (fields the table lacks read null).
    pub(crate) fn bind(&self, expr: &crate::expr::Expression) -> crate::expr::Expression {
        expr.bound(&|name| Some(self.index.get(name).copied().unwrap_or(MISSING_SLOT)))
    }

    /// The customer id of `row` (the `customer_id` column, else the first column), as text.
    pub fn id(&self, row: usize) -> String {
        let c = self.index.get("customer_id").copied().unwrap_or(0);
        if c >= self.names.len() {
            return row.to_string();
        }
        match self.cell(row, c) {
            Value::Null => String::new(),
            Value::Number(x) => x.to_string(),
            Value::Text(t) => t.to_string(),
            Value::Bool(b) => b.to_string(),
        }
    }
}

/// FNV-1a: field names are short and trusted (they come from the file's header), so a
/// simple fast hash beats the default SipHash on the per-cell lookup.
#[derive(Debug, Clone, Copy, Default)]
struct BuildFnv;

struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl std::hash::BuildHasher for BuildFnv {
    type Hasher = Fnv;
    fn build_hasher(&self) -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

/// One row of a [`CsvTable`].
#[derive(Debug, Clone, Copy)]
pub struct CsvRow<'a> {
    table: &'a CsvTable,
    row: usize,
}

impl CsvRow<'_> {
    pub fn index(&self) -> usize {
        self.row
    }
}

impl Record for CsvRow<'_> {
    #[inline]
    fn get(&self, field: &str) -> Value<'_> {
        self.table.value(self.row, field)
    }

    #[inline]
    fn get_slot(&self, slot: usize, field: &str) -> Value<'_> {
        // Slots come from `CsvTable::bind` on this very table; check the name in debug builds.
        if slot == MISSING_SLOT {
            return Value::Null;
        }
        debug_assert_eq!(self.table.names[slot], field);
        self.table.cell(self.row, slot)
    }
}

fn parse_number(t: &str) -> Option<f64> {
    let x: f64 = t.parse().ok()?;
    // "inf", "NaN" and friends are text here: no silent NaN.
    (x.is_finite() && t.bytes().any(|b| b.is_ascii_digit())).then_some(x)
}

fn parse_bool(t: &str) -> Option<bool> {
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

impl CsvTable {
    /// Tag sizes over this table's rows (expressions bound to the columns: no name lookups).
    pub fn sizes_of(&self, tags: &crate::tags::CompiledTags) -> crate::tags::TagSizes {
        tags.map_expressions(|e| self.bind(e)).sizes(self.rows())
    }

    /// Compiles `tree` against [`contract_schema`](Self::contract_schema) (so tags on columns
    /// this file lacks compile and match nobody) and returns the compiled tags with their sizes.
    pub fn tag_sizes(
        &self,
        tree: &crate::tags::TagTree,
    ) -> Result<(crate::tags::CompiledTags, crate::tags::TagSizes), crate::tags::TagError> {
        let compiled = tree.compile(Some(&self.contract_schema()))?;
        let sizes = self.sizes_of(&compiled);
        Ok((compiled, sizes))
    }
}
