//! Custom segments and tags: a small expression language over customer records (the columns
//! of `customers.csv`), a two-level bilingual tag tree defined in TOML, and a CSV adapter.
//!
//! ```
//! use xinli_segment::{CsvTable, Expression, Schema, Segment};
//!
//! let expr = Expression::compile(
//!     r#"trait_price_sensitivity > 0.7 and churn_risk > 0.5 and rfm_segment in ["At risk", "Can't lose"]"#,
//!     Some(&Schema::customers()),
//! ).unwrap();
//! assert_eq!(expr.fields(), ["trait_price_sensitivity", "churn_risk", "rfm_segment"]);
//!
//! let csv = "customer_id,churn_risk,rfm_segment,trait_price_sensitivity\n\
//!            a,0.8,At risk,0.9\nb,0.2,Champions,0.9\nc,,At risk,\n";
//! let table = CsvTable::from_reader(csv.as_bytes()).unwrap();
//! let members = table.evaluate(&Segment::new("win back", expr.source(), "")).unwrap();
//! assert_eq!(members.customer_ids, ["a"]);
//!
//! let err = Expression::compile("churn_risk >", Some(&Schema::customers())).unwrap_err();
//! assert_eq!(err.message_en(),
//!     "expected a value (field name, string, number, true, false or null) after '>' at column 13, \
//!      found the end of the expression");
//! assert!(err.message_zh().starts_with("第 13 列：'>' 后面应为一个值"));
//! ```
//!
//! # Grammar
//!
//! ```text
//! expression := or
//! or         := and  (("or"  | "||" | "或") and)*
//! and        := not  (("and" | "&&" | "且") not)*
//! not        := ("not" | "!" | "非") not | predicate
//! predicate  := "(" expression ")"
//!             | operand ("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") operand
//!             | operand ["not"] "in" "[" [literal ("," literal)* [","]] "]"
//!             | operand ["not"] "between" operand "and" operand
//!             | operand "is" ["not"] "null"
//!             | operand                      (a boolean field or literal)
//! operand    := field | literal
//! literal    := string | number | "true" | "false" | "null"
//! field      := [A-Za-z_][A-Za-z0-9_]*  (not a keyword)  |  "`" any text but "`" "`"
//! string     := '"' … '"'  |  "'" … "'"  |  "“" … "”"
//!               escapes: \\ \" \' \n \t \r \0 \u{hex}
//! number     := [+-]? digits [. digits] [(e|E) [+-] digits]   (also .5)
//! ```
//! Keywords (`and or not in between is null true false`) are case-insensitive; field names
//! are case-sensitive (`T` is the contract's column). Full-width `（ ） 【 】 ， 、` and
//! `≠ ≤ ≥` are accepted as aliases of `( ) [ ] , , != <= >=`. `not` binds tighter than `and`,
//! which binds tighter than `or`; `between`'s `and` belongs to the `between`.
//!
//! # Evaluation
//!
//! Three-valued, as in SQL: a comparison, `in` or `between` with a null (empty cell, missing
//! field) is *unknown*; `not unknown` is unknown; `false and unknown` is false; `true or
//! unknown` is true. A record is a member only when the result is true, so a customer with an
//! empty `clv` is in neither `clv > 100` nor `not clv > 100`; `is null` / `is not null` test
//! emptiness. Without a schema, comparing values of different types at run time (text with a
//! number) is unknown too; text compares by bytes (ISO dates order correctly); numbers as
//! `f64`. `x = null` is a compile error (use `is null`).
//!
//! # Errors
//!
//! [`ParseError`] carries the line and column (characters), a caret excerpt
//! ([`ParseError::excerpt`], CJK counted as two columns) and messages in English and Chinese
//! ([`ParseError::message_en`], [`ParseError::message_zh`]). With a [`Schema`], unknown fields
//! are errors with "did you mean" suggestions (case-insensitive match, edit distance, or a
//! name containing the typed one) and type mismatches are errors at compile time.
//!
//! # Tags
//!
//! [`TagTree`]: groups (level 1) → categories (level 2) → tags, each tag an expression; the
//! default tree ([`DEFAULT_TAGS_TOML`]) covers demographic (gender, age band, city), value (RFM
//! segment, value tier, CLV band, churn risk), behaviour (frequency, recency, journey stage,
//! acquisition channel) and psychology (persona, each trait high/low). [`CompiledTags`] gives
//! each record's tags and the sizes per tag, category and group. [`TagTree::compile`] rejects
//! the tree on any bad tag (all errors listed); [`TagTree::compile_lenient`] keeps going, the bad
//! tags matching nobody.
//!
//! # Segments and `customers.csv`
//!
//! [`Segment`] (name, expression, description; lists from TOML with [`segments_from_toml`]);
//! [`evaluate`] over any slice of [`Record`]s gives members (indices), size and the count of
//! records left out because of a null. [`CsvTable`] reads `customers.csv` column by column
//! (header → fields, numbers parsed, empty → null, contract types kept), checks expressions
//! against its header and evaluates them bound to column positions; see
//! `xinli segment` (crates/xinli/src/segment.rs) for the command line.

mod error;
mod expr;
mod lexer;
mod segment;
mod table;
mod tags;
mod value;

pub use error::{edit_distance, suggest, ErrorKind, Expected, ParseError, Span};
pub use expr::{CmpOp, Expr, Expression, Field, Operand, MAX_DEPTH};
pub use segment::{evaluate, evaluate_compiled, segments_from_toml, CsvMembers, Members, Segment};
pub use table::{CsvRow, CsvTable, TableError};
pub use tags::{
    CompiledTags, Tag, TagCategory, TagError, TagGroup, TagRef, TagSizes, TagTree,
    DEFAULT_TAGS_TOML,
};
pub use value::{MapRecord, Record, Scalar, Schema, Type, Value, TRAITS};
