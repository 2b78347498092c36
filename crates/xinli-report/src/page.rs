//! The report page model and its HTML rendering.
//!
//! A [`Report`] is a list of [`Section`]s, each a list of [`Block`]s. The model knows nothing about
//! customer value: callers build sections from their own data (see [`crate::value_sections`] for
//! the customer-value ones).
//!
//! [`render`] writes one self-contained HTML page: inline CSS, inline SVG, a small inline script
//! for the language toggle, and no reference to anything outside the file. Both languages are in
//! the DOM (`.l-zh` / `.l-en`); the toggle only changes which is visible, so it works offline and
//! the page prints in the language on screen.

use crate::chart::Svg;
use crate::format;
use crate::text::{data_attrs, escape, escape_into, html_into, Lang, Text};
use std::collections::HashSet;
use std::fmt::Write as _;

/// A whole report.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Report {
    pub title: Text,
    pub subtitle: Option<Text>,
    /// When the report was made, as the caller wants it shown (e.g. `2024-05-01 14:03 UTC`).
    pub generated_at: String,
    pub sections: Vec<Section>,
}

impl Report {
    pub fn new(title: impl Into<Text>) -> Self {
        Report { title: title.into(), ..Default::default() }
    }
    pub fn subtitle(mut self, t: impl Into<Text>) -> Self {
        self.subtitle = Some(t.into());
        self
    }
    pub fn generated_at(mut self, s: impl Into<String>) -> Self {
        self.generated_at = s.into();
        self
    }
    pub fn section(mut self, s: Section) -> Self {
        self.sections.push(s);
        self
    }
    pub fn push(&mut self, s: Section) {
        self.sections.push(s);
    }
}

/// A titled part of the report, listed in the table of contents.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Section {
    /// The anchor (`#id`). Characters other than ASCII letters, digits, `-` and `_` are dropped;
    /// empty or repeated ids are made unique when rendering.
    pub id: String,
    pub heading: Text,
    pub intro: Option<Text>,
    pub blocks: Vec<Block>,
}

impl Section {
    pub fn new(id: impl Into<String>, heading: impl Into<Text>) -> Self {
        Section { id: id.into(), heading: heading.into(), intro: None, blocks: Vec::new() }
    }
    pub fn intro(mut self, t: impl Into<Text>) -> Self {
        self.intro = Some(t.into());
        self
    }
    pub fn block(mut self, b: Block) -> Self {
        self.blocks.push(b);
        self
    }
    pub fn push(&mut self, b: Block) {
        self.blocks.push(b);
    }
}

/// The content of a section.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A chart from [`crate::chart`] with a caption under it.
    Chart(Svg, Text),
    Table(Table),
    /// A row of headline numbers.
    KeyFigures(Vec<KeyFigure>),
    Paragraph(Text),
    /// A highlighted remark (caveats, data problems, advice).
    Note(Text),
    /// Blocks side by side on wide screens (stacked on narrow screens and in print).
    Columns(Vec<Block>),
}

impl Block {
    pub fn chart(svg: Svg, caption: impl Into<Text>) -> Self {
        Block::Chart(svg, caption.into())
    }
    pub fn paragraph(t: impl Into<Text>) -> Self {
        Block::Paragraph(t.into())
    }
    pub fn note(t: impl Into<Text>) -> Self {
        Block::Note(t.into())
    }
}

/// A headline number: a label, the formatted value and an optional note under it.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyFigure {
    pub label: Text,
    /// Already formatted (see [`crate::format`]).
    pub value: String,
    pub note: Option<Text>,
}

impl KeyFigure {
    pub fn new(label: impl Into<Text>, value: impl Into<String>) -> Self {
        KeyFigure { label: label.into(), value: value.into(), note: None }
    }
    pub fn note(mut self, t: impl Into<Text>) -> Self {
        self.note = Some(t.into());
        self
    }
}

/// A table with bilingual headers and cells (cells that read the same in both languages are
/// `Text::same`, which `From<String>` gives).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Table {
    pub caption: Option<Text>,
    pub headers: Vec<Text>,
    pub rows: Vec<Vec<Text>>,
    /// Right-aligned, tabular-figure columns (by index).
    pub numeric: Vec<usize>,
    /// Emphasised rows (by index), e.g. the selected model.
    pub highlight: Vec<usize>,
}

/// Tables show at most this many rows; a note says how many were left out.
pub const MAX_TABLE_ROWS: usize = 1_000;

impl Table {
    pub fn new(headers: Vec<Text>) -> Self {
        Table { headers, ..Default::default() }
    }
    pub fn caption(mut self, t: impl Into<Text>) -> Self {
        self.caption = Some(t.into());
        self
    }
    /// Marks columns as numeric (right-aligned).
    pub fn numeric(mut self, columns: &[usize]) -> Self {
        self.numeric.extend_from_slice(columns);
        self
    }
    pub fn row(mut self, cells: Vec<Text>) -> Self {
        self.rows.push(cells);
        self
    }
    pub fn push_row(&mut self, cells: Vec<Text>) {
        self.rows.push(cells);
    }
    pub fn highlight(mut self, row: usize) -> Self {
        self.highlight.push(row);
        self
    }
}

/// Renders the report as one self-contained HTML page, opening in `lang`.
pub fn render(report: &Report, lang: Lang) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let ids = unique_ids(&report.sections);
    let l = lang.code();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\" data-lang=\"{l}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"xinli\">\n",
        lang.html_tag()
    );
    let _ = write!(out, "<title{}>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n", data_attrs(&report.title), escape(report.title.get(lang)));

    // Header.
    out.push_str("<header class=\"top\"><div class=\"wrap head\"><div class=\"head-text\"><div class=\"brand\">心理 · xinli</div><h1>");
    html_into(&mut out, &report.title);
    out.push_str("</h1>");
    if let Some(s) = &report.subtitle {
        out.push_str("<p class=\"subtitle\">");
        html_into(&mut out, s);
        out.push_str("</p>");
    }
    if !report.generated_at.is_empty() {
        out.push_str("<p class=\"meta\">");
        html_into(&mut out, &Text::new("生成时间：", "Generated: "));
        escape_into(&mut out, &report.generated_at);
        out.push_str("</p>");
    }
    out.push_str(
        "</div><div class=\"toggle\" role=\"group\" aria-label=\"Language / 语言\"><button type=\"button\" data-set-lang=\"zh\" lang=\"zh-CN\">中文</button><button type=\"button\" data-set-lang=\"en\" lang=\"en\">English</button></div></div></header>\n",
    );

    // Table of contents.
    out.push_str("<div class=\"layout\">\n<nav class=\"toc\" aria-label=\"Contents\"><div class=\"toc-title\">");
    html_into(&mut out, &Text::new("目录", "Contents"));
    out.push_str("</div><ol>");
    for (s, id) in report.sections.iter().zip(&ids) {
        let _ = write!(out, "<li><a href=\"#{id}\">");
        html_into(&mut out, &s.heading);
        out.push_str("</a></li>");
    }
    out.push_str("</ol></nav>\n<main>\n");

    if report.sections.is_empty() {
        out.push_str("<section class=\"card\"><p class=\"muted\">");
        html_into(&mut out, &Text::new("报告中没有内容。", "This report has no content."));
        out.push_str("</p></section>\n");
    }
    for (s, id) in report.sections.iter().zip(&ids) {
        let _ = write!(out, "<section class=\"card\" id=\"{id}\"><h2>");
        html_into(&mut out, &s.heading);
        out.push_str("</h2>");
        if let Some(intro) = &s.intro {
            out.push_str("<p class=\"intro\">");
            html_into(&mut out, intro);
            out.push_str("</p>");
        }
        for b in &s.blocks {
            block(&mut out, b);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n</div>\n<footer class=\"wrap foot\">");
    html_into(
        &mut out,
        &Text::new(
            "由 xinli 生成。本报告是一个离线文件：不加载任何外部资源，数据不会离开您的电脑。",
            "Generated by xinli. This report is a single offline file: it loads nothing from the network and your data never leaves your computer.",
        ),
    );
    out.push_str("</footer>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

fn block(out: &mut String, b: &Block) {
    match b {
        Block::Chart(svg, caption) => {
            out.push_str("<figure class=\"chart-fig\">");
            out.push_str(svg.as_str());
            if !caption.is_empty() {
                out.push_str("<figcaption>");
                html_into(out, caption);
                out.push_str("</figcaption>");
            }
            out.push_str("</figure>");
        }
        Block::Table(t) => table(out, t),
        Block::KeyFigures(figs) => {
            out.push_str("<div class=\"kpis\">");
            for k in figs {
                out.push_str("<div class=\"kpi\"><div class=\"kpi-label\">");
                html_into(out, &k.label);
                out.push_str(if k.value.chars().count() > 14 { "</div><div class=\"kpi-value long\">" } else { "</div><div class=\"kpi-value\">" });
                escape_into(out, &k.value);
                out.push_str("</div>");
                if let Some(n) = &k.note {
                    out.push_str("<div class=\"kpi-note\">");
                    html_into(out, n);
                    out.push_str("</div>");
                }
                out.push_str("</div>");
            }
            out.push_str("</div>");
        }
        Block::Paragraph(t) => {
            out.push_str("<p>");
            html_into(out, t);
            out.push_str("</p>");
        }
        Block::Note(t) => {
            out.push_str("<div class=\"note\" role=\"note\">");
            html_into(out, t);
            out.push_str("</div>");
        }
        Block::Columns(blocks) => {
            out.push_str("<div class=\"cols\">");
            for b in blocks {
                out.push_str(if matches!(b, Block::Chart(..)) { "<div class=\"col col-wide\">" } else { "<div class=\"col\">" });
                block(out, b);
                out.push_str("</div>");
            }
            out.push_str("</div>");
        }
    }
}

fn table(out: &mut String, t: &Table) {
    let ncols = t.headers.len().max(t.rows.iter().map(Vec::len).max().unwrap_or(0));
    let num = |c: usize| t.numeric.contains(&c);
    out.push_str("<div class=\"table-wrap\"><table>");
    if let Some(c) = &t.caption {
        out.push_str("<caption>");
        html_into(out, c);
        out.push_str("</caption>");
    }
    if !t.headers.is_empty() {
        out.push_str("<thead><tr>");
        for c in 0..ncols {
            out.push_str(if num(c) { "<th scope=\"col\" class=\"num\">" } else { "<th scope=\"col\">" });
            if let Some(h) = t.headers.get(c) {
                html_into(out, h);
            }
            out.push_str("</th>");
        }
        out.push_str("</tr></thead>");
    }
    out.push_str("<tbody>");
    for (r, row) in t.rows.iter().take(MAX_TABLE_ROWS).enumerate() {
        out.push_str(if t.highlight.contains(&r) { "<tr class=\"hl\">" } else { "<tr>" });
        for c in 0..ncols {
            let long = row.get(c).is_some_and(|t| t.zh.chars().count() > 24 || t.en.chars().count() > 40);
            out.push_str(if num(c) {
                "<td class=\"num\">"
            } else if long {
                "<td class=\"long\">"
            } else {
                "<td>"
            });
            if let Some(cell) = row.get(c) {
                html_into(out, cell);
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    if t.rows.is_empty() {
        let _ = write!(out, "<tr><td class=\"muted\" colspan=\"{}\">", ncols.max(1));
        html_into(out, &Text::new("暂无数据", "No data"));
        out.push_str("</td></tr>");
    }
    out.push_str("</tbody></table>");
    if t.rows.len() > MAX_TABLE_ROWS {
        let (shown, all) = (format::int(MAX_TABLE_ROWS as u64), format::int(t.rows.len() as u64));
        out.push_str("<p class=\"muted small\">");
        html_into(out, &Text::new(format!("仅显示前 {shown} 行（共 {all} 行）。"), format!("Showing the first {shown} of {all} rows.")));
        out.push_str("</p>");
    }
    out.push_str("</div>");
}

/// Section anchors: sanitised, non-empty and unique.
fn unique_ids(sections: &[Section]) -> Vec<String> {
    let mut seen = HashSet::new();
    sections
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut base: String = s.id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            if base.is_empty() || !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
                base = format!("s{}{}", i + 1, if base.is_empty() { String::new() } else { format!("-{base}") });
            }
            let mut id = base.clone();
            let mut k = 2;
            while !seen.insert(id.clone()) {
                id = format!("{base}-{k}");
                k += 1;
            }
            id
        })
        .collect()
}

const SCRIPT: &str = r#"(function(){var root=document.documentElement;function setLang(l){root.setAttribute('data-lang',l);root.setAttribute('lang',l==='zh'?'zh-CN':'en');var ts=document.querySelectorAll('title[data-'+l+']');for(var i=0;i<ts.length;i++){ts[i].textContent=ts[i].getAttribute('data-'+l);}var bs=document.querySelectorAll('[data-set-lang]');for(var j=0;j<bs.length;j++){bs[j].setAttribute('aria-pressed',bs[j].getAttribute('data-set-lang')===l?'true':'false');}}document.addEventListener('click',function(e){var t=e.target;while(t&&t!==document&&!(t.getAttribute&&t.getAttribute('data-set-lang'))){t=t.parentNode;}if(t&&t.getAttribute&&t.getAttribute('data-set-lang')){setLang(t.getAttribute('data-set-lang'));}});setLang(root.getAttribute('data-lang')==='en'?'en':'zh');})();"#;

const CSS: &str = r#"
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f3f5f9;--card:#fff;--accent:#2563eb}
*{box-sizing:border-box}
html[data-lang="zh"] .l-en,html[data-lang="en"] .l-zh{display:none}
body{margin:0;color:var(--ink);background:var(--bg);font:15px/1.65 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
.wrap{max-width:1280px;margin:0 auto;padding:0 28px}
header.top{background:linear-gradient(135deg,#0f172a 0%,#1e3a8a 100%);color:#fff;padding:30px 0 28px}
.head{display:flex;align-items:flex-start;justify-content:space-between;gap:24px}
.brand{font-size:12px;letter-spacing:.12em;text-transform:uppercase;opacity:.7}
h1{margin:4px 0 2px;font-size:28px;line-height:1.3;font-weight:650}
.subtitle{margin:0;font-size:16px;opacity:.88}
.meta{margin:10px 0 0;font-size:13px;opacity:.65}
.toggle{display:flex;border:1px solid rgba(255,255,255,.35);border-radius:999px;padding:3px;flex:none}
.toggle button{font:inherit;font-size:13px;color:#fff;background:transparent;border:0;border-radius:999px;padding:5px 14px;cursor:pointer}
.toggle button[aria-pressed="true"]{background:#fff;color:#1e3a8a;font-weight:600}
.layout{max-width:1280px;margin:28px auto;padding:0 28px;display:grid;grid-template-columns:210px minmax(0,1fr);gap:28px;align-items:start}
nav.toc{position:sticky;top:20px;font-size:14px}
.toc-title{font-size:12px;font-weight:600;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);margin:0 0 8px 12px}
nav.toc ol{list-style:none;margin:0;padding:0;counter-reset:toc}
nav.toc li{counter-increment:toc}
nav.toc a{display:block;padding:6px 12px;border-radius:8px;color:#374151;text-decoration:none;border-left:3px solid transparent}
nav.toc a::before{content:counter(toc) ". ";color:var(--muted)}
nav.toc a:hover{background:#e8eefc;color:#1e3a8a;border-left-color:var(--accent)}
main{min-width:0}
section.card{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:26px 30px;margin:0 0 24px;box-shadow:0 1px 3px rgba(16,24,40,.05);scroll-margin-top:16px}
h2{font-size:21px;line-height:1.35;margin:0 0 10px;padding-left:12px;border-left:4px solid var(--accent);font-weight:650}
.intro{color:#4b5563;margin:0 0 14px}
p{margin:10px 0}
.muted{color:var(--muted)}
.small{font-size:13px}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:14px;margin:16px 0}
.kpi{border:1px solid var(--line);border-radius:12px;padding:14px 16px;background:linear-gradient(180deg,#fafbff,#f5f7fb)}
.kpi-label{font-size:13px;color:var(--muted)}
.kpi-value{font-size:25px;font-weight:650;line-height:1.3;margin-top:2px;font-variant-numeric:tabular-nums;word-break:break-word}
.kpi-value.long{font-size:18px;padding-top:5px}
.kpi-note{font-size:12px;color:var(--muted);margin-top:4px}
figure.chart-fig{margin:18px 0}
figure.chart-fig svg{display:block;width:100%;height:auto;max-width:100%;overflow:visible}
svg.chart{font-family:inherit}
svg.chart .marks rect:hover,svg.chart .marks circle:hover{opacity:.8}
figcaption{font-size:13px;color:var(--muted);margin-top:6px;padding-left:16px}
.table-wrap{overflow-x:auto;margin:16px 0}
table{border-collapse:collapse;width:100%;font-size:14px}
caption{caption-side:top;text-align:left;font-weight:600;padding:0 0 8px}
th{text-align:left;font-weight:600;color:#374151;background:#f3f4f6;border-bottom:1px solid var(--line);padding:9px 12px;vertical-align:bottom}
th.num{white-space:normal}
td.long{min-width:16em}
td{padding:8px 12px;border-bottom:1px solid #eef0f3;vertical-align:top}
td:first-child{white-space:nowrap}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even) td{background:#fafbfc}
tbody tr:hover td{background:#f1f5ff}
tr.hl td{background:#eef4ff!important;font-weight:600}
.note{border-left:4px solid #f59e0b;background:#fffbeb;padding:10px 16px;border-radius:8px;margin:14px 0;font-size:14px;color:#78350f}
.cols{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.col{flex:2 1 320px;min-width:0}
.col-wide{flex:3 1 480px}
.cols>.col>:first-child{margin-top:0}
.foot{color:var(--muted);font-size:13px;padding-bottom:36px}
@media (max-width:960px){.layout{grid-template-columns:1fr}nav.toc{position:static}.head{flex-direction:column}section.card{padding:20px 18px}}
@media print{
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{background:#fff;font-size:12px}
 header.top{background:none;color:#000;padding:0 0 10px;border-bottom:2px solid #111}
 .wrap,.layout{padding:0;max-width:none}
 .toggle,nav.toc{display:none}
 .layout{display:block;margin:12px 0}
 section.card{box-shadow:none;border:0;border-radius:0;padding:0;margin:0 0 20px}
 figure,table,.kpis,.note{break-inside:avoid}
 h2{break-after:avoid}
 .table-wrap{overflow:visible}
 tbody tr:nth-child(even) td{background:none}
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_safe() {
        let s = |id: &str| Section::new(id, "x");
        let ids = unique_ids(&[s("overview"), s("overview"), s(""), s("\"><script>"), s("9lives")]);
        assert_eq!(ids, vec!["overview", "overview-2", "s3", "script", "s5-9lives"]);
    }
}
