//! Bilingual text and HTML escaping.

use std::fmt::Write as _;

/// The language a report opens in. Both languages are always in the page; this only picks the
/// one shown first (the reader can switch with the toggle button).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The code used in `lang` attributes and CSS classes: `zh` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The BCP 47 tag for the `<html lang>` attribute.
    pub fn html_tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" | "chinese" | "中文" => Ok(Lang::Zh),
            "en" | "en-us" | "en-gb" | "english" => Ok(Lang::En),
            other => Err(format!("unknown language {other:?} (use zh or en)")),
        }
    }
}

/// A bilingual string: every label in a report has a Chinese and an English form.
///
/// Text that is the same in both languages (numbers, product names, file names) is built with
/// [`Text::same`] or `From<&str>` / `From<String>`, and is rendered only once.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Text { zh: zh.into(), en: en.into() }
    }

    /// The same string in both languages.
    pub fn same(s: impl Into<String>) -> Self {
        let s = s.into();
        Text { zh: s.clone(), en: s }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    pub fn is_bilingual(&self) -> bool {
        self.zh != self.en
    }

    pub fn is_empty(&self) -> bool {
        self.zh.is_empty() && self.en.is_empty()
    }

    /// Applies `f` to both languages (e.g. to append a unit).
    pub fn map(&self, mut f: impl FnMut(Lang, &str) -> String) -> Text {
        Text { zh: f(Lang::Zh, &self.zh), en: f(Lang::En, &self.en) }
    }

    /// Concatenates two bilingual strings language by language.
    pub fn join(&self, sep: &str, other: &Text) -> Text {
        Text { zh: format!("{}{sep}{}", self.zh, other.zh), en: format!("{}{sep}{}", self.en, other.en) }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text::same(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::same(s)
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text::same(s.as_str())
    }
}

impl From<&Text> for Text {
    fn from(t: &Text) -> Self {
        t.clone()
    }
}

/// Escapes text for HTML/SVG element content and (double- or single-quoted) attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_into(&mut out, s);
    out
}

/// [`escape`], appending to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no business in a report and some are invalid in HTML.
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
}

/// HTML for a bilingual string inside an element: a single escaped string when both languages
/// agree, otherwise `<span class="l-zh">…</span><span class="l-en">…</span>`, of which the page's
/// CSS shows only the current language.
pub fn html(t: &Text) -> String {
    let mut out = String::new();
    html_into(&mut out, t);
    out
}

/// [`html`], appending to `out`.
pub fn html_into(out: &mut String, t: &Text) {
    if t.is_bilingual() {
        out.push_str("<span class=\"l-zh\" lang=\"zh-CN\">");
        escape_into(out, &t.zh);
        out.push_str("</span><span class=\"l-en\" lang=\"en\">");
        escape_into(out, &t.en);
        out.push_str("</span>");
    } else {
        escape_into(out, &t.en);
    }
}

/// Attributes carrying both languages for elements whose content the page script swaps when the
/// language changes (SVG `<title>` tooltips, `aria-label`s).
pub(crate) fn data_attrs(t: &Text) -> String {
    let mut s = String::new();
    if t.is_bilingual() {
        let _ = write!(s, " data-zh=\"{}\" data-en=\"{}\"", escape(&t.zh), escape(&t.en));
    }
    s
}

/// Rough rendered width of `s` at `font_size` px in a proportional sans-serif font: CJK and
/// full-width characters are one em, Latin letters and digits a little over half an em.
pub fn text_width(s: &str, font_size: f64) -> f64 {
    let em: f64 = s
        .chars()
        .map(|c| match c {
            ' ' | '.' | ',' | ':' | ';' | '\'' | '|' | 'i' | 'l' | 'j' | '!' | '(' | ')' => 0.3,
            'm' | 'w' | 'M' | 'W' | '%' => 0.85,
            'A'..='Z' => 0.66,
            '0'..='9' => 0.56,
            c if (c as u32) >= 0x2E80 => 1.0,
            _ => 0.53,
        })
        .sum();
    em * font_size
}

/// The wider of a bilingual string's two renderings.
pub fn text_width_max(t: &Text, font_size: f64) -> f64 {
    text_width(&t.zh, font_size).max(text_width(&t.en, font_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<script>alert('x')</script> & \"q\""), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
        assert_eq!(html(&Text::same("a<b")), "a&lt;b");
        assert!(html(&Text::new("甲", "A")).contains("l-zh"));
    }

    #[test]
    fn parses_lang() {
        assert_eq!("EN".parse::<Lang>().unwrap(), Lang::En);
        assert_eq!("zh".parse::<Lang>().unwrap(), Lang::Zh);
        assert!("fr".parse::<Lang>().is_err());
    }
}
