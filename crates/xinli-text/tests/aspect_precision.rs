//! Aspect extraction checked by hand. `tests/data/aspect_gold_{zh,en}.csv` hold mentions the
//! extractor produced on reviews from the shared corpora (zh: online_shopping_10_cats held-out
//! rows, row_id % 10 == 0; en: Women's Clothing reviews), sampled with a fixed stride per aspect
//! and labelled by reading each one: `aspect_correct` (does the trigger really talk about that
//! aspect of the purchase?) and `true_polarity`. This test re-runs the extractor on the same texts
//! and computes precision per aspect and polarity accuracy from the labels.

use std::collections::BTreeMap;
use xinli_text::{Lang, Scorer, SentimentModel};

struct Gold {
    aspect: String,
    start: usize,
    end: usize,
    correct: bool,
    true_polarity: String,
    text: String,
}

fn read(lang: &str) -> Vec<Gold> {
    let path = format!("{}/tests/data/aspect_gold_{lang}.csv", env!("CARGO_MANIFEST_DIR"));
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            Gold {
                aspect: r[1].to_string(),
                start: r[2].parse().unwrap(),
                end: r[3].parse().unwrap(),
                correct: &r[5] == "1",
                true_polarity: r[6].to_string(),
                text: r[7].to_string(),
            }
        })
        .collect()
}

fn check(lang: Lang, code: &str) {
    let gold = read(code);
    let mut scorer = Scorer::new(SentimentModel::embedded());
    // aspect → (labelled mentions still produced, correct, polarity right of the correct ones)
    let mut per: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut produced = 0;
    for g in &gold {
        let scored = scorer.score(&g.text, Some(lang));
        let Some(m) = scored.mentions.iter().find(|m| m.aspect.code() == g.aspect && m.start == g.start && m.end == g.end) else { continue };
        produced += 1;
        let e = per.entry(g.aspect.clone()).or_default();
        e.0 += 1;
        if g.correct {
            e.1 += 1;
            e.2 += usize::from(m.polarity.code() == g.true_polarity);
        }
    }
    assert!(produced * 10 >= gold.len() * 9, "{code}: only {produced} of {} labelled mentions are still produced: relabel a fresh sample", gold.len());
    let (mut right, mut correct) = (0, 0);
    for (aspect, (n, ok, pol)) in &per {
        let precision = *ok as f64 / *n as f64;
        println!("{code} {aspect}: precision {precision:.2} ({ok}/{n}), polarity right {pol}/{ok}");
        assert!(precision >= 0.8, "{code} {aspect}: precision {precision:.2} < 0.8");
        right += pol;
        correct += ok;
    }
    for aspect in ["quality", "price", "logistics", "service"] {
        assert!(per.get(aspect).is_some_and(|p| p.0 >= 20), "{code} {aspect}: too few labelled mentions");
    }
    let polarity = right as f64 / correct as f64;
    println!("{code}: polarity accuracy {polarity:.2} ({right}/{correct})");
    assert!(polarity >= 0.75, "{code}: polarity accuracy {polarity:.2}");
}

#[test]
fn chinese_aspect_precision_from_the_labelled_sample() {
    check(Lang::Zh, "zh");
}

#[test]
fn english_aspect_precision_from_the_labelled_sample() {
    check(Lang::En, "en");
}
