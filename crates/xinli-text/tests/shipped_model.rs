//! The shipped model is the one `model/metrics.json` describes: small, and its held-out
//! accuracy on the shared corpora is what the file says (and beats the TF-IDF + LR peer's
//! 0.926 zh / 0.904 en measured on the same split by bench/text.sh).

use std::path::PathBuf;
use xinli_text::metrics::Binary;
use xinli_text::train::{part, read_en, read_zh, Part, TrainConfig};
use xinli_text::{Lang, Scorer, SentimentModel};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_model_file_is_small() {
    let bytes = std::fs::metadata(manifest().join("model/sentiment.bin.gz")).unwrap().len();
    assert!(bytes < 20 << 20, "{bytes} bytes");
}

#[test]
fn held_out_accuracy_is_what_metrics_json_says() {
    let metrics: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(manifest().join("model/metrics.json")).unwrap()).unwrap();
    let config = TrainConfig::from_data_dir(&manifest().join("../../../shared/data"));
    let mut scorer = Scorer::new(SentimentModel::embedded());
    for (lang, corpus, floor) in [(Lang::Zh, read_zh(&config.zh_reviews).unwrap(), 0.926), (Lang::En, read_en(&config.en_reviews).unwrap(), 0.904)] {
        let pairs: Vec<(f64, bool)> = corpus
            .docs
            .iter()
            .filter(|d| part(d.row_id) == Part::HeldOut)
            .map(|d| (scorer.probability(lang, &d.text).unwrap_or(0.5), d.positive))
            .collect();
        let m = Binary::of(&pairs);
        let stated = &metrics[lang.code()]["held_out_metrics"];
        assert_eq!(m.n as u64, stated["n"].as_u64().unwrap());
        assert!((m.accuracy - stated["accuracy"].as_f64().unwrap()).abs() < 1e-12, "{lang:?}: {} vs {}", m.accuracy, stated["accuracy"]);
        assert!((m.macro_f1 - stated["macro_f1"].as_f64().unwrap()).abs() < 1e-12);
        assert!(m.accuracy > floor, "{lang:?}: {}", m.accuracy);
    }
}
