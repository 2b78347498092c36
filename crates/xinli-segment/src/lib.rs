//! Custom segments and tags for xinli.
mod error;
mod expr;
mod lexer;
mod value;

pub use error::{edit_distance, suggest, ErrorKind, Expected, ParseError, Span};
pub use expr::{CmpOp, Expr, Expression, Operand};
pub use value::{MapRecord, Record, Scalar, Schema, Type, Value, TRAITS};
mod segment;
mod table;
pub use segment::{evaluate, evaluate_compiled, CsvMembers, Members, Segment};
pub use table::{CsvRow, CsvTable, TableError};
mod tags;
pub use tags::{CompiledTags, Tag, TagCategory, TagError, TagGroup, TagRef, TagSizes, TagTree, DEFAULT_TAGS_TOML};
