//! Compile errors with positions, caret excerpts and messages in English and Chinese.

use crate::value::Type;
use std::fmt;

/// Byte range in the expression source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// What the parser wanted to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A field name, string, number, `true`, `false` or `null`.
    Value,
    /// A field, `(` or `not`.
    Condition,
    /// `=`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in`, `between` or `is`.
    Operator,
    /// `)`.
    CloseParen,
    /// `[` starting a list after `in`.
    ListStart,
    /// A literal inside `[..]`.
    ListItem,
    /// `,` or `]` inside a list.
    CommaOrCloseBracket,
    /// `and` between the bounds of `between`.
    BetweenAnd,
    /// `null` after `is` / `is not`.
    Null,
    /// `in` or `between` after `not` following a value.
    InOrBetween,
    /// `and`, `or` or the end of the expression.
    End,
}

impl Expected {
    fn en(self) -> &'static str {
        match self {
            Expected::Value => "a value (field name, string, number, true, false or null)",
            Expected::Condition => "a condition (a field, '(' or 'not')",
            Expected::Operator => {
                "a comparison ('=', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'between' or 'is')"
            }
            Expected::CloseParen => "')'",
            Expected::ListStart => "'[' starting a list",
            Expected::ListItem => "a list item (string, number or boolean)",
            Expected::CommaOrCloseBracket => "',' or ']'",
            Expected::BetweenAnd => "'and' between the two bounds",
            Expected::Null => "'null'",
            Expected::InOrBetween => "'in' or 'between'",
            Expected::End => "'and', 'or' or the end of the expression",
        }
    }
    fn zh(self) -> &'static str {
        match self {
            Expected::Value => "一个值（字段名、字符串、数字、true、false 或 null）",
            Expected::Condition => "一个条件（字段、'(' 或 'not'）",
            Expected::Operator => {
                "比较运算符（'='、'!='、'<'、'<='、'>'、'>='、'in'、'not in'、'between' 或 'is'）"
            }
            Expected::CloseParen => "')'",
            Expected::ListStart => "列表开头 '['",
            Expected::ListItem => "列表元素（字符串、数字或布尔值）",
            Expected::CommaOrCloseBracket => "',' 或 ']'",
            Expected::BetweenAnd => "两个边界之间的 'and'",
            Expected::Null => "'null'",
            Expected::InOrBetween => "'in' 或 'between'",
            Expected::End => "'and'、'or' 或表达式结尾",
        }
    }
}

/// The kind of a compile error.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorKind {
    /// The expression is empty (or only whitespace).
    Empty,
    UnexpectedChar(char),
    /// A run of non-ASCII letters outside quotes, e.g. `城市`: field names are ASCII unless
    /// backquoted, and text values need quotes.
    UnquotedWord(String),
    /// A string literal without its closing quote (the span is the opening quote).
    UnterminatedString,
    /// A backquoted field name without its closing backquote.
    UnterminatedField,
    /// An unknown escape such as `\q` (the span covers it).
    BadEscape(String),
    BadNumber(String),
    /// `after`: the text of the previous token, if any; `found`: the offending token (None at
    /// the end of input).
    Expected {
        expected: Expected,
        after: Option<String>,
        found: Option<String>,
    },
    /// A field missing from the schema, with the closest known names.
    UnknownField {
        name: String,
        suggestions: Vec<String>,
    },
    /// Two sides of a comparison (or a list item / bound) with incompatible types.
    TypeMismatch {
        op: String,
        left: String,
        left_type: Type,
        right: String,
        right_type: Type,
    },
    /// An ordering comparison (`<`, `between`, …) on booleans.
    NotOrderable {
        op: String,
        operand: String,
    },
    /// A value used as a condition that is not boolean (e.g. `churn_risk and …`).
    NotACondition {
        operand: String,
        ty: Type,
    },
    /// Parentheses or `not` nested deeper than [`MAX_DEPTH`](crate::MAX_DEPTH).
    TooDeep,
    /// `x = null` / `x != null`: comparisons with null are never true; use `is null`.
    CompareWithNull {
        op: String,
    },
}

/// A compile error: kind, position and the source it points into.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// Boxed to keep `Result<_, ParseError>` small.
    pub kind: Box<ErrorKind>,
    pub span: Span,
    /// 1-based line of `span.start`.
    pub line: usize,
    /// 1-based column of `span.start`, in characters.
    pub column: usize,
    source: String,
}

fn q(s: &str) -> String {
    format!("'{s}'")
}

impl ParseError {
    pub fn new(kind: ErrorKind, span: Span, source: &str) -> ParseError {
        let start = span.start.min(source.len());
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source[line_start..start].chars().count() + 1;
        ParseError {
            kind: Box::new(kind),
            span,
            line,
            column,
            source: source.to_string(),
        }
    }

    fn multiline(&self) -> bool {
        self.source.contains('\n')
    }

    fn at_en(&self) -> String {
        if self.multiline() {
            format!("at line {}, column {}", self.line, self.column)
        } else {
            format!("at column {}", self.column)
        }
    }

    fn at_zh(&self) -> String {
        if self.multiline() {
            format!("第 {} 行第 {} 列", self.line, self.column)
        } else {
            format!("第 {} 列", self.column)
        }
    }

    /// One-line English message, e.g. `expected a value … after '>' at column 27, found end of input`.
    pub fn message_en(&self) -> String {
        let at = self.at_en();
        match &*self.kind {
            ErrorKind::Empty => "the expression is empty: expected a condition such as churn_risk > 0.5".into(),
            ErrorKind::UnexpectedChar(c) => {
                let hint = match c {
                    '&' => " (use 'and' or '&&')",
                    '|' => " (use 'or' or '||')",
                    _ => "",
                };
                format!("unexpected character '{c}' {at}{hint}")
            }
            ErrorKind::UnquotedWord(w) => format!(
                "unexpected '{w}' {at}: quote text values (\"{w}\") and backquote other field names (`{w}`)"
            ),
            ErrorKind::UnterminatedString => format!("string starting {at} is never closed: add the closing quote"),
            ErrorKind::UnterminatedField => format!("field name starting {at} is never closed: add the closing '`'"),
            ErrorKind::BadEscape(e) => {
                format!("unknown escape '{e}' {at}: use \\\\, \\\", \\', \\n, \\t, \\r or \\u{{…}}")
            }
            ErrorKind::BadNumber(n) => format!("'{n}' {at} is not a valid number"),
            ErrorKind::Expected { expected, after, found } => {
                let after = after.as_deref().map(|a| format!(" after {}", q(a))).unwrap_or_default();
                let found = match found {
                    Some(f) => format!("found {}", q(f)),
                    None => "found the end of the expression".into(),
                };
                format!("expected {}{after} {at}, {found}", expected.en())
            }
            ErrorKind::UnknownField { name, suggestions } => {
                let mut m = format!("unknown field '{name}' {at}");
                if !suggestions.is_empty() {
                    let list: Vec<String> = suggestions.iter().map(|s| q(s)).collect();
                    m.push_str(&format!("; did you mean {}?", join_or(&list, "or")));
                }
                m
            }
            ErrorKind::TypeMismatch { op, left, left_type, right, right_type } => format!(
                "type mismatch {at}: cannot use '{op}' between {left} ({}) and {right} ({})",
                left_type.name_en(),
                right_type.name_en()
            ),
            ErrorKind::NotOrderable { op, operand } => {
                format!("'{op}' {at} needs numbers or text, but {operand} is a boolean")
            }
            ErrorKind::NotACondition { operand, ty } => format!(
                "{operand} {at} is a {} and cannot be used as a condition on its own: compare it, e.g. {operand} > 0",
                ty.name_en()
            ),
            ErrorKind::TooDeep => {
                format!("the expression is nested too deeply {at} (more than {} levels)", crate::MAX_DEPTH)
            }
            ErrorKind::CompareWithNull { op } => {
                let fix = if op == "!=" || op == "<>" { "is not null" } else { "is null" };
                format!("'{op} null' {at} is never true: use '{fix}'")
            }
        }
    }

    /// 中文提示，例如 `第 27 列：'>' 后面应为一个值……，但表达式已结束`。
    pub fn message_zh(&self) -> String {
        let at = self.at_zh();
        match &*self.kind {
            ErrorKind::Empty => "表达式为空：需要一个条件，例如 churn_risk > 0.5".into(),
            ErrorKind::UnexpectedChar(c) => {
                let hint = match c {
                    '&' => "（请用 'and'、'&&' 或 '且'）",
                    '|' => "（请用 'or'、'||' 或 '或'）",
                    _ => "",
                };
                format!("{at}：无法识别的字符 '{c}'{hint}")
            }
            ErrorKind::UnquotedWord(w) => {
                format!("{at}：无法识别 '{w}'：文本值请加引号（\"{w}\"），非英文字段名请用反引号（`{w}`）")
            }
            ErrorKind::UnterminatedString => format!("{at}：字符串缺少结束引号"),
            ErrorKind::UnterminatedField => format!("{at}：字段名缺少结束的反引号 '`'"),
            ErrorKind::BadEscape(e) => format!(
                "{at}：未知的转义序列 '{e}'（可用 \\\\、\\\"、\\'、\\n、\\t、\\r 或 \\u{{…}}）"
            ),
            ErrorKind::BadNumber(n) => format!("{at}：'{n}' 不是有效的数字"),
            ErrorKind::Expected {
                expected,
                after,
                found,
            } => {
                let after = after
                    .as_deref()
                    .map(|a| format!("{} 后面", q(a)))
                    .unwrap_or_default();
                let found = match found {
                    Some(f) => format!("但遇到了 {}", q(f)),
                    None => "但表达式已结束".into(),
                };
                format!("{at}：{after}应为{}，{found}", expected.zh())
            }
            ErrorKind::UnknownField { name, suggestions } => {
                let mut m = format!("{at}：未知字段 '{name}'");
                if !suggestions.is_empty() {
                    let list: Vec<String> = suggestions.iter().map(|s| q(s)).collect();
                    m.push_str(&format!("；您是不是想输入 {}？", list.join(" 或 ")));
                }
                m
            }
            ErrorKind::TypeMismatch {
                op,
                left,
                left_type,
                right,
                right_type,
            } => format!(
                "{at}：类型不匹配，不能对 {left}（{}）和 {right}（{}）使用 '{op}'",
                left_type.name_zh(),
                right_type.name_zh()
            ),
            ErrorKind::NotOrderable { op, operand } => {
                format!("{at}：'{op}' 需要数值或文本，但 {operand} 是布尔值")
            }
            ErrorKind::NotACondition { operand, ty } => format!(
                "{at}：{operand} 是{}，不能单独作为条件，请加上比较，例如 {operand} > 0",
                ty.name_zh()
            ),
            ErrorKind::TooDeep => format!("{at}：表达式嵌套过深（超过 {} 层）", crate::MAX_DEPTH),
            ErrorKind::CompareWithNull { op } => {
                let fix = if op == "!=" || op == "<>" {
                    "is not null"
                } else {
                    "is null"
                };
                format!("{at}：'{op} null' 永远不成立，请使用 '{fix}'")
            }
        }
    }

    /// The source line with a caret under the error, e.g.
    /// ```text
    ///   1 | churn_risk >
    ///     |             ^
    /// ```
    /// Wide (CJK) characters count as two columns so the caret lines up in a terminal.
    pub fn excerpt(&self) -> String {
        let start = self.span.start.min(self.source.len());
        let line_start = self.source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.source[start..]
            .find('\n')
            .map_or(self.source.len(), |i| start + i);
        let text = &self.source[line_start..line_end];
        let pad: usize = self.source[line_start..start]
            .chars()
            .map(display_width)
            .sum();
        let end = self.span.end.clamp(start, line_end);
        let width: usize = self.source[start..end]
            .chars()
            .map(display_width)
            .sum::<usize>()
            .max(1);
        let num = self.line.to_string();
        let gutter = " ".repeat(num.len());
        format!(
            "{num} | {text}\n{gutter} | {}{}",
            " ".repeat(pad),
            "^".repeat(width)
        )
    }

    /// Message and excerpt in English.
    pub fn render_en(&self) -> String {
        format!("error: {}\n{}", self.message_en(), self.excerpt())
    }

    /// Message and excerpt in Chinese.
    pub fn render_zh(&self) -> String {
        format!("错误：{}\n{}", self.message_zh(), self.excerpt())
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

fn join_or(items: &[String], word: &str) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} {word} {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

fn display_width(c: char) -> usize {
    let u = c as u32;
    let wide = (0x1100..=0x115F).contains(&u)
        || (0x2E80..=0xA4CF).contains(&u)
        || (0xAC00..=0xD7A3).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFE30..=0xFE4F).contains(&u)
        || (0xFF00..=0xFF60).contains(&u)
        || (0xFFE0..=0xFFE6).contains(&u)
        || (0x20000..=0x3FFFD).contains(&u);
    if wide {
        2
    } else {
        1
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_en())
    }
}

impl std::error::Error for ParseError {}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Up to three known names close to `name`: case-insensitive matches first, then by edit
/// distance (at most 1 for short names, 2 up to 8 characters, 3 beyond), then names that
/// contain `name` (e.g. `price` → `trait_price_sensitivity`).
pub fn suggest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Vec<String> {
    let lower = name.to_lowercase();
    let limit = match name.chars().count() {
        0..=3 => 1,
        4..=8 => 2,
        _ => 3,
    };
    let mut scored: Vec<(usize, String)> = Vec::new();
    for k in known {
        let kl = k.to_lowercase();
        let d = if kl == lower {
            0
        } else {
            let d = edit_distance(&lower, &kl);
            if d <= limit {
                d
            } else if lower.len() >= 4 && kl.contains(&lower) {
                limit + 1
            } else {
                continue;
            }
        };
        scored.push((d, k.to_string()));
    }
    scored.sort();
    scored.into_iter().take(3).map(|(_, k)| k).collect()
}
