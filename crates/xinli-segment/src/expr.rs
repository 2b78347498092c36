//! The AST, the parser (with schema checks) and the evaluator.

use crate::error::{suggest, ErrorKind, Expected, ParseError, Span};
use crate::lexer::{tokenize, Tok, Token};
use crate::value::{Record, Scalar, Schema, Type, Value};
use std::cmp::Ordering;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
    fn holds(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        }
    }
}

/// A field reference or a literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field(Field),
    Literal(Scalar),
}

/// A field reference: its name, and the column position a table bound it to (internal fast
/// path, see [`Record::get_slot`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    slot: Option<usize>,
}

impl Field {
    pub fn new(name: &str) -> Field {
        Field {
            name: name.to_string(),
            slot: None,
        }
    }
}

impl Operand {
    #[inline]
    fn value<'r, R: Record + ?Sized>(&'r self, record: &'r R) -> Value<'r> {
        match self {
            Operand::Field(Field { name, slot: None }) => record.get(name),
            Operand::Field(Field {
                name,
                slot: Some(slot),
            }) => record.get_slot(*slot, name),
            Operand::Literal(s) => s.as_value(),
        }
    }
}

/// The syntax tree of a compiled expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Compare {
        op: CmpOp,
        left: Operand,
        right: Operand,
    },
    In {
        operand: Operand,
        list: Vec<Scalar>,
        negated: bool,
    },
    Between {
        operand: Operand,
        low: Operand,
        high: Operand,
        negated: bool,
    },
    IsNull {
        operand: Operand,
        negated: bool,
    },
    /// A boolean field or literal used as a condition.
    Truth(Operand),
}

/// Three-valued comparison: `None` when either side is null or the types differ.
#[inline]
fn compare(a: Value, b: Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(&y),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(&y)),
        _ => None,
    }
}

impl Expr {
    fn bind(&mut self, resolve: &dyn Fn(&str) -> Option<usize>) {
        let bind = |o: &mut Operand| {
            if let Operand::Field(f) = o {
                f.slot = resolve(&f.name);
            }
        };
        match self {
            Expr::Or(items) | Expr::And(items) => items.iter_mut().for_each(|e| e.bind(resolve)),
            Expr::Not(e) => e.bind(resolve),
            Expr::Compare { left, right, .. } => {
                bind(left);
                bind(right);
            }
            Expr::In { operand, .. } | Expr::IsNull { operand, .. } | Expr::Truth(operand) => {
                bind(operand)
            }
            Expr::Between {
                operand, low, high, ..
            } => {
                bind(operand);
                bind(low);
                bind(high);
            }
        }
    }

    /// Three-valued (SQL/Kleene) evaluation: `Some(true)`, `Some(false)` or `None` (unknown).
    pub fn eval<R: Record + ?Sized>(&self, r: &R) -> Option<bool> {
        match self {
            Expr::Or(items) => {
                let mut unknown = false;
                for e in items {
                    match e.eval(r) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown {
                    None
                } else {
                    Some(false)
                }
            }
            Expr::And(items) => {
                let mut unknown = false;
                for e in items {
                    match e.eval(r) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown {
                    None
                } else {
                    Some(true)
                }
            }
            Expr::Not(e) => e.eval(r).map(|b| !b),
            Expr::Compare { op, left, right } => {
                let (a, b) = (left.value(r), right.value(r));
                if matches!(a, Value::Bool(_)) && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                    return None;
                }
                compare(a, b).map(|o| op.holds(o))
            }
            Expr::In {
                operand,
                list,
                negated,
            } => {
                let v = operand.value(r);
                if v == Value::Null {
                    return None;
                }
                let found = list
                    .iter()
                    .any(|item| compare(v, item.as_value()) == Some(Ordering::Equal));
                Some(found != *negated)
            }
            Expr::Between {
                operand,
                low,
                high,
                negated,
            } => {
                let v = operand.value(r);
                if matches!(v, Value::Bool(_)) {
                    return None;
                }
                let lo = compare(v, low.value(r))?;
                let hi = compare(v, high.value(r))?;
                Some((lo != Ordering::Less && hi != Ordering::Greater) != *negated)
            }
            Expr::IsNull { operand, negated } => {
                Some((operand.value(r) == Value::Null) != *negated)
            }
            Expr::Truth(operand) => match operand.value(r) {
                Value::Bool(b) => Some(b),
                _ => None,
            },
        }
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        let mut push = |o: &'a Operand| {
            if let Operand::Field(Field { name: f, .. }) = o {
                if !out.contains(&f.as_str()) {
                    out.push(f);
                }
            }
        };
        match self {
            Expr::Or(items) | Expr::And(items) => items.iter().for_each(|e| e.collect_fields(out)),
            Expr::Not(e) => e.collect_fields(out),
            Expr::Compare { left, right, .. } => {
                push(left);
                push(right);
            }
            Expr::In { operand, .. } | Expr::IsNull { operand, .. } | Expr::Truth(operand) => {
                push(operand)
            }
            Expr::Between {
                operand, low, high, ..
            } => {
                push(operand);
                push(low);
                push(high);
            }
        }
    }
}

/// A compiled expression: parse once, evaluate many times.
#[derive(Debug, Clone, PartialEq)]
pub struct Expression {
    source: String,
    ast: Expr,
}

impl Expression {
    /// Parses `source` without a schema: any field name is accepted and types are only
    /// checked between literals.
    pub fn parse(source: &str) -> Result<Expression, ParseError> {
        Expression::compile(source, None)
    }

    /// Parses `source`; with a schema, unknown fields and type errors are compile errors.
    pub fn compile(source: &str, schema: Option<&Schema>) -> Result<Expression, ParseError> {
        let tokens = tokenize(source)?;
        let mut p = Parser {
            src: source,
            tokens,
            pos: 0,
            schema,
            depth: 0,
        };
        if p.tokens.is_empty() {
            return Err(ParseError::new(
                ErrorKind::Empty,
                Span::new(0, source.len()),
                source,
            ));
        }
        let ast = p.parse_or()?;
        if p.pos < p.tokens.len() {
            return Err(p.expected(Expected::End));
        }
        Ok(Expression {
            source: source.to_string(),
            ast,
        })
    }

    /// True when the expression is true for the record (unknown counts as false).
    #[inline]
    pub fn matches<R: Record + ?Sized>(&self, record: &R) -> bool {
        self.ast.eval(record) == Some(true)
    }

    /// Three-valued result: `None` when the answer depends on a null.
    #[inline]
    pub fn eval<R: Record + ?Sized>(&self, record: &R) -> Option<bool> {
        self.ast.eval(record)
    }

    /// A copy whose fields carry the positions `resolve` gives them, for records whose
    /// [`Record::get_slot`] reads by position. Crate-internal: a bound expression is only ever
    /// evaluated on rows of the table that bound it.
    pub(crate) fn bound(&self, resolve: &dyn Fn(&str) -> Option<usize>) -> Expression {
        let mut e = self.clone();
        e.ast.bind(resolve);
        e
    }

    pub fn ast(&self) -> &Expr {
        &self.ast
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The distinct field names the expression reads, in order of appearance.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.ast.collect_fields(&mut out);
        out
    }
}

impl std::str::FromStr for Expression {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Expression, ParseError> {
        Expression::parse(s)
    }
}

/// An operand with where it came from, for type checks and messages.
struct Spanned {
    operand: Operand,
    span: Span,
    /// Static type: `None` for the null literal.
    ty: Option<Type>,
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    schema: Option<&'a Schema>,
    depth: usize,
}

/// How deeply parentheses and `not` may nest (keeps the recursive parser and evaluator far
/// from the stack limit on hostile input).
pub const MAX_DEPTH: usize = 200;

impl<'a> Parser<'a> {
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self
                .tokens
                .get(self.pos.saturating_sub(1))
                .map_or(Span::new(0, 0), |t| t.span);
            return Err(self.err(ErrorKind::TooDeep, span));
        }
        Ok(())
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn text(&self, span: Span) -> &'a str {
        &self.src[span.start..span.end]
    }

    fn err(&self, kind: ErrorKind, span: Span) -> ParseError {
        ParseError::new(kind, span, self.src)
    }

    /// "expected X after 'prev', found 'tok'" at the current token (or at the end of input).
    fn expected(&self, expected: Expected) -> ParseError {
        let after = self
            .pos
            .checked_sub(1)
            .map(|i| self.text(self.tokens[i].span).to_string());
        let (span, found) = match self.tokens.get(self.pos) {
            Some(t) => (t.span, Some(self.text(t.span).to_string())),
            None => {
                let end = self.src.trim_end().len();
                (Span::new(end, end), None)
            }
        };
        self.err(
            ErrorKind::Expected {
                expected,
                after,
                found,
            },
            span,
        )
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn parse_or(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.parse_and()?];
        while self.eat(&Tok::Or) {
            items.push(self.parse_and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Expr::Or(items)
        })
    }

    fn parse_and(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.parse_not()?];
        while self.eat(&Tok::And) {
            items.push(self.parse_not()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Expr::And(items)
        })
    }

    fn parse_not(&mut self) -> Result<Expr, ParseError> {
        if self.eat(&Tok::Not) {
            self.enter()?;
            let inner = self.parse_not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.parse_predicate()
    }

    fn parse_predicate(&mut self) -> Result<Expr, ParseError> {
        if self.eat(&Tok::LParen) {
            self.enter()?;
            let e = self.parse_or()?;
            self.depth -= 1;
            if !self.eat(&Tok::RParen) {
                return Err(self.expected(Expected::CloseParen));
            }
            return Ok(e);
        }
        let left = self.parse_operand(Expected::Condition)?;
        let op = match self.peek() {
            Some(Tok::Eq) => Some(CmpOp::Eq),
            Some(Tok::Ne) => Some(CmpOp::Ne),
            Some(Tok::Lt) => Some(CmpOp::Lt),
            Some(Tok::Le) => Some(CmpOp::Le),
            Some(Tok::Gt) => Some(CmpOp::Gt),
            Some(Tok::Ge) => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            let op_span = self.tokens[self.pos].span;
            self.pos += 1;
            let right = self.parse_operand(Expected::Value)?;
            self.check_compare(op, self.text(op_span), &left, &right)?;
            return Ok(Expr::Compare {
                op,
                left: left.operand,
                right: right.operand,
            });
        }
        match self.peek() {
            Some(Tok::In) => {
                self.pos += 1;
                self.parse_in(left, false)
            }
            Some(Tok::Between) => {
                self.pos += 1;
                self.parse_between(left, false)
            }
            Some(Tok::Not) => {
                self.pos += 1;
                match self.peek() {
                    Some(Tok::In) => {
                        self.pos += 1;
                        self.parse_in(left, true)
                    }
                    Some(Tok::Between) => {
                        self.pos += 1;
                        self.parse_between(left, true)
                    }
                    _ => Err(self.expected(Expected::InOrBetween)),
                }
            }
            Some(Tok::Is) => {
                self.pos += 1;
                let negated = self.eat(&Tok::Not);
                if !self.eat(&Tok::Null) {
                    return Err(self.expected(Expected::Null));
                }
                Ok(Expr::IsNull {
                    operand: left.operand,
                    negated,
                })
            }
            None | Some(Tok::And) | Some(Tok::Or) | Some(Tok::RParen) => match left.ty {
                Some(Type::Bool) | Some(Type::Any) => Ok(Expr::Truth(left.operand)),
                ty => Err(self.err(
                    ErrorKind::NotACondition {
                        operand: self.text(left.span).to_string(),
                        ty: ty.unwrap_or(Type::Any),
                    },
                    left.span,
                )),
            },
            Some(_) => Err(self.expected(Expected::Operator)),
        }
    }

    fn parse_in(&mut self, left: Spanned, negated: bool) -> Result<Expr, ParseError> {
        if !self.eat(&Tok::LBracket) {
            return Err(self.expected(Expected::ListStart));
        }
        let mut list = Vec::new();
        if !self.eat(&Tok::RBracket) {
            loop {
                let span = self.tokens.get(self.pos).map(|t| t.span);
                let item = match self.peek() {
                    Some(Tok::Str(s)) => Scalar::Text(s.clone()),
                    Some(Tok::Num(x)) => Scalar::Number(*x),
                    Some(Tok::True) => Scalar::Bool(true),
                    Some(Tok::False) => Scalar::Bool(false),
                    _ => return Err(self.expected(Expected::ListItem)),
                };
                let span = span.unwrap();
                self.pos += 1;
                let item_ty = item.as_value().type_of();
                let right = Spanned {
                    operand: Operand::Literal(item.clone()),
                    span,
                    ty: item_ty,
                };
                self.check_types(if negated { "not in" } else { "in" }, &left, &right)?;
                list.push(item);
                if self.eat(&Tok::Comma) {
                    // A trailing comma before ']' is fine.
                    if self.eat(&Tok::RBracket) {
                        break;
                    }
                    continue;
                }
                if self.eat(&Tok::RBracket) {
                    break;
                }
                return Err(self.expected(Expected::CommaOrCloseBracket));
            }
        }
        Ok(Expr::In {
            operand: left.operand,
            list,
            negated,
        })
    }

    fn parse_between(&mut self, left: Spanned, negated: bool) -> Result<Expr, ParseError> {
        let name = if negated { "not between" } else { "between" };
        let low = self.parse_operand(Expected::Value)?;
        if !self.eat(&Tok::And) {
            return Err(self.expected(Expected::BetweenAnd));
        }
        let high = self.parse_operand(Expected::Value)?;
        for bound in [&low, &high] {
            if bound.ty.is_none() {
                return Err(self.err(ErrorKind::CompareWithNull { op: name.into() }, bound.span));
            }
            self.check_types(name, &left, bound)?;
        }
        for o in [&left, &low, &high] {
            if o.ty == Some(Type::Bool) {
                let operand = self.text(o.span).to_string();
                return Err(self.err(
                    ErrorKind::NotOrderable {
                        op: name.into(),
                        operand,
                    },
                    o.span,
                ));
            }
        }
        Ok(Expr::Between {
            operand: left.operand,
            low: low.operand,
            high: high.operand,
            negated,
        })
    }

    fn check_compare(
        &self,
        op: CmpOp,
        op_text: &str,
        left: &Spanned,
        right: &Spanned,
    ) -> Result<(), ParseError> {
        if left.ty.is_none() || right.ty.is_none() {
            return Err(self.err(
                ErrorKind::CompareWithNull { op: op_text.into() },
                left.span.to(right.span),
            ));
        }
        self.check_types(op_text, left, right)?;
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            for o in [left, right] {
                if o.ty == Some(Type::Bool) {
                    let operand = self.text(o.span).to_string();
                    return Err(self.err(
                        ErrorKind::NotOrderable {
                            op: op_text.into(),
                            operand,
                        },
                        o.span,
                    ));
                }
            }
        }
        Ok(())
    }

    fn check_types(&self, op: &str, left: &Spanned, right: &Spanned) -> Result<(), ParseError> {
        match (left.ty, right.ty) {
            (Some(a), Some(b)) if a != b && a != Type::Any && b != Type::Any => Err(self.err(
                ErrorKind::TypeMismatch {
                    op: op.to_string(),
                    left: self.text(left.span).to_string(),
                    left_type: a,
                    right: self.text(right.span).to_string(),
                    right_type: b,
                },
                right.span,
            )),
            _ => Ok(()),
        }
    }

    fn parse_operand(&mut self, expected: Expected) -> Result<Spanned, ParseError> {
        let Some(token) = self.tokens.get(self.pos) else {
            return Err(self.expected(expected));
        };
        let span = token.span;
        let (operand, ty) = match &token.tok {
            Tok::Ident(name) | Tok::QuotedIdent(name) => {
                let ty = match self.schema {
                    None => Type::Any,
                    Some(schema) => match schema.get(name) {
                        Some(t) => t,
                        None => {
                            let suggestions = suggest(name, schema.fields().map(|(n, _)| n));
                            return Err(self.err(
                                ErrorKind::UnknownField {
                                    name: name.clone(),
                                    suggestions,
                                },
                                span,
                            ));
                        }
                    },
                };
                (Operand::Field(Field::new(name)), Some(ty))
            }
            Tok::Str(s) => (Operand::Literal(Scalar::Text(s.clone())), Some(Type::Text)),
            Tok::Num(x) => (Operand::Literal(Scalar::Number(*x)), Some(Type::Number)),
            Tok::True => (Operand::Literal(Scalar::Bool(true)), Some(Type::Bool)),
            Tok::False => (Operand::Literal(Scalar::Bool(false)), Some(Type::Bool)),
            Tok::Null => (Operand::Literal(Scalar::Null), None),
            _ => return Err(self.expected(expected)),
        };
        self.pos += 1;
        Ok(Spanned { operand, span, ty })
    }
}
