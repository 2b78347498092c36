//! Training the sentiment model from the labelled corpora (`xinli text train`).
//!
//! - Chinese: `online_shopping_10_cats_train80.csv` (row_id, cat, label, review).
//! - English: `womens_clothing_reviews_train80.csv`; positive = 4–5 stars, negative = 1–2, 3-star
//!   reviews and empty texts are left out (counted); the category is `Department Name`.
//!
//! Deterministic split by `row_id`: `row_id % 10 == 0` → held-out (only scored, for the metrics),
//! `row_id % 10 == 1` → calibration (choice of the L2 strength and Platt scaling), the rest →
//! training. The same rule is in `bench/peer_text_baseline.py` so the peer sees the same split.
//! Training is full-batch L-BFGS on the mean log-loss + λ/2‖w‖²: no randomness at all.

use crate::error::TextError;
use crate::lang::Lang;
use crate::lbfgs::{self, Outcome};
use crate::metrics::Binary;
use crate::model::{sigmoid, tfidf_row, LinearModel, Platt, SentimentModel, Workspace};
use crate::NEUTRAL_BAND;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Hash size of the shipped model (2^20 buckets per language).
pub const BITS: u32 = 20;
/// L2 strengths tried, strongest first (each fit starts from the previous solution).
const LAMBDAS: [f64; 4] = [3e-5, 1e-5, 3e-6, 1e-6];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Train,
    Calibration,
    HeldOut,
}

pub fn part(row_id: u64) -> Part {
    match row_id % 10 {
        0 => Part::HeldOut,
        1 => Part::Calibration,
        _ => Part::Train,
    }
}

/// One labelled review.
#[derive(Clone, Debug)]
pub struct Doc {
    pub row_id: u64,
    pub category: String,
    pub text: String,
    pub positive: bool,
}

/// A corpus read from disk, with what was left out and why.
#[derive(Debug, Default, Serialize)]
pub struct Corpus {
    pub path: String,
    pub rows_read: usize,
    pub skipped: BTreeMap<String, usize>,
    #[serde(skip)]
    pub docs: Vec<Doc>,
    /// English 3-star reviews (not in training), kept to report how many fall in the neutral band.
    #[serde(skip)]
    pub middling: Vec<Doc>,
}

fn column(headers: &csv::StringRecord, path: &Path, name: &str) -> Result<usize, TextError> {
    headers.iter().position(|h| h.trim().trim_start_matches('\u{feff}') == name).ok_or_else(|| TextError::MissingColumn {
        path: path.display().to_string(),
        column: name.to_string(),
        found: headers.iter().collect::<Vec<_>>().join(", "),
    })
}

fn parse_field<T: std::str::FromStr>(path: &Path, rec: &csv::StringRecord, idx: usize, name: &str) -> Result<T, TextError> {
    let raw = rec.get(idx).unwrap_or("");
    raw.trim().parse().map_err(|_| TextError::BadValue {
        path: path.display().to_string(),
        line: rec.position().map_or(0, |p| p.line()),
        column: name.to_string(),
        value: raw.to_string(),
        reason: "not a whole number".into(),
    })
}

fn open(path: &Path) -> Result<(csv::Reader<std::fs::File>, csv::StringRecord), TextError> {
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_path(path).map_err(|e| TextError::csv(path, e))?;
    let headers = rdr.headers().map_err(|e| TextError::csv(path, e))?.clone();
    Ok((rdr, headers))
}

/// Reads `online_shopping_10_cats_train80.csv`.
pub fn read_zh(path: &Path) -> Result<Corpus, TextError> {
    let (mut rdr, h) = open(path)?;
    let (id, cat, label, review) = (column(&h, path, "row_id")?, column(&h, path, "cat")?, column(&h, path, "label")?, column(&h, path, "review")?);
    let mut corpus = Corpus { path: path.display().to_string(), ..Corpus::default() };
    for rec in rdr.records() {
        let rec = rec.map_err(|e| TextError::csv(path, e))?;
        corpus.rows_read += 1;
        let row_id = parse_field(path, &rec, id, "row_id")?;
        let positive = match parse_field::<u8>(path, &rec, label, "label")? {
            0 => false,
            1 => true,
            other => {
                return Err(TextError::BadValue {
                    path: corpus.path.clone(),
                    line: rec.position().map_or(0, |p| p.line()),
                    column: "label".into(),
                    value: other.to_string(),
                    reason: "label must be 0 or 1".into(),
                })
            }
        };
        let text = rec[review].trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            *corpus.skipped.entry("empty review".into()).or_default() += 1;
            continue;
        }
        corpus.docs.push(Doc { row_id, category: rec[cat].to_string(), text: text.to_string(), positive });
    }
    Ok(corpus)
}

/// Reads `womens_clothing_reviews_train80.csv` (positive = 4–5 stars, negative = 1–2). The
/// review's title is read with its body, as `xinli reviews` scores a review that has one: titles
/// ("Love it!", "Returned") carry much of the verdict.
pub fn read_en(path: &Path) -> Result<Corpus, TextError> {
    let (mut rdr, h) = open(path)?;
    let (id, title_col, text_col, rating, dept) =
        (column(&h, path, "row_id")?, column(&h, path, "Title")?, column(&h, path, "Review Text")?, column(&h, path, "Rating")?, column(&h, path, "Department Name")?);
    let mut corpus = Corpus { path: path.display().to_string(), ..Corpus::default() };
    for rec in rdr.records() {
        let rec = rec.map_err(|e| TextError::csv(path, e))?;
        corpus.rows_read += 1;
        let row_id = parse_field(path, &rec, id, "row_id")?;
        let stars: u8 = parse_field(path, &rec, rating, "Rating")?;
        let body = rec[text_col].trim();
        let text = crate::with_title(rec[title_col].trim(), body);
        let category = match rec[dept].trim() {
            "" => "(none)".to_string(),
            d => d.to_string(),
        };
        let doc = |positive| Doc { row_id, category: category.clone(), text: text.to_string(), positive };
        match (body.is_empty(), stars) {
            (true, _) => *corpus.skipped.entry("empty review text".into()).or_default() += 1,
            (false, 1 | 2) => corpus.docs.push(doc(false)),
            (false, 4 | 5) => corpus.docs.push(doc(true)),
            (false, 3) => {
                *corpus.skipped.entry("3 stars (neither positive nor negative)".into()).or_default() += 1;
                corpus.middling.push(doc(true));
            }
            (false, other) => {
                return Err(TextError::BadValue {
                    path: corpus.path.clone(),
                    line: rec.position().map_or(0, |p| p.line()),
                    column: "Rating".into(),
                    value: other.to_string(),
                    reason: "rating outside 1–5".into(),
                })
            }
        }
    }
    Ok(corpus)
}

/// Sparse rows (CSR) of TF-IDF vectors with labels.
struct Rows {
    start: Vec<usize>,
    index: Vec<u32>,
    value: Vec<f32>,
    label: Vec<f64>,
}

impl Rows {
    fn new() -> Self {
        Rows { start: vec![0], index: Vec::new(), value: Vec::new(), label: Vec::new() }
    }
    fn push(&mut self, row: &[(u32, f32)], positive: bool) {
        self.index.extend(row.iter().map(|r| r.0));
        self.value.extend(row.iter().map(|r| r.1));
        self.start.push(self.index.len());
        self.label.push(if positive { 1.0 } else { 0.0 });
    }
    fn len(&self) -> usize {
        self.label.len()
    }
    fn margin(&self, i: usize, w: &[f64]) -> f64 {
        let (a, b) = (self.start[i], self.start[i + 1]);
        let dot: f64 = self.index[a..b].iter().zip(&self.value[a..b]).map(|(&j, &v)| w[j as usize] * v as f64).sum();
        dot + w[w.len() - 1]
    }
}

/// Mean log-loss + λ/2‖w‖² (bias unpenalised) and its gradient; x = (w, b).
fn objective(rows: &Rows, lambda: f64, x: &[f64], g: &mut [f64]) -> f64 {
    let dim = x.len() - 1;
    let n = rows.len() as f64;
    for (gj, xj) in g[..dim].iter_mut().zip(&x[..dim]) {
        *gj = lambda * xj;
    }
    g[dim] = 0.0;
    let mut loss = 0.0;
    for i in 0..rows.len() {
        let z = rows.margin(i, x);
        let y = rows.label[i];
        // log(1 + e^z) − y z, computed stably.
        loss += z.max(0.0) + (-z.abs()).exp().ln_1p() - y * z;
        let r = (sigmoid(z) - y) / n;
        let (a, b) = (rows.start[i], rows.start[i + 1]);
        for (&j, &v) in rows.index[a..b].iter().zip(&rows.value[a..b]) {
            g[j as usize] += r * v as f64;
        }
        g[dim] += r;
    }
    let reg: f64 = x[..dim].iter().map(|w| w * w).sum::<f64>() * lambda / 2.0;
    loss / n + reg
}

/// Fits Platt's a, c on (margin, label) pairs by L-BFGS on the log-loss.
fn fit_platt(pairs: &[(f64, bool)]) -> Platt {
    let mut x = [1.0, 0.0];
    lbfgs::minimise(
        |x, g| {
            g.fill(0.0);
            let mut loss = 0.0;
            for &(z, y) in pairs {
                let t = x[0] * z + x[1];
                let y = if y { 1.0 } else { 0.0 };
                loss += t.max(0.0) + (-t.abs()).exp().ln_1p() - y * t;
                let r = sigmoid(t) - y;
                g[0] += r * z;
                g[1] += r;
            }
            loss
        },
        &mut x,
        5,
        200,
        1e-9,
    );
    Platt { a: x[0], c: x[1] }
}

#[derive(Debug, Serialize)]
pub struct LambdaTrial {
    pub lambda: f64,
    pub calibration_accuracy: f64,
    pub calibration_log_loss: f64,
    pub optimiser: Outcome,
}

/// Everything `xinli text train` reports for one language (written to `model/metrics.json`).
#[derive(Debug, Serialize)]
pub struct LangReport {
    pub language: &'static str,
    pub corpus: Corpus,
    pub split_rule: &'static str,
    pub train: usize,
    pub calibration: usize,
    pub held_out: usize,
    pub lambda_trials: Vec<LambdaTrial>,
    pub lambda: f64,
    pub platt: Platt,
    /// On the held-out part, with the quantised model as shipped.
    pub held_out_metrics: Binary,
    pub held_out_by_category: BTreeMap<String, Binary>,
    /// Share of held-out reviews whose probability falls in the neutral band.
    pub held_out_neutral_share: f64,
    /// English only: 3-star reviews (all parts) and the share the model calls neutral.
    pub three_star_reviews: usize,
    pub three_star_neutral_share: Option<f64>,
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct TrainReport {
    pub bits: u32,
    pub features: &'static str,
    pub neutral_band: [f64; 2],
    pub zh: LangReport,
    pub en: LangReport,
    pub model_bytes: usize,
}

/// Where the corpora are.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    pub zh_reviews: PathBuf,
    pub en_reviews: PathBuf,
}

impl TrainConfig {
    /// The shared data directory's layout (`DATA/zh_reviews/…`, `DATA/en_reviews/…`).
    pub fn from_data_dir(data: &Path) -> Self {
        TrainConfig {
            zh_reviews: data.join("zh_reviews/online_shopping_10_cats_train80.csv"),
            en_reviews: data.join("en_reviews/womens_clothing_reviews_train80.csv"),
        }
    }
}

fn fit_lang(lang: Lang, corpus: Corpus, log: &mut dyn FnMut(&str)) -> (LinearModel, LangReport) {
    let started = std::time::Instant::now();
    let dim = 1usize << BITS;
    let mut ws = Workspace::default();
    // Bucket counts of every document, once.
    let mut counted: Vec<Vec<(u32, u32)>> = Vec::with_capacity(corpus.docs.len());
    for d in &corpus.docs {
        LinearModel::bucket_counts(lang, BITS, &d.text, &mut ws);
        counted.push(ws.counts().to_vec());
    }
    // Smoothed idf from the training part only.
    let mut df = vec![0u32; dim];
    let mut n_train = 0usize;
    for (d, c) in corpus.docs.iter().zip(&counted) {
        if part(d.row_id) == Part::Train {
            n_train += 1;
            c.iter().for_each(|&(i, _)| df[i as usize] += 1);
        }
    }
    let idf: Vec<f32> = df.iter().map(|&k| (((1 + n_train) as f64 / (1 + k) as f64).ln() + 1.0) as f32).collect();
    let (mut train, mut calib) = (Rows::new(), Rows::new());
    let mut row = Vec::new();
    for (d, c) in corpus.docs.iter().zip(&counted) {
        tfidf_row(c, &idf, &mut row);
        match part(d.row_id) {
            Part::Train => train.push(&row, d.positive),
            Part::Calibration => calib.push(&row, d.positive),
            Part::HeldOut => {}
        }
    }
    log(&format!("{}: {} training, {} calibration rows; fitting", lang.code(), train.len(), calib.len()));
    let mut x = vec![0.0; dim + 1];
    let mut best: Option<(f64, f64, f64, Vec<f64>)> = None;
    let mut trials = Vec::new();
    for lambda in LAMBDAS {
        let optimiser = lbfgs::minimise(|x, g| objective(&train, lambda, x, g), &mut x, 10, 400, 1e-7);
        let pairs: Vec<(f64, bool)> = (0..calib.len()).map(|i| (sigmoid(calib.margin(i, &x)), calib.label[i] > 0.5)).collect();
        let m = Binary::of(&pairs);
        log(&format!("  λ = {lambda:e}: calibration accuracy {:.4}, log-loss {:.4} ({} iterations)", m.accuracy, m.log_loss, optimiser.iterations));
        let better = best.as_ref().is_none_or(|b| (m.accuracy, -m.log_loss) > (b.1, -b.2));
        if better {
            best = Some((lambda, m.accuracy, m.log_loss, x.clone()));
        }
        trials.push(LambdaTrial { lambda, calibration_accuracy: m.accuracy, calibration_log_loss: m.log_loss, optimiser });
    }
    let (lambda, _, _, w) = best.expect("at least one λ");
    let platt = fit_platt(&(0..calib.len()).map(|i| (calib.margin(i, &w), calib.label[i] > 0.5)).collect::<Vec<_>>());
    let model = LinearModel { lang, bits: BITS, weights: w[..dim].iter().map(|&v| v as f32).collect(), idf, bias: w[dim] as f32, platt };
    let report = LangReport {
        language: lang.code(),
        split_rule: "row_id % 10 == 0: held-out; == 1: calibration; otherwise: training",
        train: train.len(),
        calibration: calib.len(),
        held_out: corpus.docs.iter().filter(|d| part(d.row_id) == Part::HeldOut).count(),
        lambda_trials: trials,
        lambda,
        platt,
        held_out_metrics: Binary::default(),
        held_out_by_category: BTreeMap::new(),
        held_out_neutral_share: 0.0,
        three_star_reviews: corpus.middling.len(),
        three_star_neutral_share: None,
        seconds: started.elapsed().as_secs_f64(),
        corpus,
    };
    (model, report)
}

/// Scores the held-out part with the model as shipped (after quantisation) and fills the metrics.
fn evaluate(model: &LinearModel, report: &mut LangReport) {
    let mut ws = Workspace::default();
    let mut all = Vec::new();
    let mut by_cat: BTreeMap<String, Vec<(f64, bool)>> = BTreeMap::new();
    let mut neutral = 0usize;
    for d in report.corpus.docs.iter().filter(|d| part(d.row_id) == Part::HeldOut) {
        let p = model.probability(&d.text, &mut ws).unwrap_or(0.5);
        neutral += usize::from(NEUTRAL_BAND.contains(&p));
        all.push((p, d.positive));
        by_cat.entry(d.category.clone()).or_default().push((p, d.positive));
    }
    report.held_out_metrics = Binary::of(&all);
    report.held_out_by_category = by_cat.into_iter().map(|(k, v)| (k, Binary::of(&v))).collect();
    report.held_out_neutral_share = neutral as f64 / all.len().max(1) as f64;
    if !report.corpus.middling.is_empty() {
        let n = report.corpus.middling.iter().filter(|d| NEUTRAL_BAND.contains(&model.probability(&d.text, &mut ws).unwrap_or(0.5))).count();
        report.three_star_neutral_share = Some(n as f64 / report.corpus.middling.len() as f64);
    }
}

/// Trains both languages; returns the model (quantised, as it will be shipped) and the report.
pub fn train(config: &TrainConfig, log: &mut dyn FnMut(&str)) -> Result<(SentimentModel, TrainReport), TextError> {
    let zh_corpus = read_zh(&config.zh_reviews)?;
    let en_corpus = read_en(&config.en_reviews)?;
    let (zh, mut zh_report) = fit_lang(Lang::Zh, zh_corpus, log);
    let (en, mut en_report) = fit_lang(Lang::En, en_corpus, log);
    let bytes = SentimentModel { zh, en }.to_bytes();
    let shipped = SentimentModel::from_bytes(&bytes).map_err(|message| TextError::Model { path: "(in memory)".into(), message })?;
    evaluate(&shipped.zh, &mut zh_report);
    evaluate(&shipped.en, &mut en_report);
    let report = TrainReport {
        bits: BITS,
        features: "TF-IDF (sublinear tf, smoothed idf, L2) of hashed char 1-3-grams, words (jieba for zh), negation-marked words, word bigrams",
        neutral_band: [*NEUTRAL_BAND.start(), *NEUTRAL_BAND.end()],
        zh: zh_report,
        en: en_report,
        model_bytes: bytes.len(),
    };
    Ok((shipped, report))
}
