//! Satisfaction: CSAT (share of 4–5 on a 1–5 scale, from star ratings and 5-point surveys) and
//! NPS (Reichheld 2003: % promoters 9–10 − % detractors 0–6 on a 0–10 scale, from surveys), and
//! the canonical `surveys` file (customer_id*, ts*, score*, scale, comment; product_id optional).

use crate::error::TextError;
use std::io::Read;
use std::path::{Path, PathBuf};
use xinli_core::{CustomerId, ProductId, Timestamp};
use xinli_ingest::QuarantineEntry;

/// The scale of a survey answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Scale {
    /// 0–10, "how likely are you to recommend us" (NPS).
    ZeroToTen,
    /// 1–5 satisfaction (CSAT).
    OneToFive,
}

impl Scale {
    fn parse(raw: &str) -> Option<Scale> {
        match raw.trim() {
            "" | "10" | "11" | "0-10" | "0..10" => Some(Scale::ZeroToTen),
            "5" | "1-5" | "1..5" => Some(Scale::OneToFive),
            _ => None,
        }
    }
    fn range(self) -> std::ops::RangeInclusive<u8> {
        match self {
            Scale::ZeroToTen => 0..=10,
            Scale::OneToFive => 1..=5,
        }
    }
}

/// One survey answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Survey {
    pub customer_id: CustomerId,
    pub ts: Timestamp,
    pub score: u8,
    pub scale: Scale,
    pub comment: Option<String>,
    pub product_id: Option<ProductId>,
}

/// A surveys file read: answers, quarantined rows, rows read (= answers + quarantined).
#[derive(Debug, Default)]
pub struct Surveys {
    pub answers: Vec<Survey>,
    pub quarantine: Vec<QuarantineEntry>,
    pub rows_read: usize,
    pub files: Vec<String>,
}

/// The surveys files of a shop directory (`surveys.csv`, `surveys-2024.csv.gz`, …), by name.
pub fn survey_files(dir: &Path) -> Result<Vec<PathBuf>, TextError> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| TextError::io(dir, e))? {
        let e = e.map_err(|e| TextError::io(dir, e))?;
        let name = e.file_name().to_string_lossy().to_lowercase();
        let rest = name.strip_prefix("surveys");
        let csv = name.ends_with(".csv") || name.ends_with(".csv.gz");
        if rest.is_some_and(|r| r.starts_with(['.', '-', '_'])) && csv {
            out.push(e.path());
        }
    }
    out.sort();
    Ok(out)
}

impl Surveys {
    /// Reads a surveys CSV (gzip detected from the bytes). Malformed rows go to quarantine with
    /// file, line, column, value and reason; a missing required column is an error.
    pub fn read(&mut self, path: &Path) -> Result<(), TextError> {
        let name = path.display().to_string();
        let mut bytes = Vec::new();
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).map_err(|e| TextError::io(path, e))?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut raw = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes.as_slice()).read_to_end(&mut raw).map_err(|e| TextError::io(path, e))?;
            bytes = raw;
        }
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes.as_slice());
        let headers = rdr.byte_headers().map_err(|e| TextError::csv(path, e))?.clone();
        let names: Vec<String> = headers.iter().map(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').to_lowercase()).collect();
        let col = |n: &str| names.iter().position(|h| h == n);
        let required = |n: &str| {
            col(n).ok_or_else(|| TextError::MissingColumn { path: name.clone(), column: n.into(), found: names.join(", ") })
        };
        let (c_id, c_ts, c_score) = (required("customer_id")?, required("ts")?, required("score")?);
        let (c_scale, c_comment, c_product) = (col("scale"), col("comment"), col("product_id"));
        self.files.push(name.clone());
        let mut rec = csv::ByteRecord::new();
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(TextError::csv(path, e)),
            }
            self.rows_read += 1;
            let line = rec.position().map_or(0, |p| p.line());
            let bad = |column: &str, value: &str, reason: &str| QuarantineEntry {
                file: name.clone(),
                line,
                column: column.into(),
                value: value.chars().take(200).collect(),
                reason: reason.into(),
            };
            if rec.len() != headers.len() {
                self.quarantine.push(bad("", "", &format!("wrong field count: expected {}, found {}", headers.len(), rec.len())));
                continue;
            }
            let Ok(fields) = rec.iter().map(std::str::from_utf8).collect::<Result<Vec<&str>, _>>() else {
                self.quarantine.push(bad("", &String::from_utf8_lossy(rec.as_slice()), "not valid text in the file's encoding"));
                continue;
            };
            match parse_row(&fields, c_id, c_ts, c_score, c_scale, c_comment, c_product) {
                Ok(s) => self.answers.push(s),
                Err((c, reason)) => self.quarantine.push(bad(&names[c], fields[c], &reason)),
            }
        }
        Ok(())
    }
}

fn parse_row(f: &[&str], id: usize, ts: usize, score: usize, scale: Option<usize>, comment: Option<usize>, product: Option<usize>) -> Result<Survey, (usize, String)> {
    let required = |c: usize| if f[c].trim().is_empty() { Err((c, "empty required field".to_string())) } else { Ok(f[c]) };
    let customer_id = CustomerId::parse(required(id)?).map_err(|e| (id, format!("bad id: {e}")))?;
    let ts_v = Timestamp::parse(required(ts)?).map_err(|e| (ts, format!("bad date: {e}")))?;
    let scale_v = match scale {
        Some(c) => Scale::parse(f[c]).ok_or((c, "unknown scale (10 or 5)".to_string()))?,
        None => Scale::ZeroToTen,
    };
    let raw = required(score)?.trim();
    let score_v = raw.parse::<u8>().ok().filter(|s| scale_v.range().contains(s)).ok_or_else(|| {
        let r = scale_v.range();
        (score, format!("score outside {}–{}", r.start(), r.end()))
    })?;
    let text = |c: Option<usize>| c.map(|c| f[c].trim()).filter(|s| !s.is_empty());
    let product_id = match text(product) {
        Some(p) => Some(ProductId::parse(p).map_err(|e| (product.expect("column"), format!("bad id: {e}")))?),
        None => None,
    };
    Ok(Survey { customer_id, ts: ts_v, score: score_v, scale: scale_v, comment: text(comment).map(str::to_string), product_id })
}

/// CSAT and NPS counts of one cell (a product, a category or the shop; a month or all time).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Satisfaction {
    /// Star ratings and 1–5 survey answers.
    pub csat_answers: u64,
    /// Of those, 4 or 5.
    pub satisfied: u64,
    /// 0–10 survey answers.
    pub nps_answers: u64,
    pub promoters: u64,
    pub detractors: u64,
    /// Rated reviews whose text sentiment contradicts the stars (≥ 4 stars with negative text,
    /// ≤ 2 stars with positive text).
    pub mismatches: u64,
    pub rated_reviews: u64,
}

impl Satisfaction {
    pub fn add_csat(&mut self, score_1_to_5: u8) {
        self.csat_answers += 1;
        self.satisfied += u64::from(score_1_to_5 >= 4);
    }
    pub fn add_nps(&mut self, score_0_to_10: u8) {
        self.nps_answers += 1;
        self.promoters += u64::from(score_0_to_10 >= 9);
        self.detractors += u64::from(score_0_to_10 <= 6);
    }
    pub fn add_survey(&mut self, s: &Survey) {
        match s.scale {
            Scale::ZeroToTen => self.add_nps(s.score),
            Scale::OneToFive => self.add_csat(s.score),
        }
    }
    /// Share of satisfied answers; None without answers.
    pub fn csat(&self) -> Option<f64> {
        (self.csat_answers > 0).then(|| self.satisfied as f64 / self.csat_answers as f64)
    }
    /// NPS in −100..100; None without 0–10 answers.
    pub fn nps(&self) -> Option<f64> {
        (self.nps_answers > 0).then(|| 100.0 * (self.promoters as f64 - self.detractors as f64) / self.nps_answers as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csat_and_nps_by_their_definitions() {
        let mut s = Satisfaction::default();
        for r in [5, 4, 3, 1] {
            s.add_csat(r);
        }
        assert_eq!(s.csat(), Some(0.5));
        for r in [10, 9, 8, 7, 6, 0] {
            s.add_nps(r);
        }
        // 2 promoters, 2 detractors of 6.
        assert_eq!(s.nps(), Some(0.0));
        s.add_nps(10);
        assert!((s.nps().unwrap() - 100.0 / 7.0).abs() < 1e-9);
        assert_eq!(Satisfaction::default().nps(), None);
    }

    #[test]
    fn surveys_file_rows_are_parsed_or_quarantined() {
        let dir = std::env::temp_dir().join(format!("xinli-text-surveys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("surveys.csv");
        let mut body = b"customer_id,ts,score,scale,comment\nc1,2024-01-05,9,10,great\nc2,2024-01-06,11,10,\nc3,2024-02-01,4,5,ok\n,2024-02-01,4,5,\nc4,not a date,3,5,\nc5,2024-02-02,7,10,".to_vec();
        body.extend_from_slice(b"\xff\xfe\n");
        std::fs::write(&p, body).unwrap();
        assert_eq!(survey_files(&dir).unwrap(), vec![p.clone()]);
        let mut s = Surveys::default();
        s.read(&p).unwrap();
        assert_eq!(s.rows_read, 6);
        assert_eq!(s.answers.len() + s.quarantine.len(), s.rows_read);
        let reasons: Vec<(u64, &str, &str)> = s.quarantine.iter().map(|q| (q.line, q.column.as_str(), q.reason.as_str())).collect();
        assert_eq!(reasons[0], (3, "score", "score outside 0–10"));
        assert_eq!(reasons[1], (5, "customer_id", "empty required field"));
        assert_eq!(reasons[2].0, 6);
        assert!(reasons[2].2.starts_with("bad date"), "{reasons:?}");
        assert_eq!(reasons[3], (7, "", "not valid text in the file's encoding"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
