//! Scoring speed and held-out accuracy of the shipped model, on one thread (= per core).
//! Run by `bench/text.sh`; prints one JSON object.
//!
//!     cargo run --release -p xinli-text --example bench_scoring -- ../shared/data

use std::time::Instant;
use xinli_text::metrics::Binary;
use xinli_text::train::{part, read_en, read_zh, Doc, Part, TrainConfig};
use xinli_text::{Lang, Scorer, SentimentModel};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(v);
    }
    (best, out.expect("runs > 0"))
}

fn main() {
    let data = std::env::args().nth(1).unwrap_or_else(|| "../shared/data".into());
    let config = TrainConfig::from_data_dir(std::path::Path::new(&data));
    let model = SentimentModel::embedded();
    let mut scorer = Scorer::new(model);
    let mut report = serde_json::Map::new();
    for (lang, corpus) in [(Lang::Zh, read_zh(&config.zh_reviews)), (Lang::En, read_en(&config.en_reviews))] {
        let corpus = corpus.unwrap_or_else(|e| panic!("{e}"));
        let held: Vec<&Doc> = corpus.docs.iter().filter(|d| part(d.row_id) == Part::HeldOut).collect();
        let chars: usize = held.iter().map(|d| d.text.chars().count()).sum();
        // Warm up (jieba's dictionary, the lexicons).
        scorer.score(&held[0].text, Some(lang));
        let (t_sent, probs) = best_of(3, || held.iter().map(|d| scorer.probability(lang, &d.text).unwrap_or(0.5)).collect::<Vec<f64>>());
        let (t_full, mentions) = best_of(3, || held.iter().map(|d| scorer.score(&d.text, Some(lang)).mentions.len()).sum::<usize>());
        let pairs: Vec<(f64, bool)> = probs.iter().zip(&held).map(|(&p, d)| (p, d.positive)).collect();
        let m = Binary::of(&pairs);
        report.insert(
            lang.code().into(),
            serde_json::json!({
                "held_out_reviews": held.len(),
                "mean_chars": chars as f64 / held.len() as f64,
                "accuracy": m.accuracy,
                "macro_f1": m.macro_f1,
                "sentiment_reviews_per_second_per_core": held.len() as f64 / t_sent,
                "full_scoring_reviews_per_second_per_core": held.len() as f64 / t_full,
                "aspect_mentions": mentions,
            }),
        );
    }
    report.insert("threads".into(), 1.into());
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
