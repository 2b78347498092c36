//! Text normalisation and word tokens: jieba-rs for Chinese, a lower-casing word splitter for
//! English, and negation scopes (Das & Chen 2001; Pang, Lee & Vaithyanathan 2002: words after a
//! negator up to the next punctuation are marked, so "not good" and "good" are different features).

use crate::lang::Lang;
use jieba_rs::Jieba;
use std::sync::OnceLock;

/// The one segmenter, with jieba-rs' embedded dictionary (built once, about 0.2 s).
pub fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// One character, normalised without changing the character count: full-width ASCII to ASCII,
/// the ideographic space and other white space to ' ', letters lower-cased (when that gives one
/// character), the byte-order mark to ' '. Keeping one char per char keeps spans exact.
pub fn normalise_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).map_or(c, lower),
        '\u{3000}' | '\u{FEFF}' => ' ',
        c if c.is_whitespace() => ' ',
        c => lower(c),
    }
}

fn lower(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// The normalised text, one char per input char (see [`normalise_char`]).
pub fn normalise(text: &str) -> String {
    text.chars().map(normalise_char).collect()
}

/// Punctuation that ends a negation scope and a clause.
pub fn is_boundary(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | '!' | '?' | ';' | ':' | '。' | '，' | '！' | '？' | '；' | '：' | '、' | '…' | '~' | '～' | '\n' | '(' | ')' | '（' | '）'
    )
}

/// A word token of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word<'a> {
    pub text: &'a str,
    /// Inside a negation scope.
    pub negated: bool,
}

const ZH_NEGATORS: &[&str] = &["不", "没", "没有", "别", "无", "未", "非", "不是", "不太", "不够", "并不", "从不", "毫无", "不会", "不能", "没什么", "不怎么", "不算"];
const EN_NEGATORS: &[&str] = &["not", "no", "never", "nothing", "nor", "neither", "without", "hardly", "barely", "cannot", "cant", "dont", "didnt", "doesnt", "isnt", "wasnt", "wont"];
/// How many words a Chinese negator reaches (Chinese negation binds tightly: 不 好 / 没有 想象 中 好).
const ZH_SCOPE: usize = 3;
/// English scope: to the next punctuation, at most this many words.
const EN_SCOPE: usize = 4;

pub fn is_negator(lang: Lang, word: &str) -> bool {
    match lang {
        Lang::Zh => ZH_NEGATORS.contains(&word),
        Lang::En => EN_NEGATORS.contains(&word) || word.ends_with("n't"),
    }
}

/// Word tokens of normalised text (see [`normalise`]), punctuation dropped, negation scopes marked.
/// `out` is cleared first (reused across calls to avoid allocation).
pub fn words<'a>(lang: Lang, normalised: &'a str, out: &mut Vec<Word<'a>>) {
    out.clear();
    let scope = match lang {
        Lang::Zh => ZH_SCOPE,
        Lang::En => EN_SCOPE,
    };
    let mut left = 0usize;
    let mut push = |w: &'a str, out: &mut Vec<Word<'a>>| {
        if w.chars().all(is_boundary) {
            left = 0;
            // '!' and '?' carry sentiment: keep them as words.
            if w.contains(['!', '?']) {
                out.push(Word { text: &w[..1.min(w.len())], negated: false });
            }
            return;
        }
        let negator = is_negator(lang, w);
        out.push(Word { text: w, negated: left > 0 && !negator });
        if negator {
            left = scope;
        } else {
            left = left.saturating_sub(1);
        }
    };
    match lang {
        Lang::Zh => {
            for t in jieba().cut(normalised, false) {
                let w = t.word.trim();
                if !w.is_empty() {
                    push(w, out);
                }
            }
        }
        Lang::En => {
            let mut start = None;
            for (i, c) in normalised.char_indices() {
                let in_word = c.is_alphanumeric() || c == '\'' || c == '\u{2019}';
                match (in_word, start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        push(&normalised[s..i], out);
                        start = None;
                    }
                    _ => {}
                }
                if !in_word && is_boundary(c) {
                    push(&normalised[i..i + c.len_utf8()], out);
                }
            }
            if let Some(s) = start {
                push(&normalised[s..], out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(lang: Lang, text: &str) -> Vec<String> {
        let n = normalise(text);
        let mut out = Vec::new();
        words(lang, &n, &mut out);
        out.iter().map(|w| if w.negated { format!("NOT_{}", w.text) } else { w.text.to_string() }).collect()
    }

    #[test]
    fn english_negation_scope_ends_at_punctuation() {
        assert_eq!(marked(Lang::En, "It's NOT good, but I love it!"), ["it's", "not", "NOT_good", "but", "i", "love", "it", "!"]);
        assert_eq!(marked(Lang::En, "I didn't like the color"), ["i", "didn't", "NOT_like", "NOT_the", "NOT_color"]);
    }

    #[test]
    fn chinese_words_come_from_jieba_with_negation() {
        let w = marked(Lang::Zh, "质量不是很好，物流很快");
        assert!(w.contains(&"质量".to_string()), "{w:?}");
        assert!(w.iter().any(|x| x.starts_with("NOT_")), "{w:?}");
        assert!(w.contains(&"物流".to_string()), "{w:?}");
    }

    #[test]
    fn normalising_keeps_the_char_count() {
        for s in ["ＡＢＣ　１２３", "İstanbul ß", "\u{FEFF}好评！", "😀😀"] {
            assert_eq!(normalise(s).chars().count(), s.chars().count(), "{s}");
        }
        assert_eq!(normalise("ＡＢＣ！"), "abc!");
    }
}
