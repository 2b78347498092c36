//! The documented lexicons (`lexicon/zh.txt`, `lexicon/en.txt`, `lexicon/common.txt`, embedded):
//! aspect triggers, opinion words, negators, degree words, contrast words, emotion and complaint
//! cues. The file format is described at the top of `lexicon/zh.txt`.

use crate::lang::Lang;
use std::sync::OnceLock;

/// The aspects a review can talk about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    Quality,
    Price,
    Logistics,
    Service,
    Packaging,
    Authenticity,
    SizeFit,
}

impl Aspect {
    pub const ALL: [Aspect; 7] = [Aspect::Quality, Aspect::Price, Aspect::Logistics, Aspect::Service, Aspect::Packaging, Aspect::Authenticity, Aspect::SizeFit];

    pub fn code(self) -> &'static str {
        match self {
            Aspect::Quality => "quality",
            Aspect::Price => "price",
            Aspect::Logistics => "logistics",
            Aspect::Service => "service",
            Aspect::Packaging => "packaging",
            Aspect::Authenticity => "authenticity",
            Aspect::SizeFit => "size_fit",
        }
    }

    /// (English, Chinese) display names.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Aspect::Quality => ("Product quality", "商品质量"),
            Aspect::Price => ("Price / value", "价格/性价比"),
            Aspect::Logistics => ("Logistics / delivery", "物流/配送"),
            Aspect::Service => ("Customer service", "客服/服务"),
            Aspect::Packaging => ("Packaging", "包装"),
            Aspect::Authenticity => ("Authenticity / as described", "正品/描述相符"),
            Aspect::SizeFit => ("Size / fit", "尺码/合身"),
        }
    }

    pub fn parse(s: &str) -> Option<Aspect> {
        Aspect::ALL.into_iter().find(|a| a.code() == s)
    }
}

/// The emotions a review is labelled with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Emotion {
    Anger,
    Disappointment,
    Worry,
    Joy,
    Neutral,
}

impl Emotion {
    pub const CUED: [Emotion; 4] = [Emotion::Anger, Emotion::Disappointment, Emotion::Worry, Emotion::Joy];

    pub fn code(self) -> &'static str {
        match self {
            Emotion::Anger => "anger",
            Emotion::Disappointment => "disappointment",
            Emotion::Worry => "worry",
            Emotion::Joy => "joy",
            Emotion::Neutral => "neutral",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Emotion::Anger => "愤怒",
            Emotion::Disappointment => "失望",
            Emotion::Worry => "担忧",
            Emotion::Joy => "喜悦",
            Emotion::Neutral => "平静",
        }
    }

    fn parse(s: &str) -> Option<Emotion> {
        Emotion::CUED.into_iter().find(|e| e.code() == s)
    }
}

/// What a complaining customer asks for (or threatens).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Remedy {
    Refund,
    Return,
    Exchange,
    Compensation,
    BadReview,
    /// Complaint to an authority or platform, legal threat, fraud accusation.
    Escalation,
}

impl Remedy {
    const ALL: [Remedy; 6] = [Remedy::Refund, Remedy::Return, Remedy::Exchange, Remedy::Compensation, Remedy::BadReview, Remedy::Escalation];

    pub fn code(self) -> &'static str {
        match self {
            Remedy::Refund => "refund",
            Remedy::Return => "return",
            Remedy::Exchange => "exchange",
            Remedy::Compensation => "compensation",
            Remedy::BadReview => "bad_review",
            Remedy::Escalation => "escalation",
        }
    }

    fn parse(s: &str) -> Option<Remedy> {
        Remedy::ALL.into_iter().find(|r| r.code() == s)
    }
}

/// What one lexicon entry says.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tags {
    /// An aspect trigger and its own polarity (−1, 0, +1).
    pub aspect: Option<(Aspect, f32)>,
    /// A weak trigger ("arrived"): a mention only when an opinion restricted to its aspect
    /// ("arrived quickly", "arrived late") goes with it; otherwise it is narrative.
    pub weak: bool,
    /// An opinion word's weight, and the aspect it is restricted to.
    pub opinion: Option<(f32, Option<Aspect>)>,
    pub negator: bool,
    pub degree: Option<f32>,
    pub contrast: bool,
    pub emotion: Option<Emotion>,
    pub remedy: Option<Remedy>,
}

/// One lexicon: entries keyed by their first unit, longest first.
pub struct Lexicon {
    entries: Vec<(Vec<String>, Tags)>,
    // Looked up once per unit of every review scored: a fast hasher matters here.
    by_first: foldhash::HashMap<String, Vec<usize>>,
}

/// A text cut into matching units: characters for Chinese, words (letters, digits, `'`, `-`)
/// and single symbols for English. Spans are char offsets into the text.
pub fn units(lang: Lang, normalised: &str, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut word_start: Option<usize> = None;
    let mut n = 0;
    for (ci, c) in normalised.chars().enumerate() {
        n = ci + 1;
        let wordish = lang == Lang::En && (c.is_alphanumeric() || matches!(c, '\'' | '\u{2019}' | '-'));
        if wordish {
            word_start.get_or_insert(ci);
            continue;
        }
        if let Some(s) = word_start.take() {
            out.push((s, ci));
        }
        if c != ' ' {
            out.push((ci, ci + 1));
        }
    }
    if let Some(s) = word_start {
        out.push((s, n));
    }
}

impl Lexicon {
    pub fn parse(lang: Lang, source: &str) -> Result<Lexicon, String> {
        let mut entries = Vec::new();
        for (i, line) in source.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |m: String| format!("line {}: {m}", i + 1);
            let (word, tags) = line.split_once('\t').ok_or_else(|| err("expected WORD<TAB>TAGS".into()))?;
            let mut t = Tags::default();
            for tag in tags.split_whitespace() {
                let (key, value) = tag.split_once('=').unwrap_or((tag, ""));
                match key {
                    "aspect" => {
                        let (name, pol) = value.split_once(':').unwrap_or((value, ""));
                        let a = Aspect::parse(name).ok_or_else(|| err(format!("unknown aspect {name:?}")))?;
                        t.weak = pol == "weak";
                        let p = match pol {
                            "" | "weak" => 0.0,
                            "+" => 1.0,
                            "-" => -1.0,
                            other => return Err(err(format!("bad aspect polarity {other:?}"))),
                        };
                        t.aspect = Some((a, p));
                    }
                    "opinion" => {
                        let (w, only) = value.split_once('@').map_or((value, None), |(w, a)| (w, Some(a)));
                        let w: f32 = w.parse().map_err(|_| err(format!("bad opinion weight {w:?}")))?;
                        let only = only.map(|a| Aspect::parse(a).ok_or_else(|| err(format!("unknown aspect {a:?}")))).transpose()?;
                        t.opinion = Some((w, only));
                    }
                    "negator" => t.negator = true,
                    "contrast" => t.contrast = true,
                    "degree" => t.degree = Some(value.parse().map_err(|_| err(format!("bad degree {value:?}")))?),
                    "emotion" => t.emotion = Some(Emotion::parse(value).ok_or_else(|| err(format!("unknown emotion {value:?}")))?),
                    "remedy" => t.remedy = Some(Remedy::parse(value).ok_or_else(|| err(format!("unknown remedy {value:?}")))?),
                    other => return Err(err(format!("unknown tag {other:?}"))),
                }
            }
            let key: Vec<String> = UnitTexts::of(lang, word).iter().map(str::to_string).collect();
            if key.is_empty() {
                return Err(err("empty word".into()));
            }
            entries.push((key, t));
        }
        let mut by_first: foldhash::HashMap<String, Vec<usize>> = foldhash::HashMap::default();
        for (i, (key, _)) in entries.iter().enumerate() {
            by_first.entry(key[0].clone()).or_default().push(i);
        }
        for list in by_first.values_mut() {
            list.sort_by_key(|&i| std::cmp::Reverse(entries[i].0.len()));
        }
        Ok(Lexicon { entries, by_first })
    }

    /// The longest entry matching `units` from its start: (entry length in units, tags).
    pub fn longest(&self, units: &[&str]) -> Option<(usize, &Tags)> {
        let first = units.first()?;
        self.by_first
            .get(*first)?
            .iter()
            .map(|&i| &self.entries[i])
            .find(|(key, _)| units.len() >= key.len() && key.iter().zip(units).all(|(k, u)| k == u))
            .map(|(key, t)| (key.len(), t))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The embedded lexicon of a language (plus the shared emoji entries).
    pub fn of(lang: Lang) -> &'static Lexicon {
        static ZH: OnceLock<Lexicon> = OnceLock::new();
        static EN: OnceLock<Lexicon> = OnceLock::new();
        let (cell, own) = match lang {
            Lang::Zh => (&ZH, include_str!("../lexicon/zh.txt")),
            Lang::En => (&EN, include_str!("../lexicon/en.txt")),
        };
        cell.get_or_init(|| {
            let source = format!("{own}\n{}", include_str!("../lexicon/common.txt"));
            Lexicon::parse(lang, &source).expect("the embedded lexicons are checked by the crate's tests")
        })
    }
}

/// A text's matching units (see [`units`]) as slices of its normalised form, with the
/// typographic apostrophe read as `'`; spans are char offsets into the text.
pub struct UnitTexts {
    text: String,
    /// Byte offset of every char of `text`, and its length at the end.
    bytes: Vec<usize>,
    pub spans: Vec<(usize, usize)>,
}

impl UnitTexts {
    pub fn of(lang: Lang, text: &str) -> UnitTexts {
        let text: String = crate::tokenize::normalise(text).chars().map(|c| if c == '\u{2019}' { '\'' } else { c }).collect();
        let mut spans = Vec::new();
        units(lang, &text, &mut spans);
        let bytes = text.char_indices().map(|(b, _)| b).chain([text.len()]).collect();
        UnitTexts { text, bytes, spans }
    }

    /// The normalised chars of the text.
    pub fn chars(&self) -> std::str::Chars<'_> {
        self.text.chars()
    }

    /// Every unit's text, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.spans.iter().map(|&(a, b)| &self.text[self.bytes[a]..self.bytes[b]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_lexicons_parse() {
        for lang in Lang::ALL {
            assert!(Lexicon::of(lang).len() > 150, "{lang:?}");
        }
    }

    #[test]
    fn longest_match_wins() {
        let lex = Lexicon::of(Lang::Zh);
        let u = UnitTexts::of(Lang::Zh, "不错");
        let (len, tags) = lex.longest(&u.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(len, 2);
        assert!(tags.opinion.unwrap().0 > 0.0);
        let en = Lexicon::of(Lang::En);
        let u = UnitTexts::of(Lang::En, "Runs small in the waist, doesn’t fit");
        assert_eq!(u.iter().collect::<Vec<_>>(), ["runs", "small", "in", "the", "waist", ",", "doesn't", "fit"]);
        let (len, tags) = en.longest(&u.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(len, 2);
        assert_eq!(tags.aspect, Some((Aspect::SizeFit, -1.0)));
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let e = Lexicon::parse(Lang::En, "# c\ngood\topinion=+1\nbad\taspect=colour").err().unwrap();
        assert!(e.starts_with("line 3:"), "{e}");
    }
}
