//! Lexicon-and-rules reading of a review: aspect mentions with polarity and the span that
//! triggered them, the review's lexicon score, emotion cues and complaint cues.
//!
//! Rules (after Hu & Liu 2004's opinion-word approach and Taboada et al. 2011's SO-CAL for
//! negation and intensifiers):
//! 1. The text is cut into clauses at punctuation and at contrast words (但是, 不过, but, however);
//!    a clause after a contrast word weighs 1.5× in the review's lexicon score.
//! 2. Entries are matched leftmost-longest ("不错" is one opinion, not 不 + 错).
//! 3. A degree word multiplies the next polar word; a negator flips every polar word that starts
//!    within its scope (4 characters in Chinese, 3 words in English) in the same clause, and
//!    cancels emotion and complaint cues there ("不用退货" asks for nothing).
//! 4. Each polar word of a clause goes to the nearest aspect mention of that clause (an opinion
//!    restricted to an aspect, like 快@logistics, only to a mention of that aspect); a trigger that
//!    is polar itself (掉色, runs small) counts for its own mention.
//! 5. A weak trigger ("arrived", "in the mail") is a mention only with an opinion restricted to
//!    its aspect ("arrived quickly"); otherwise it narrates ("when it arrived, the fabric was…").
//! 6. A mention without any polar word is left [`Polarity::Unknown`] here; the caller may settle it
//!    with the sentiment model on the clause.

use crate::lang::Lang;
use crate::lexicon::{Aspect, Emotion, Lexicon, Remedy, Tags, UnitTexts};
use crate::tokenize::is_boundary;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    Positive,
    Negative,
    Neutral,
    /// No opinion word next to the mention (settled later, see the module docs).
    Unknown,
}

impl Polarity {
    pub fn code(self) -> &'static str {
        match self {
            Polarity::Positive => "positive",
            Polarity::Negative => "negative",
            Polarity::Neutral | Polarity::Unknown => "neutral",
        }
    }
    pub fn sign(self) -> char {
        match self {
            Polarity::Positive => '+',
            Polarity::Negative => '-',
            Polarity::Neutral | Polarity::Unknown => '0',
        }
    }
}

/// One aspect mention: the trigger's span (char offsets into the review text, end exclusive),
/// the opinion words that decided its polarity, and its clause's span.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Mention {
    pub aspect: Aspect,
    pub polarity: Polarity,
    pub start: usize,
    pub end: usize,
    pub trigger: String,
    pub opinion: String,
    pub clause_start: usize,
    pub clause_end: usize,
}

/// Everything the lexicon says about a text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lexical {
    pub mentions: Vec<Mention>,
    /// Σ polar weights (contrast-weighted); > 0 leans positive.
    pub score: f64,
    /// Emotion cue strength, in [`Emotion::CUED`] order.
    pub emotion_cues: [f32; 4],
    /// Remedies asked for, with the cue's char span.
    pub remedies: Vec<(Remedy, usize, usize)>,
    /// Exclamation marks (！ and !).
    pub exclamations: usize,
}

const CONTRAST_WEIGHT: f64 = 1.5;

/// A polar word of a clause: its unit position, signed weight, the aspect it is restricted to,
/// the mention it belongs to (a polar trigger), and its text span.
struct Polar {
    unit: usize,
    value: f32,
    only: Option<Aspect>,
    own: Option<usize>,
    span: (usize, usize),
}

struct Hit {
    /// Unit range.
    first: usize,
    last: usize,
    tags: Tags,
}

/// Reads a text with the lexicon of `lang`.
pub fn analyse(lang: Lang, text: &str) -> Lexical {
    let lex = Lexicon::of(lang);
    let units = UnitTexts::of(lang, text);
    let keys: Vec<&str> = units.iter().collect();
    let spans = &units.spans;
    // Trigger texts are quoted from the original (normalising keeps one char per char).
    let original: Vec<char> = text.chars().collect();
    let mut out = Lexical { exclamations: units.chars().filter(|&c| c == '!').count(), ..Lexical::default() };
    let scope = match lang {
        Lang::Zh => 4,
        Lang::En => 3,
    };
    // Clauses: unit ranges, and whether a contrast word opened them.
    let mut i = 0;
    let mut clause_hits: Vec<Hit> = Vec::new();
    let mut clause_first = 0;
    let mut contrast = false;
    while i <= keys.len() {
        let at_end = i == keys.len();
        let boundary = !at_end && keys[i].chars().count() == 1 && keys[i].chars().all(is_boundary);
        let hit = if at_end || boundary { None } else { lex.longest(&keys[i..]).map(|(len, t)| Hit { first: i, last: i + len - 1, tags: *t }) };
        let opens_contrast = hit.as_ref().is_some_and(|h| h.tags.contrast);
        if at_end || boundary || opens_contrast {
            read_clause(&clause_hits, (clause_first, i), spans, &original, contrast, scope, &mut out);
            clause_hits.clear();
            contrast = opens_contrast;
            clause_first = i;
            if at_end {
                break;
            }
        }
        match hit {
            Some(h) => {
                i = h.last + 1;
                clause_hits.push(h);
            }
            None => i += 1,
        }
    }
    out
}

fn read_clause(hits: &[Hit], (first, end): (usize, usize), spans: &[(usize, usize)], chars: &[char], contrast: bool, scope: usize, out: &mut Lexical) {
    if hits.is_empty() {
        return;
    }
    let span_of = |h: &Hit| (spans[h.first].0, spans[h.last].1);
    let clause_span = (spans[first].0, spans[end - 1].1);
    let mentions_from = out.mentions.len();
    // Per mention of this clause: its trigger is weak (see `Tags::weak`).
    let mut weak: Vec<bool> = Vec::new();
    let mut polar: Vec<Polar> = Vec::new();
    let mut negated_until: Option<usize> = None;
    let mut degree = 1.0f32;
    for h in hits {
        let negated = negated_until.is_some_and(|u| h.first <= u);
        let t = &h.tags;
        if t.negator {
            negated_until = Some(h.last + scope);
            continue;
        }
        if let Some(d) = t.degree {
            degree *= d;
            continue;
        }
        let flip = if negated { -1.0 } else { 1.0 };
        let (s, e) = span_of(h);
        if let Some((aspect, own)) = t.aspect {
            // One mention per aspect and clause: a later trigger of the same aspect only adds its
            // own polarity to the first ("价格不贵" is one price mention, positive).
            let existing = (mentions_from..out.mentions.len()).find(|&m| out.mentions[m].aspect == aspect);
            let index = existing.unwrap_or_else(|| {
                out.mentions.push(Mention {
                    aspect,
                    polarity: Polarity::Unknown,
                    start: s,
                    end: e,
                    trigger: chars[s..e].iter().collect(),
                    opinion: String::new(),
                    clause_start: clause_span.0,
                    clause_end: clause_span.1,
                });
                weak.push(t.weak);
                out.mentions.len() - 1
            });
            if let Some(m) = existing {
                // A strong trigger makes the clause's mention strong.
                weak[m - mentions_from] &= t.weak;
            }
            if own != 0.0 {
                polar.push(Polar { unit: h.first, value: own * degree * flip, only: Some(aspect), own: Some(index), span: (s, e) });
                degree = 1.0;
            }
        }
        if let Some((w, only)) = t.opinion {
            polar.push(Polar { unit: h.first, value: w * degree * flip, only, own: None, span: (s, e) });
            degree = 1.0;
        }
        if !negated {
            if let Some(em) = t.emotion {
                let k = Emotion::CUED.iter().position(|&x| x == em).expect("cued emotion");
                out.emotion_cues[k] += 1.0;
            }
            if let Some(r) = t.remedy {
                out.remedies.push((r, s, e));
            }
        }
    }
    let weight = if contrast { CONTRAST_WEIGHT } else { 1.0 };
    let mut sums = vec![0f32; out.mentions.len() - mentions_from];
    let mut supported = vec![false; sums.len()];
    let mut words: Vec<Vec<(usize, usize)>> = vec![Vec::new(); sums.len()];
    for &Polar { unit: pos, value: v, only, own, span } in &polar {
        let target = own.map(|m| m - mentions_from).or_else(|| {
            (mentions_from..out.mentions.len())
                // Unrestricted words never go to a weak trigger: they would not make it a mention.
                .filter(|&m| match only {
                    Some(a) => out.mentions[m].aspect == a,
                    None => !weak[m - mentions_from],
                })
                .min_by_key(|&m| {
                    let ms = hits_unit_of(spans, out.mentions[m].start);
                    ms.abs_diff(pos)
                })
                .map(|m| m - mentions_from)
        });
        match target {
            Some(k) => {
                sums[k] += v;
                supported[k] |= only.is_some() && own.is_none();
                words[k].push(span);
                out.score += weight * v as f64;
            }
            None if only.is_none() => out.score += weight * v as f64,
            None => {}
        }
    }
    let mut k = 0;
    out.mentions.retain(|_| {
        k += 1;
        k <= mentions_from || !weak[k - 1 - mentions_from] || supported[k - 1 - mentions_from]
    });
    let kept: Vec<usize> = (0..weak.len()).filter(|&k| !weak[k] || supported[k]).collect();
    for (m, &k) in out.mentions[mentions_from..].iter_mut().zip(&kept) {
        m.polarity = match sums[k] {
            s if s > 0.0 => Polarity::Positive,
            s if s < 0.0 => Polarity::Negative,
            _ if words[k].is_empty() => Polarity::Unknown,
            _ => Polarity::Neutral,
        };
        m.opinion = words[k].iter().filter(|&&(s, _)| s != m.start).map(|&(s, e)| chars[s..e].iter().collect::<String>()).collect::<Vec<_>>().join(" ");
    }
}

/// The unit index whose span starts at char `start`.
fn hits_unit_of(spans: &[(usize, usize)], start: usize) -> usize {
    spans.partition_point(|&(s, _)| s < start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polarities(lang: Lang, text: &str) -> Vec<(Aspect, Polarity, String)> {
        analyse(lang, text).mentions.into_iter().map(|m| (m.aspect, m.polarity, m.trigger)).collect()
    }

    #[test]
    fn chinese_aspects_with_negation_degree_and_contrast() {
        let p = polarities(Lang::Zh, "质量很好，但是物流太慢了，客服态度不好");
        assert_eq!(p[0], (Aspect::Quality, Polarity::Positive, "质量".into()));
        assert_eq!(p[1], (Aspect::Logistics, Polarity::Negative, "物流".into()));
        assert_eq!(p[2], (Aspect::Service, Polarity::Negative, "客服".into()));
        assert_eq!(p.len(), 3, "客服 and 态度 are one service mention: {p:?}");
        // Negation flips an intrinsically polar trigger: 不贵 is good news about the price.
        assert_eq!(polarities(Lang::Zh, "价格不贵"), [(Aspect::Price, Polarity::Positive, "价格".into())]);
        assert_eq!(polarities(Lang::Zh, "包装没有破损")[0].1, Polarity::Positive);
        assert_eq!(polarities(Lang::Zh, "质量不是很好")[0].1, Polarity::Negative);
    }

    #[test]
    fn english_aspects_and_spans() {
        let text = "The fabric is not soft, but shipping was fast! Runs small.";
        let lex = analyse(Lang::En, text);
        let chars: Vec<char> = text.chars().collect();
        for m in &lex.mentions {
            assert_eq!(chars[m.start..m.end].iter().collect::<String>(), m.trigger);
        }
        let p: Vec<_> = lex.mentions.iter().map(|m| (m.aspect, m.polarity)).collect();
        assert_eq!(p, [(Aspect::Quality, Polarity::Negative), (Aspect::Logistics, Polarity::Positive), (Aspect::SizeFit, Polarity::Negative)]);
        assert_eq!(lex.mentions[2].trigger, "Runs small");
    }

    #[test]
    fn weak_triggers_need_an_opinion_about_their_aspect() {
        let narrative = analyse(Lang::En, "When it arrived, I loved it. It arrived today and the fabric is great.");
        assert!(narrative.mentions.iter().all(|m| m.aspect != Aspect::Logistics), "{narrative:?}");
        let fast = analyse(Lang::En, "It arrived quickly and I love it");
        assert_eq!(fast.mentions.len(), 1);
        assert_eq!((fast.mentions[0].aspect, fast.mentions[0].polarity), (Aspect::Logistics, Polarity::Positive));
        assert_eq!(analyse(Lang::En, "it hasn't pilled").mentions[0].polarity, Polarity::Positive);
    }

    #[test]
    fn cues_and_negated_cues() {
        let lex = analyse(Lang::Zh, "太差了！我要退款，还要投诉");
        let rem: Vec<_> = lex.remedies.iter().map(|r| r.0).collect();
        assert_eq!(rem, [Remedy::Refund, Remedy::Escalation]);
        assert!(lex.emotion_cues[0] > 0.0, "anger cue");
        assert!(analyse(Lang::Zh, "不用退货，挺好的").remedies.is_empty());
        assert!(analyse(Lang::En, "I did not return it").remedies.is_empty());
        assert_eq!(analyse(Lang::En, "Returned it.").remedies.len(), 1);
    }
}
