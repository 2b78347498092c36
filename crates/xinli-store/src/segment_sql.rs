//! A segment expression (the parsed AST of `xinli-segment`, never its text) compiled to a SQL
//! condition over `profiles p`, so the database counts and pages a segment instead of the
//! server evaluating every profile.
//!
//! Each live field has the SQL spelling of what [`crate::profile::ProfileRecord`] computes
//! (counters from the profile's JSON, RFM from its order times, `now` bound as a parameter),
//! and each model output reads the latest analysis (`customer_scores cs`, a typed column or
//! the row's JSON with its type checked), so the SQL answer is the Rust evaluator's: same
//! three-valued logic, same fallback from a null live field to the scores, numbers as doubles,
//! text compared by bytes (`COLLATE "C"` on PostgreSQL). Literals are bound parameters; the
//! only names written into the SQL are the schema's own field names.
//!
//! `journey_stage` has no SQL form (its rules look at sessions and at the time since the last
//! purchase), nor has a boolean field: an expression that reads one is not compiled, though
//! its other top-level conjuncts still are ([`Compiled::prefilter`]).

use xinli_core::EventType;
use xinli_segment::{CmpOp, Expr, MapRecord, Operand, Scalar, Type};

use crate::analysis::SCORE_COLUMNS;
use crate::profile::{is_live_field, live_schema, EVENT_SHARE_SIGNALS};
use crate::sql::{Backend, Val};

const DAY_MS: i64 = 86_400_000;

/// A SQL condition with its parameters and the tables it reads besides `profiles p`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Condition {
    pub sql: String,
    pub params: Vec<Val>,
    /// Reads `customer_scores cs` (LEFT JOINed on cid).
    pub scores: bool,
    /// Reads `customers c` (LEFT JOINed on cid).
    pub customers: bool,
}

impl Condition {
    /// `FROM profiles p` with the joins the condition needs.
    pub fn from_clause(&self) -> String {
        let mut from = String::from("FROM profiles p");
        if self.scores {
            from.push_str(" LEFT JOIN customer_scores cs ON cs.cid = p.cid");
        }
        if self.customers {
            from.push_str(" LEFT JOIN customers c ON c.cid = p.cid");
        }
        from
    }
}

/// What compiling an expression gave.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Compiled {
    /// The whole expression: a profile is a member exactly when this is true.
    Exact(Condition),
    /// Only part of it: every member satisfies this (the compiled top-level conjuncts), the
    /// Rust evaluator decides among those.
    Prefilter(Condition),
    /// Nothing compiled: every profile is a candidate.
    Nothing,
}

/// Compiles `expr` for `backend` as of `now_ms`. `with_scores` is whether a null live field
/// falls back to the latest scores (the Rust evaluator does so when the expression reads a
/// model output).
pub(crate) fn compile(expr: &Expr, backend: Backend, now_ms: i64, with_scores: bool) -> Compiled {
    let mut c = Compiler { backend, now_ms, with_scores, params: Vec::new(), now_param: None, scores: false, customers: false };
    if let Some(sql) = c.condition(expr) {
        return Compiled::Exact(c.finish(sql));
    }
    let Expr::And(items) = expr else { return Compiled::Nothing };
    let mut c = Compiler { params: Vec::new(), now_param: None, scores: false, customers: false, ..c };
    let parts: Vec<String> = items.iter().filter_map(|e| c.condition_or_nothing(e)).collect();
    if parts.is_empty() {
        Compiled::Nothing
    } else {
        Compiled::Prefilter(c.finish(format!("({})", parts.join(" AND "))))
    }
}

struct Compiler {
    backend: Backend,
    now_ms: i64,
    with_scores: bool,
    params: Vec<Val>,
    now_param: Option<usize>,
    scores: bool,
    customers: bool,
}

/// The logical constants, spelled for both backends.
const TRUE: &str = "(1 = 1)";
const FALSE: &str = "(1 = 0)";
const UNKNOWN: &str = "CAST(NULL AS BOOLEAN)";

impl Compiler {
    fn finish(self, sql: String) -> Condition {
        Condition { sql, params: self.params, scores: self.scores, customers: self.customers }
    }

    fn double(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "REAL",
            Backend::Postgres => "DOUBLE PRECISION",
        }
    }

    fn real(&self, sql: &str) -> String {
        format!("CAST({sql} AS {})", self.double())
    }

    fn param(&mut self, v: Val, ty: &str) -> String {
        self.params.push(v);
        format!("CAST(${} AS {ty})", self.params.len())
    }

    fn now(&mut self) -> String {
        let n = match self.now_param {
            Some(n) => n,
            None => {
                self.params.push(Val::Int(self.now_ms));
                self.now_param = Some(self.params.len());
                self.params.len()
            }
        };
        format!("CAST(${n} AS BIGINT)")
    }

    /// A number of the profile's JSON (`path` of object keys; all are schema-made names).
    fn profile_json(&self, path: &[&str]) -> String {
        match self.backend {
            Backend::Sqlite => format!("json_extract(p.data, '$.{}')", path.join(".")),
            Backend::Postgres => format!("CAST(CAST(p.data AS JSONB) #>> '{{{}}}' AS BIGINT)", path.join(",")),
        }
    }

    /// Milliseconds → days, as the profile record computes them.
    fn days(&self, ms: &str) -> String {
        format!("({} / {})", self.real(ms), self.real(&DAY_MS.to_string()))
    }

    /// The ISO date (UTC) of a millisecond time.
    fn iso_date(&self, ms: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("date({} / 1000, 'unixepoch')", self.real(ms)),
            Backend::Postgres => format!("to_char(to_timestamp({} / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')", self.real(ms)),
        }
    }

    /// A counter of the profile's JSON: left out when zero (`Profile`'s stored form).
    fn profile_counter(&self, path: &[&str]) -> String {
        format!("COALESCE({}, 0)", self.profile_json(path))
    }

    fn count(&self, t: EventType) -> String {
        self.profile_counter(&["by_type", t.name()])
    }

    /// `num / den` as doubles when `den > 0`, else null.
    fn share(&self, num: &str, den: &str) -> String {
        format!("CASE WHEN {den} > 0 THEN {} / {} END", self.real(num), self.real(den))
    }

    /// The SQL of a live field, or None for one without a SQL form.
    fn live(&mut self, name: &str) -> Option<String> {
        let first = self.profile_json(&["first_order_ms"]);
        let last = self.profile_json(&["last_order_ms"]);
        let bought = format!("{first} IS NOT NULL AND {last} IS NOT NULL");
        Some(match name {
            "customer_id" => {
                self.customers = true;
                "COALESCE(c.user_id, CASE WHEN c.cid IS NOT NULL THEN \
                 (SELECT MIN(i.value) FROM identities i WHERE i.cid = p.cid AND i.kind = 'anon') END, '')"
                    .to_string()
            }
            "orders" => self.real("p.orders"),
            "total_spend" => "p.revenue".to_string(),
            "events" => self.real(&self.profile_counter(&["events"])),
            "reviews" => self.real(&self.profile_counter(&["reviews"])),
            "last_seen_days" => {
                let now = self.now();
                self.days(&format!("({now} - p.last_seen)"))
            }
            "frequency" => format!("CASE WHEN {bought} THEN {} END", self.real("CASE WHEN p.orders > 0 THEN p.orders - 1 ELSE 0 END")),
            "recency" => format!("CASE WHEN {bought} THEN {} END", self.days(&format!("({last} - {first})"))),
            "T" => {
                let now = self.now();
                format!("CASE WHEN {bought} THEN {} END", self.days(&format!("({now} - {first})")))
            }
            "monetary" => format!("CASE WHEN p.orders > 0 THEN p.revenue / {} END", self.real("p.orders")),
            "first_purchase" => format!("CASE WHEN {bought} THEN {} END", self.iso_date(&first)),
            "last_purchase" => format!("CASE WHEN {bought} THEN {} END", self.iso_date(&last)),
            other => {
                if let Some(t) = other.strip_prefix("count_").and_then(EventType::parse) {
                    self.real(&self.count(t))
                } else {
                    self.signal(other.strip_prefix("signal_")?)?
                }
            }
        })
    }

    /// The raw trait signals of `Profile::trait_signals`.
    fn signal(&self, name: &str) -> Option<String> {
        if let Some((_, types)) = EVENT_SHARE_SIGNALS.iter().find(|(n, _)| *n == name) {
            let sum = types.iter().map(|t| self.count(*t)).collect::<Vec<_>>().join(" + ");
            let canonical = format!("({} - {})", self.profile_counter(&["events"]), self.profile_counter(&["other_events"]));
            return Some(self.share(&format!("({sum})"), &canonical));
        }
        Some(match name {
            "coupon_order_share" => self.share(&self.profile_counter(&["coupon_orders"]), "p.orders"),
            "cart_per_view" => self.share(&self.count(EventType::AddToCart), &self.count(EventType::ProductView)),
            _ => return None,
        })
    }

    /// A model output of the latest analysis, as the Rust evaluator reads it from the row's
    /// JSON: a number only if it is a JSON number, text only if a JSON string.
    fn score(&mut self, name: &str, ty: Type) -> Option<String> {
        self.scores = true;
        // `customer_scores`' typed columns; any other field is read from the row's JSON.
        if let Some((column, _, _)) = SCORE_COLUMNS.iter().find(|(_, field, _)| *field == name) {
            return Some(match ty {
                Type::Number => self.real(&format!("cs.{column}")),
                _ => format!("cs.{column}"),
            });
        }
        let (json_type, extract) = match self.backend {
            Backend::Sqlite => (format!("json_type(cs.data, '$.{name}')"), format!("json_extract(cs.data, '$.{name}')")),
            Backend::Postgres => (format!("jsonb_typeof(CAST(cs.data AS JSONB) -> '{name}')"), format!("(CAST(cs.data AS JSONB) ->> '{name}')")),
        };
        Some(match (ty, self.backend) {
            (Type::Number, Backend::Sqlite) => format!("CASE WHEN {json_type} IN ('integer', 'real') THEN {} END", self.real(&extract)),
            (Type::Number, Backend::Postgres) => format!("CASE WHEN {json_type} = 'number' THEN {} END", self.real(&extract)),
            (Type::Text, Backend::Sqlite) => format!("CASE WHEN {json_type} = 'text' THEN {extract} END"),
            (Type::Text, Backend::Postgres) => format!("CASE WHEN {json_type} = 'string' THEN {extract} END"),
            _ => return None,
        })
    }

    /// A field: its live value, falling back to the scores when null (with scores), or the
    /// scores alone for a model output.
    fn field(&mut self, name: &str) -> Option<(String, Type)> {
        // Only the schema's own names are ever written into the statement.
        let ty = live_schema().get(name)?;
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') || !matches!(ty, Type::Number | Type::Text) {
            return None;
        }
        let sql = if is_live_field(name) {
            let live = self.live(name)?;
            if self.with_scores {
                let score = self.score(name, ty)?;
                format!("COALESCE({live}, {score})")
            } else {
                live
            }
        } else {
            self.score(name, ty)?
        };
        Some((format!("({sql})"), ty))
    }

    fn literal(&mut self, s: &Scalar) -> Option<(String, Type)> {
        match s {
            Scalar::Number(x) => {
                let ty = self.double();
                Some((self.param(Val::Real(*x), ty), Type::Number))
            }
            Scalar::Text(t) => Some((self.param(Val::Text(t.clone()), "TEXT"), Type::Text)),
            Scalar::Null | Scalar::Bool(_) => None,
        }
    }

    fn operand(&mut self, o: &Operand) -> Option<(String, Type)> {
        match o {
            Operand::Field(f) => self.field(&f.name),
            Operand::Literal(s) => self.literal(s),
        }
    }

    /// Text compares by bytes, as in Rust: PostgreSQL's default collation would not.
    fn ordered(&self, (sql, ty): (String, Type)) -> String {
        match (ty, self.backend) {
            (Type::Text, Backend::Postgres) => format!("{sql} COLLATE \"C\""),
            _ => sql,
        }
    }

    /// [`Compiler::condition`], leaving no parameter or join behind when it fails halfway.
    fn condition_or_nothing(&mut self, e: &Expr) -> Option<String> {
        let before = (self.params.len(), self.now_param, self.scores, self.customers);
        let sql = self.condition(e);
        if sql.is_none() {
            self.params.truncate(before.0);
            (self.now_param, self.scores, self.customers) = (before.1, before.2, before.3);
        }
        sql
    }

    fn condition(&mut self, e: &Expr) -> Option<String> {
        if !reads_fields(e) {
            // Literals only: the evaluator's own answer is the constant.
            return Some(match e.eval(&MapRecord::new()) {
                Some(true) => TRUE,
                Some(false) => FALSE,
                None => UNKNOWN,
            }
            .to_string());
        }
        Some(match e {
            Expr::Or(items) | Expr::And(items) => {
                let joiner = if matches!(e, Expr::Or(_)) { " OR " } else { " AND " };
                let parts = items.iter().map(|i| self.condition(i)).collect::<Option<Vec<_>>>()?;
                format!("({})", parts.join(joiner))
            }
            Expr::Not(inner) => format!("(NOT {})", self.condition(inner)?),
            Expr::Compare { op, left, right } => {
                let left = self.operand(left)?;
                let right = self.operand(right)?.0;
                let op = match op {
                    CmpOp::Eq => "=",
                    CmpOp::Ne => "<>",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                format!("({} {op} {right})", self.ordered(left))
            }
            Expr::In { operand, list, negated } => {
                let (value, _) = self.operand(operand)?;
                if list.is_empty() {
                    let answer = if *negated { TRUE } else { FALSE };
                    return Some(format!("(CASE WHEN {value} IS NULL THEN {UNKNOWN} ELSE {answer} END)"));
                }
                let items = list.iter().map(|s| self.literal(s).map(|(sql, _)| sql)).collect::<Option<Vec<_>>>()?;
                format!("({value} {}IN ({}))", if *negated { "NOT " } else { "" }, items.join(", "))
            }
            Expr::Between { operand, low, high, negated } => {
                // Unknown as soon as one of the three is null, like the evaluator (SQL's own
                // BETWEEN would say false for `1 between 2 and null`).
                let value = self.operand(operand)?;
                let (low, high) = (self.operand(low)?.0, self.operand(high)?.0);
                let nulls = format!("{} IS NULL OR {low} IS NULL OR {high} IS NULL", value.0);
                let value = self.ordered(value);
                let within = format!("({value} >= {low} AND {value} <= {high})");
                let within = if *negated { format!("(NOT {within})") } else { within };
                format!("(CASE WHEN {nulls} THEN {UNKNOWN} ELSE {within} END)")
            }
            Expr::IsNull { operand, negated } => {
                format!("({} IS {}NULL)", self.operand(operand)?.0, if *negated { "NOT " } else { "" })
            }
            // A boolean field: none of the live schema's fields is one.
            Expr::Truth(_) => return None,
        })
    }
}

fn reads_fields(e: &Expr) -> bool {
    let field = |o: &Operand| matches!(o, Operand::Field(_));
    match e {
        Expr::Or(items) | Expr::And(items) => items.iter().any(reads_fields),
        Expr::Not(inner) => reads_fields(inner),
        Expr::Compare { left, right, .. } => field(left) || field(right),
        Expr::In { operand, .. } | Expr::IsNull { operand, .. } | Expr::Truth(operand) => field(operand),
        Expr::Between { operand, low, high, .. } => field(operand) || field(low) || field(high),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinli_segment::Expression;

    fn compiled(src: &str) -> Compiled {
        let e = Expression::compile(src, Some(&live_schema())).unwrap();
        compile(e.ast(), Backend::Sqlite, 0, false)
    }

    #[test]
    fn literals_are_parameters_and_fields_are_schema_names() {
        let Compiled::Exact(c) = compiled("customer_id = 'x\\' OR 1=1 --' and count_search >= 2") else { panic!("compiles") };
        assert_eq!(c.params, [Val::Text("x' OR 1=1 --".into()), Val::Real(2.0)]);
        assert!(!c.sql.contains("OR 1=1"), "{}", c.sql);
        assert!(c.customers && !c.scores);
    }

    #[test]
    fn journey_stage_leaves_a_prefilter_or_nothing() {
        assert!(matches!(compiled("journey_stage = 'evaluation'"), Compiled::Nothing));
        assert!(matches!(compiled("journey_stage = 'evaluation' or orders > 1"), Compiled::Nothing));
        let Compiled::Prefilter(c) = compiled("journey_stage = 'evaluation' and orders > 1 and (T > 3 or journey_stage = 'x')") else {
            panic!("a prefilter")
        };
        assert_eq!(c.params, [Val::Real(1.0)], "the conjunct that failed halfway left no parameter: {}", c.sql);
    }
}
