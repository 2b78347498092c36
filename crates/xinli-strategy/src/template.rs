//! Reason templates: one line of text with `{field}` placeholders filled from a customer's
//! record, e.g. `买过 {orders} 次、{signal_discount_line_share:%} 在折扣时购买：推送降价提醒`.
//!
//! A placeholder is `{name}` or `{name:format}`; formats: `%` (a share as a whole percentage,
//! `0.71` → `71%`), `.N` (N decimals), `0` (whole number), `|one|many` (the number and a noun
//! in the singular or plural: `{orders:|order|orders}` → `1 order`, `3 orders`). Without a format, whole numbers print
//! as such and others with two decimals. A bilingual value is read from `name_zh` / `name_en`
//! when the record has it, else from `name`. An empty value prints as `—`. `{{` and `}}` are literal braces.

use xinli_segment::{Record, Value};

/// Which language a reason is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn suffix(self) -> &'static str {
        match self {
            Lang::Zh => "_zh",
            Lang::En => "_en",
        }
    }
}

/// How a placeholder's value is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    Plain,
    Percent,
    Decimals(usize),
    /// The plain number, a space and `one` when it is 1, else `many`.
    Counted { one: String, many: String },
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Field { name: String, format: Format },
}

/// A template error at a byte offset of the template text.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub offset: usize,
    pub message_en: String,
    pub message_zh: String,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub pieces: Vec<Piece>,
}

impl Template {
    /// Parses `text`; `known(name)` says whether a placeholder name can be filled.
    pub fn parse(text: &str, known: &dyn Fn(&str) -> bool) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text.char_indices().peekable();
        while let Some((i, ch)) = rest.next() {
            match ch {
                '{' if rest.peek().map(|p| p.1) == Some('{') => {
                    rest.next();
                    literal.push('{');
                }
                '}' if rest.peek().map(|p| p.1) == Some('}') => {
                    rest.next();
                    literal.push('}');
                }
                '}' => {
                    return Err(TemplateError {
                        offset: i,
                        message_en: "a '}' without its '{' (write '}}' for a literal brace)".into(),
                        message_zh: "多余的 '}'（字面大括号请写 '}}'）".into(),
                    })
                }
                '{' => {
                    let Some(close) = text[i..].find('}').map(|c| i + c) else {
                        return Err(TemplateError {
                            offset: i,
                            message_en: "a '{' without its '}'".into(),
                            message_zh: "'{' 缺少对应的 '}'".into(),
                        });
                    };
                    let inner = &text[i + 1..close];
                    let (name, spec) = inner.split_once(':').unwrap_or((inner, ""));
                    let name = name.trim();
                    let format = match spec.trim() {
                        "" => Format::Plain,
                        "%" => Format::Percent,
                        "0" => Format::Decimals(0),
                        s if s.starts_with('|') && s[1..].split('|').count() == 2 => {
                            let (one, many) = s[1..].split_once('|').expect("counted");
                            Format::Counted { one: one.trim().to_string(), many: many.trim().to_string() }
                        }
                        s if s.starts_with('.') && s[1..].parse::<usize>().is_ok_and(|n| n <= 6) => {
                            Format::Decimals(s[1..].parse().expect("checked"))
                        }
                        s => {
                            return Err(TemplateError {
                                offset: i,
                                message_en: format!("unknown format '{s}' in {{{inner}}} (use %, 0, .N or |one|many)"),
                                message_zh: format!("{{{inner}}} 中的格式 '{s}' 无法识别（可用 %、0、.N 或 |单数|复数）"),
                            })
                        }
                    };
                    if !known(name) {
                        return Err(TemplateError {
                            offset: i + 1,
                            message_en: format!("unknown field '{name}' in the reason"),
                            message_zh: format!("理由中的字段 '{name}' 不存在"),
                        });
                    }
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(Piece::Field { name: name.to_string(), format });
                    while rest.peek().is_some_and(|p| p.0 <= close) {
                        rest.next();
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template { pieces })
    }

    /// The placeholder names, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Field { name, .. } => Some(name.as_str()),
            Piece::Text(_) => None,
        })
    }

    /// Fills the template from `record`.
    pub fn render<R: Record + ?Sized>(&self, record: &R, lang: Lang) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Field { name, format } => {
                    // The language's own version first: `name` may hold another language's.
                    let value = match record.get(&format!("{name}{}", lang.suffix())) {
                        Value::Null => record.get(name),
                        v => v,
                    };
                    push_value(&mut out, value, format, lang);
                }
            }
        }
        out
    }
}

fn push_value(out: &mut String, value: Value<'_>, format: &Format, lang: Lang) {
    match value {
        Value::Null => out.push('—'),
        Value::Text(t) => out.push_str(t),
        Value::Bool(b) => out.push_str(match (b, lang) {
            (true, Lang::Zh) => "是",
            (false, Lang::Zh) => "否",
            (true, Lang::En) => "yes",
            (false, Lang::En) => "no",
        }),
        Value::Number(x) => match format {
            Format::Percent => out.push_str(&format!("{:.0}%", 100.0 * x)),
            Format::Decimals(d) => out.push_str(&format!("{x:.d$}")),
            Format::Plain if x.fract() == 0.0 && x.abs() < 1e15 => out.push_str(&format!("{}", x as i64)),
            Format::Plain => out.push_str(&format!("{x:.2}")),
            Format::Counted { one, many } => {
                push_value(out, value, &Format::Plain, lang);
                out.push(' ');
                out.push_str(if x == 1.0 { one } else { many });
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinli_segment::{MapRecord, Scalar};

    fn record() -> MapRecord {
        let mut r = MapRecord::new();
        r.insert("orders".into(), Scalar::Number(5.0));
        r.insert("share".into(), Scalar::Number(0.714));
        r.insert("clv".into(), Scalar::Number(1234.567));
        r.insert("why_zh".into(), Scalar::Text("晚到".into()));
        r.insert("why_en".into(), Scalar::Text("late".into()));
        r
    }

    #[test]
    fn fills_formats_and_bilingual_fields() {
        let known = |n: &str| ["orders", "share", "clv", "why", "missing"].contains(&n);
        let t = Template::parse("买过 {orders} 次、{share:%} 在折扣时购买 {clv:0} {clv} {share:.1} {why} {missing} {{x}}", &known).unwrap();
        assert_eq!(t.render(&record(), Lang::Zh), "买过 5 次、71% 在折扣时购买 1235 1234.57 0.7 晚到 — {x}");
        assert_eq!(Template::parse("{why}", &known).unwrap().render(&record(), Lang::En), "late");
        assert_eq!(t.fields().collect::<Vec<_>>(), ["orders", "share", "clv", "clv", "share", "why", "missing"]);
    }

    #[test]
    fn counted_nouns_agree_with_the_number() {
        let known = |n: &str| ["orders", "one"].contains(&n);
        let t = Template::parse("bought {orders:|time|times}, {one:| day | days} ago", &known).unwrap();
        let mut r = record();
        r.insert("one".into(), Scalar::Number(1.0));
        assert_eq!(t.render(&r, Lang::En), "bought 5 times, 1 day ago");
        assert!(Template::parse("{orders:|time}", &known).is_err(), "both forms are needed");
    }

    #[test]
    fn errors_point_at_the_placeholder() {
        let known = |n: &str| n == "orders";
        let e = Template::parse("bought {ordres} times", &known).unwrap_err();
        assert_eq!(e.offset, 8);
        assert!(e.message_en.contains("'ordres'"));
        assert_eq!(Template::parse("a {orders", &known).unwrap_err().offset, 2);
        assert_eq!(Template::parse("a } b", &known).unwrap_err().offset, 2);
        assert!(Template::parse("{orders:%%}", &known).unwrap_err().message_en.contains("unknown format"));
    }
}
