//! One review scored: language, sentiment with a calibrated probability, aspect mentions,
//! emotion, complaint flag and severity.

use crate::aspects::{analyse, Lexical, Mention, Polarity};
use crate::lang::{detect, Lang};
use crate::lexicon::{Emotion, Remedy};
use crate::model::{SentimentModel, Workspace};
use crate::NEUTRAL_BAND;

/// Texts longer than this many characters are scored on their first part only (a review
/// longer than this is almost always pasted junk; the cap keeps one row from stalling a run).
pub const MAX_CHARS: usize = 20_000;
/// A clause decides an aspect mention's polarity when its probability is outside this band.
const CLAUSE_BAND: std::ops::RangeInclusive<f64> = 0.3..=0.7;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sentiment {
    Positive,
    Negative,
    Neutral,
}

impl Sentiment {
    pub fn code(self) -> &'static str {
        match self {
            Sentiment::Positive => "positive",
            Sentiment::Negative => "negative",
            Sentiment::Neutral => "neutral",
        }
    }

    fn of_probability(p: f64) -> Sentiment {
        if NEUTRAL_BAND.contains(&p) {
            Sentiment::Neutral
        } else if p > *NEUTRAL_BAND.end() {
            Sentiment::Positive
        } else {
            Sentiment::Negative
        }
    }
}

/// A scored review.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    /// The language scored in: the review's own column if given, else detected; None for text
    /// without letters (empty, emoji only, digits).
    pub language: Option<Lang>,
    /// Calibrated P(positive) from the model; None when no model applies (no letters).
    pub probability: Option<f64>,
    pub sentiment: Sentiment,
    pub mentions: Vec<Mention>,
    pub emotion: Emotion,
    pub complaint: bool,
    /// 1 (mild) … 5 (escalation threatened, angry, remedy demanded); None when not a complaint.
    pub severity: Option<u8>,
    /// Why it is a complaint (remedies asked for, anger).
    pub complaint_reasons: Vec<&'static str>,
    /// The text was longer than [`MAX_CHARS`] and was scored on its start.
    pub truncated: bool,
}

/// Scores reviews with one model; reuses buffers between calls.
pub struct Scorer<'m> {
    model: &'m SentimentModel,
    ws: Workspace,
}

impl<'m> Scorer<'m> {
    pub fn new(model: &'m SentimentModel) -> Self {
        Scorer { model, ws: Workspace::default() }
    }

    /// Calibrated P(positive) of a text in a language (None for a text without features).
    pub fn probability(&mut self, lang: Lang, text: &str) -> Option<f64> {
        self.model.for_lang(lang).probability(text, &mut self.ws)
    }

    /// Scores one review; `language` is the review's own language column, if any.
    pub fn score(&mut self, text: &str, language: Option<Lang>) -> Scored {
        self.score_titled("", text, language)
    }

    /// Scores a review with a title (empty for none): the sentiment reads the title with the
    /// body, as the model was trained; aspects, emotion and complaints read the body, whose
    /// spans they record.
    pub fn score_titled(&mut self, title: &str, text: &str, language: Option<Lang>) -> Scored {
        let (text, truncated) = match text.char_indices().nth(MAX_CHARS) {
            Some((cut, _)) => (&text[..cut], true),
            None => (text, false),
        };
        let title = title.char_indices().nth(MAX_CHARS).map_or(title, |(cut, _)| &title[..cut]);
        let detected = language.or_else(|| detect(text)).or_else(|| detect(title));
        // Without letters the lexicon (emoji, emoticons) still reads the text.
        let lexical = analyse(detected.unwrap_or(Lang::Zh), text);
        let probability = match detected {
            Some(lang) if title.is_empty() => self.probability(lang, text),
            Some(lang) => self.probability(lang, &crate::with_title(title, text)),
            None => None,
        };
        let sentiment = match probability {
            Some(p) => Sentiment::of_probability(p),
            None if lexical.score > 0.0 => Sentiment::Positive,
            None if lexical.score < 0.0 => Sentiment::Negative,
            None => Sentiment::Neutral,
        };
        let mut mentions = lexical.mentions.clone();
        if let Some(lang) = detected {
            let chars: Vec<char> = text.chars().collect();
            for m in mentions.iter_mut().filter(|m| m.polarity == Polarity::Unknown) {
                let clause: String = chars[m.clause_start..m.clause_end].iter().collect();
                m.polarity = match self.probability(lang, &clause) {
                    Some(p) if p > *CLAUSE_BAND.end() => Polarity::Positive,
                    Some(p) if p < *CLAUSE_BAND.start() => Polarity::Negative,
                    _ => Polarity::Neutral,
                };
            }
        }
        let emotion = emotion(&lexical, sentiment, probability);
        let (complaint, severity, complaint_reasons) = complaint(&lexical, emotion, sentiment, probability);
        Scored { language: detected, probability, sentiment, mentions, emotion, complaint, severity, complaint_reasons, truncated }
    }
}

/// The emotion: the strongest cue that fits the sentiment; without a cue, disappointment for a
/// clearly negative review and joy for a clearly positive one. Anger also comes from "!!" in a
/// negative review.
fn emotion(lex: &Lexical, sentiment: Sentiment, probability: Option<f64>) -> Emotion {
    let [mut anger, disappointment, worry, joy] = lex.emotion_cues;
    let p = probability.unwrap_or(match sentiment {
        Sentiment::Positive => 0.9,
        Sentiment::Negative => 0.1,
        Sentiment::Neutral => 0.5,
    });
    match sentiment {
        Sentiment::Negative => {
            if lex.exclamations >= 2 {
                anger += 1.0;
            }
            let best = [(Emotion::Anger, anger), (Emotion::Disappointment, disappointment), (Emotion::Worry, worry)]
                .into_iter()
                .fold((Emotion::Disappointment, 0.0f32), |b, c| if c.1 > b.1 { c } else { b });
            best.0
        }
        Sentiment::Positive if worry > joy => Emotion::Worry,
        Sentiment::Positive if joy > 0.0 || p >= 0.85 => Emotion::Joy,
        Sentiment::Positive => Emotion::Neutral,
        Sentiment::Neutral if worry > 0.0 => Emotion::Worry,
        Sentiment::Neutral if disappointment > 0.0 => Emotion::Disappointment,
        Sentiment::Neutral => Emotion::Neutral,
    }
}

/// A complaint asks for a remedy (refund, return, exchange, compensation, a bad review,
/// escalation) in a review that is not positive, or is angry. Severity, capped at 5:
/// 1 + 1 (a remedy asked for) + 2 (escalation: authorities, platform complaint, fraud) + 1 (anger)
/// + 1 (P(positive) ≤ 0.05).
fn complaint(lex: &Lexical, emotion: Emotion, sentiment: Sentiment, probability: Option<f64>) -> (bool, Option<u8>, Vec<&'static str>) {
    let remedies: Vec<Remedy> = lex.remedies.iter().map(|r| r.0).collect();
    let angry = emotion == Emotion::Anger;
    let is = (!remedies.is_empty() && sentiment != Sentiment::Positive) || (angry && sentiment == Sentiment::Negative);
    if !is {
        return (false, None, Vec::new());
    }
    let mut reasons: Vec<&'static str> = remedies.iter().map(|r| r.code()).collect();
    reasons.sort_unstable();
    reasons.dedup();
    let escalation = remedies.contains(&Remedy::Escalation);
    let demand = remedies.iter().any(|r| *r != Remedy::Escalation);
    let mut severity = 1 + u8::from(demand) + 2 * u8::from(escalation) + u8::from(angry);
    if probability.is_some_and(|p| p <= 0.05) {
        severity += 1;
    }
    if angry {
        reasons.push("anger");
    }
    (true, Some(severity.min(5)), reasons)
}
