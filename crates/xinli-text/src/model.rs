//! The sentiment model: per language, TF-IDF weighting of hashed features (sub-linear term
//! frequency 1 + ln tf, smoothed idf ln((1+n)/(1+df)) + 1, L2-normalised rows, as in
//! scikit-learn's `TfidfVectorizer(sublinear_tf=True)`), a logistic regression margin
//! z = w·x + b, and Platt scaling p = σ(a z + c) fitted on a calibration part (Platt 1999) so
//! that `probability` is a calibrated P(positive).
//!
//! The file (`model/sentiment.bin.gz`, gzip) holds, per language: bits, bias, Platt a and c,
//! weights quantised to i16 with one scale, idf quantised to u8 with one scale. The shipped file
//! is embedded in the binary ([`SentimentModel::embedded`]).

use crate::features::{counts, extract, Scratch};
use crate::lang::Lang;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use std::io::{Read, Write};
use std::sync::OnceLock;

const MAGIC: &[u8; 4] = b"XTSM";
const VERSION: u32 = 1;

/// Platt scaling: p = σ(a z + c).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Platt {
    pub a: f64,
    pub c: f64,
}

impl Platt {
    pub fn probability(self, margin: f64) -> f64 {
        sigmoid(self.a * margin + self.c)
    }
}

pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// One language's model.
#[derive(Clone, Debug)]
pub struct LinearModel {
    pub lang: Lang,
    pub bits: u32,
    pub weights: Vec<f32>,
    pub idf: Vec<f32>,
    pub bias: f32,
    pub platt: Platt,
}

/// Reusable buffers for scoring.
#[derive(Default)]
pub struct Workspace {
    scratch: Scratch,
    counts: Vec<(u32, u32)>,
    pub vector: Vec<(u32, f32)>,
}

impl Workspace {
    /// The (bucket, count) pairs of the last text seen.
    pub fn counts(&self) -> &[(u32, u32)] {
        &self.counts
    }
}

/// The TF-IDF row of bucket counts: (1 + ln tf)·idf, L2-normalised. Empty when there is no feature.
pub fn tfidf_row(counts: &[(u32, u32)], idf: &[f32], out: &mut Vec<(u32, f32)>) {
    out.clear();
    let mut norm = 0.0f64;
    for &(i, n) in counts {
        let v = (1.0 + (n as f32).ln()) * idf[i as usize];
        norm += (v as f64) * (v as f64);
        out.push((i, v));
    }
    if norm > 0.0 {
        let inv = (1.0 / norm.sqrt()) as f32;
        out.iter_mut().for_each(|(_, v)| *v *= inv);
    }
}

impl LinearModel {
    /// Bucket counts of a text (the part that does not depend on learned values).
    pub fn bucket_counts(lang: Lang, bits: u32, text: &str, ws: &mut Workspace) {
        extract(lang, text, bits, &mut ws.scratch);
        counts(&mut ws.scratch.indices, &mut ws.counts);
    }

    /// z = w·x + b for a text; None when the text has no feature at all (empty text).
    pub fn margin(&self, text: &str, ws: &mut Workspace) -> Option<f64> {
        Self::bucket_counts(self.lang, self.bits, text, ws);
        if ws.counts.is_empty() {
            return None;
        }
        tfidf_row(&ws.counts, &self.idf, &mut ws.vector);
        let dot: f64 = ws.vector.iter().map(|&(i, v)| self.weights[i as usize] as f64 * v as f64).sum();
        Some(dot + self.bias as f64)
    }

    /// Calibrated P(positive); None for a text without features.
    pub fn probability(&self, text: &str, ws: &mut Workspace) -> Option<f64> {
        self.margin(text, ws).map(|z| self.platt.probability(z))
    }

    fn write(&self, out: &mut Vec<u8>) {
        let w_scale = self.weights.iter().fold(0f32, |m, w| m.max(w.abs())).max(f32::MIN_POSITIVE) / i16::MAX as f32;
        let idf_scale = self.idf.iter().fold(0f32, |m, w| m.max(*w)).max(f32::MIN_POSITIVE) / u8::MAX as f32;
        out.push(match self.lang {
            Lang::Zh => 0,
            Lang::En => 1,
        });
        out.push(self.bits as u8);
        for v in [self.bias, self.platt.a as f32, self.platt.c as f32, w_scale, idf_scale] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for w in &self.weights {
            out.extend_from_slice(&((w / w_scale).round() as i16).to_le_bytes());
        }
        out.extend(self.idf.iter().map(|v| (v / idf_scale).round().clamp(0.0, 255.0) as u8));
    }

    fn read(r: &mut &[u8]) -> Result<LinearModel, String> {
        let lang = match take(r, 1)?[0] {
            0 => Lang::Zh,
            1 => Lang::En,
            other => return Err(format!("unknown language tag {other}")),
        };
        let bits = take(r, 1)?[0] as u32;
        if !(8..=24).contains(&bits) {
            return Err(format!("bad hash size 2^{bits}"));
        }
        let mut f = [0f32; 5];
        for v in &mut f {
            *v = f32::from_le_bytes(take(r, 4)?.try_into().expect("4 bytes"));
        }
        let [bias, a, c, w_scale, idf_scale] = f;
        let dim = 1usize << bits;
        let weights = take(r, 2 * dim)?.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 * w_scale).collect();
        let idf = take(r, dim)?.iter().map(|&b| b as f32 * idf_scale).collect();
        Ok(LinearModel { lang, bits, weights, idf, bias, platt: Platt { a: a as f64, c: c as f64 } })
    }
}

fn take<'a>(r: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
    if r.len() < n {
        return Err("model file is truncated".into());
    }
    let (head, tail) = r.split_at(n);
    *r = tail;
    Ok(head)
}

/// The Chinese and English models.
#[derive(Clone, Debug)]
pub struct SentimentModel {
    pub zh: LinearModel,
    pub en: LinearModel,
}

impl SentimentModel {
    pub fn for_lang(&self, lang: Lang) -> &LinearModel {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// The gzip-compressed file bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut raw = Vec::new();
        raw.extend_from_slice(MAGIC);
        raw.extend_from_slice(&VERSION.to_le_bytes());
        self.zh.write(&mut raw);
        self.en.write(&mut raw);
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&raw).expect("writing to memory");
        gz.finish().expect("writing to memory")
    }

    pub fn from_bytes(gz: &[u8]) -> Result<SentimentModel, String> {
        let mut raw = Vec::new();
        GzDecoder::new(gz).read_to_end(&mut raw).map_err(|e| format!("model file is not valid gzip: {e}"))?;
        let mut r = raw.as_slice();
        if take(&mut r, 4)? != MAGIC {
            return Err("not a xinli sentiment model".into());
        }
        let version = u32::from_le_bytes(take(&mut r, 4)?.try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(format!("model version {version}, expected {VERSION}"));
        }
        let zh = LinearModel::read(&mut r)?;
        let en = LinearModel::read(&mut r)?;
        if zh.lang != Lang::Zh || en.lang != Lang::En || !r.is_empty() {
            return Err("model file has an unexpected layout".into());
        }
        Ok(SentimentModel { zh, en })
    }

    /// The model shipped in the repository (`crates/xinli-text/model/sentiment.bin.gz`), trained by
    /// `xinli text train`; decoded once.
    pub fn embedded() -> &'static SentimentModel {
        static MODEL: OnceLock<SentimentModel> = OnceLock::new();
        MODEL.get_or_init(|| {
            SentimentModel::from_bytes(include_bytes!("../model/sentiment.bin.gz")).expect("the embedded model is checked by the crate's tests")
        })
    }
}
