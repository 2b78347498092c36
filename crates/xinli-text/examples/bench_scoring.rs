//! Scoring speed and held-out accuracy of the shipped model, on one thread (= per core).
//! Run by `bench/text.sh`; prints one JSON object.
//!
//!     cargo run --release -p xinli-text --example bench_scoring -- ../shared/data

use std::time::Instant;
use xinli_text::metrics::Binary;
use xinli_text::train::{part, read_en, read_zh, Doc, Part, TrainConfig};
use xinli_text::{Lang, Scorer, SentimentModel};

/// Seconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`, nanoseconds): on a
/// machine busy with other work, wall time also counts the waits for a core; CPU time does not.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

/// The best of `runs` runs: (wall seconds, CPU seconds when known, the result).
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, Option<f64>, T) {
    let (mut wall, mut cpu) = (f64::INFINITY, None::<f64>);
    let mut out = None;
    for _ in 0..runs {
        let (t, c) = (Instant::now(), thread_cpu_seconds());
        let v = f();
        wall = wall.min(t.elapsed().as_secs_f64());
        if let (Some(c0), Some(c1)) = (c, thread_cpu_seconds()) {
            cpu = Some(cpu.map_or(c1 - c0, |b| b.min(c1 - c0)));
        }
        out = Some(v);
    }
    (wall, cpu, out.expect("runs > 0"))
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
        let (t_sent, cpu_sent, probs) = best_of(3, || held.iter().map(|d| scorer.probability(lang, &d.text).unwrap_or(0.5)).collect::<Vec<f64>>());
        let (t_full, cpu_full, mentions) = best_of(3, || held.iter().map(|d| scorer.score(&d.text, Some(lang)).mentions.len()).sum::<usize>());
        let per_cpu_second = |cpu: Option<f64>| cpu.map(|c| held.len() as f64 / c);
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
                "sentiment_reviews_per_cpu_second": per_cpu_second(cpu_sent),
                "full_scoring_reviews_per_cpu_second": per_cpu_second(cpu_full),
                "aspect_mentions": mentions,
            }),
        );
    }
    report.insert("threads".into(), 1.into());
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
}
