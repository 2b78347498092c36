//! The playbook: actions and the rules that pick one per customer, as TOML a shop can edit.
//!
//! ```toml
//! [[action]]
//! id = "price_drop_alert"
//! name_zh = "降价提醒与优惠券"
//! name_en = "Price-drop alerts and coupons"
//!
//! [[rule]]
//! id = "price_sensitive"
//! priority = 50                     # lower runs first; ties keep file order
//! when = "persona = 'price_sensitive'"
//! action = "price_drop_alert"
//! reason_zh = "{signal_discount_line_share:%} 的商品在折扣时购买：推送降价提醒"
//! reason_en = "{signal_discount_line_share:%} of items bought on discount: send price-drop alerts"
//! ```
//!
//! `when` is an expression of the segment language (`xinli-segment`) over the fields of the
//! [`Schema`] the playbook is compiled against; reasons are [`Template`]s. The first rule (by
//! priority) whose `when` is true for a customer gives the next best action; a customer no rule
//! matches gets none. Every error names the file, line and column: TOML syntax and unknown keys
//! from the TOML parser's span, a bad `when` at the exact character of the expression, a bad
//! placeholder at the placeholder.

use crate::template::{Lang, Template, TemplateError};
use std::collections::HashSet;
use std::ops::Range;
use toml::Spanned;
use xinli_segment::{Expression, Record, Schema};

/// The playbook shipped with xinli (also the starting point for a shop's own).
pub const DEFAULT_PLAYBOOK_TOML: &str = include_str!("../playbook.default.toml");

/// An action a shop can take.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
}

impl Action {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.name_zh,
            Lang::En => &self.name_en,
        }
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub priority: i64,
    pub when: Expression,
    /// Index into [`Playbook::actions`].
    pub action: usize,
    pub reason_zh: Template,
    pub reason_en: Template,
}

/// A compiled playbook: rules sorted by priority (stable).
#[derive(Debug, Clone)]
pub struct Playbook {
    /// Where it came from (a path, or `(built-in)`), for messages.
    pub origin: String,
    pub actions: Vec<Action>,
    pub rules: Vec<Rule>,
}

/// The action chosen for one customer and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision<'p> {
    pub action: &'p Action,
    pub rule: &'p str,
    /// The reason in the language asked for.
    pub reason: String,
    /// The reason in each language (a dashboard shows the one of its reader).
    pub reason_zh: String,
    pub reason_en: String,
}

/// A playbook that cannot be used, with the position of the problem in its file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}, line {line}, column {column}: {message_en}")]
pub struct PlaybookError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message_en: String,
    pub message_zh: String,
}

impl PlaybookError {
    /// The message in Chinese: `文件，第 L 行第 C 列：…`.
    pub fn render_zh(&self) -> String {
        format!("{}，第 {} 行第 {} 列：{}", self.file, self.line, self.column, self.message_zh)
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlaybook {
    #[serde(default)]
    action: Vec<Spanned<RawAction>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    id: Spanned<String>,
    name_zh: String,
    name_en: String,
    #[serde(default)]
    #[allow(dead_code)] // documentation for the shop's staff; kept in the file only
    description: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    #[serde(default)]
    priority: i64,
    when: Spanned<String>,
    action: Spanned<String>,
    reason_zh: Spanned<String>,
    reason_en: Spanned<String>,
}

/// Line and column (1-based, characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let offset = (0..=offset).rev().find(|&o| text.is_char_boundary(o)).unwrap_or(0);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[start..offset].chars().count() + 1)
}

/// Where the characters of a string value begin in the file, when the file spells the value
/// literally (no escapes), so positions inside it map one to one.
fn content_start(text: &str, span: &Range<usize>, value: &str) -> Option<usize> {
    let raw = text.get(span.clone())?;
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(inner) = raw.strip_prefix(quote).and_then(|r| r.strip_suffix(quote)) {
            let skip = if quote.len() == 3 && inner.starts_with('\n') { 1 } else if quote.len() == 3 && inner.starts_with("\r\n") { 2 } else { 0 };
            let start = span.start + quote.len() + skip;
            return (text.get(start..start + value.len()) == Some(value)).then_some(start);
        }
    }
    None
}

impl Playbook {
    /// The built-in playbook, compiled against `schema`.
    pub fn default_with(schema: &Schema) -> Result<Playbook, PlaybookError> {
        Playbook::parse(DEFAULT_PLAYBOOK_TOML, "(built-in playbook)", schema)
    }

    /// Reads and compiles a playbook file.
    pub fn from_path(path: &std::path::Path, schema: &Schema) -> Result<Playbook, PlaybookError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PlaybookError {
            file: file.clone(),
            line: 0,
            column: 0,
            message_en: format!("cannot read the playbook: {e}"),
            message_zh: format!("无法读取策略文件：{e}"),
        })?;
        Playbook::parse(&text, &file, schema)
    }

    /// Compiles playbook `text`; `file` names it in errors. Rule conditions are checked against
    /// `schema`; a reason placeholder may name a schema field or a bilingual pair
    /// `<name>_zh`/`<name>_en`.
    pub fn parse(text: &str, file: &str, schema: &Schema) -> Result<Playbook, PlaybookError> {
        let error_at = |offset: usize, en: String, zh: String| {
            let (line, column) = line_column(text, offset);
            PlaybookError { file: file.to_string(), line, column, message_en: en, message_zh: zh }
        };
        let raw: RawPlaybook = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            error_at(e.span().map_or(0, |s| s.start), message.clone(), format!("TOML 格式错误：{message}"))
        })?;
        let mut actions: Vec<Action> = Vec::new();
        for a in raw.action {
            let a = a.into_inner();
            if actions.iter().any(|x| x.id == *a.id.get_ref()) {
                let id = a.id.get_ref();
                return Err(error_at(a.id.span().start, format!("action id '{id}' is used twice"), format!("动作 id '{id}' 重复")));
            }
            actions.push(Action { id: a.id.into_inner(), name_zh: a.name_zh, name_en: a.name_en });
        }
        let known = |name: &str| {
            schema.get(name).is_some()
                || (schema.get(&format!("{name}_zh")).is_some() && schema.get(&format!("{name}_en")).is_some())
        };
        let mut seen = HashSet::new();
        let mut rules = Vec::new();
        for r in raw.rule {
            let r = r.into_inner();
            if !seen.insert(r.id.get_ref().clone()) {
                let id = r.id.get_ref();
                return Err(error_at(r.id.span().start, format!("rule id '{id}' is used twice"), format!("规则 id '{id}' 重复")));
            }
            let when = Expression::compile(r.when.get_ref(), Some(schema)).map_err(|e| {
                let at = content_start(text, &r.when.span(), r.when.get_ref()).map_or(r.when.span().start, |s| s + e.span.start);
                error_at(
                    at,
                    format!("rule '{}': {}", r.id.get_ref(), e.message_en()),
                    format!("规则 '{}'：{}", r.id.get_ref(), e.message_zh()),
                )
            })?;
            let Some(action) = actions.iter().position(|a| a.id == *r.action.get_ref()) else {
                let ids: Vec<&str> = actions.iter().map(|a| a.id.as_str()).collect();
                let hint = xinli_segment::suggest(r.action.get_ref(), ids.iter().copied());
                let hint_en = if hint.is_empty() { String::new() } else { format!(" (did you mean '{}'?)", hint.join("', '")) };
                let hint_zh = if hint.is_empty() { String::new() } else { format!("（是否想写 '{}'？）", hint.join("', '")) };
                return Err(error_at(
                    r.action.span().start,
                    format!("rule '{}': no action '{}' in [[action]]{hint_en}", r.id.get_ref(), r.action.get_ref()),
                    format!("规则 '{}'：[[action]] 中没有动作 '{}'{hint_zh}", r.id.get_ref(), r.action.get_ref()),
                ));
            };
            let template = |t: &Spanned<String>| {
                Template::parse(t.get_ref(), &known).map_err(|e: TemplateError| {
                    let at = content_start(text, &t.span(), t.get_ref()).map_or(t.span().start, |s| s + e.offset);
                    error_at(
                        at,
                        format!("rule '{}': {}", r.id.get_ref(), e.message_en),
                        format!("规则 '{}'：{}", r.id.get_ref(), e.message_zh),
                    )
                })
            };
            let reason_zh = template(&r.reason_zh)?;
            let reason_en = template(&r.reason_en)?;
            rules.push(Rule { id: r.id.into_inner(), priority: r.priority, when, action, reason_zh, reason_en });
        }
        if rules.is_empty() {
            return Err(error_at(
                0,
                "the playbook has no [[rule]]".into(),
                "策略文件中没有任何 [[rule]]".into(),
            ));
        }
        rules.sort_by_key(|r| r.priority);
        Ok(Playbook { origin: file.to_string(), actions, rules })
    }

    /// The first rule whose condition holds for `record`, its action and the filled reason.
    pub fn decide<R: Record + ?Sized>(&self, record: &R, lang: Lang) -> Option<Decision<'_>> {
        let rule = self.rules.iter().find(|r| r.when.matches(record))?;
        let (reason_zh, reason_en) = (rule.reason_zh.render(record, Lang::Zh), rule.reason_en.render(record, Lang::En));
        let reason = match lang {
            Lang::Zh => reason_zh.clone(),
            Lang::En => reason_en.clone(),
        };
        Some(Decision { action: &self.actions[rule.action], rule: &rule.id, reason, reason_zh, reason_en })
    }

    /// Every field the playbook reads (conditions and reasons), so a caller can fill only those.
    pub fn fields(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.rules {
            for f in r.when.fields().into_iter().chain(r.reason_zh.fields()).chain(r.reason_en.fields()) {
                if !out.iter().any(|x| x == f) {
                    out.push(f.to_string());
                }
            }
        }
        out
    }

    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.id == id)
    }
}
