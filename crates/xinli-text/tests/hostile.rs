//! Hostile texts never panic and get a sensible reading.

use xinli_text::{Emotion, Lang, Scorer, SentimentModel, Sentiment};

fn scorer() -> Scorer<'static> {
    Scorer::new(SentimentModel::embedded())
}

#[test]
fn empty_and_blank_texts_are_neutral_without_probability() {
    let mut s = scorer();
    for text in ["", "   ", "\u{FEFF}", "\n\t"] {
        let r = s.score(text, None);
        assert_eq!((r.language, r.probability, r.sentiment, r.emotion, r.complaint), (None, None, Sentiment::Neutral, Emotion::Neutral, false), "{text:?}");
        assert!(r.mentions.is_empty());
    }
    // An empty text with a language column still has no probability (no features).
    assert_eq!(s.score("", Some(Lang::Zh)).probability, None);
}

#[test]
fn emoji_only_texts_are_read_by_the_emoji_lexicon() {
    let mut s = scorer();
    let up = s.score("👍👍😍", None);
    assert_eq!((up.language, up.probability, up.sentiment, up.emotion), (None, None, Sentiment::Positive, Emotion::Joy));
    let angry = s.score("😡😡", None);
    assert_eq!((angry.sentiment, angry.emotion), (Sentiment::Negative, Emotion::Anger));
    assert_eq!(s.score("🙂🦄", None).sentiment, Sentiment::Neutral);
    assert_eq!(s.score("！！？？…", None).sentiment, Sentiment::Neutral);
}

#[test]
fn mixed_language_texts_use_the_dominant_language() {
    let mut s = scorer();
    let r = s.score("质量很差，物流也慢 but the color is nice", None);
    assert_eq!(r.language, Some(Lang::Zh));
    assert_eq!(r.sentiment, Sentiment::Negative);
    let codes: Vec<&str> = r.mentions.iter().map(|m| m.aspect.code()).collect();
    assert!(codes.contains(&"quality") && codes.contains(&"logistics"), "{codes:?}");
    let e = s.score("Love the dress, the colour is great 漂亮", None);
    assert_eq!((e.language, e.sentiment), (Some(Lang::En), Sentiment::Positive));
}

#[test]
fn very_long_texts_are_cut_and_flagged() {
    let mut s = scorer();
    let long = "质量很好，物流很快。".repeat(50_000);
    let r = s.score(&long, None);
    assert!(r.truncated);
    assert_eq!(r.sentiment, Sentiment::Positive);
    assert!(r.mentions.iter().all(|m| m.end <= xinli_text::score::MAX_CHARS));
    let one_word = "a".repeat(1_000_000);
    assert!(s.score(&one_word, None).truncated);
}

#[test]
fn lossy_decoded_and_control_characters_do_not_panic() {
    let mut s = scorer();
    let bytes = b"\xff\xfe\x00bad \xe4\xbd quality\x00\x07 \xc3";
    let text = String::from_utf8_lossy(bytes);
    let r = s.score(&text, None);
    assert_eq!(r.language, Some(Lang::En));
    for weird in ["\u{0}\u{0}", "\u{202E}reversed", "a\u{0301}\u{0301}\u{0301}", "ＡＢＣ　ｇｏｏｄ", "İİİ", "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"] {
        let r = s.score(weird, None);
        if let Some(p) = r.probability {
            assert!((0.0..=1.0).contains(&p), "{weird:?}: {p}");
        }
    }
}
