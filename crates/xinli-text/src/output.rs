//! The files `xinli reviews` writes. Column names are a contract: new columns are appended.

use crate::error::TextError;
use crate::voice::Voice;
use std::path::Path;

fn writer(path: &Path) -> Result<csv::Writer<std::io::BufWriter<std::fs::File>>, TextError> {
    let f = std::fs::File::create(path).map_err(|e| TextError::io(path, e))?;
    Ok(csv::Writer::from_writer(std::io::BufWriter::new(f)))
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.filter(|x| x.is_finite()).map_or(String::new(), |x| format!("{x:.decimals$}"))
}

macro_rules! write_rows {
    ($path:expr, $header:expr, $rows:expr) => {{
        let path: &Path = $path;
        let mut w = writer(path)?;
        w.write_record($header).map_err(|e| TextError::csv(path, e))?;
        for row in $rows {
            w.write_record(&row).map_err(|e| TextError::csv(path, e))?;
        }
        w.flush().map_err(|e| TextError::io(path, e))?;
    }};
}

/// `reviews_scored.csv`: one row per review.
pub const REVIEWS_SCORED: [&str; 16] = [
    "review_id", "language", "sentiment", "probability", "aspects", "emotion", "complaint", "severity", "customer_id", "product_id", "category", "ts", "rating",
    "mismatch", "complaint_reasons", "truncated",
];

pub fn write_reviews_scored(v: &Voice, path: &Path) -> Result<(), TextError> {
    write_rows!(
        path,
        REVIEWS_SCORED,
        v.reviews.iter().map(|r| {
            let s = &r.scored;
            [
                r.review.review_id.as_str().to_string(),
                s.language.map_or("", |l| l.code()).to_string(),
                s.sentiment.code().to_string(),
                opt(s.probability, 4),
                r.aspects_cell(),
                s.emotion.code().to_string(),
                s.complaint.to_string(),
                s.severity.map_or(String::new(), |x| x.to_string()),
                r.review.customer_id.as_ref().map_or("", |c| c.as_str()).to_string(),
                r.review.product_id.as_ref().map_or("", |c| c.as_str()).to_string(),
                r.category.clone().unwrap_or_default(),
                r.review.ts.to_string(),
                r.review.rating.map_or(String::new(), |x| x.to_string()),
                r.mismatch().map_or(String::new(), |x| x.to_string()),
                s.complaint_reasons.join(";"),
                s.truncated.to_string(),
            ]
        })
    );
    Ok(())
}

/// `aspect_mentions.csv`: every mention with the span (char offsets, end exclusive) that triggered it.
pub fn write_mentions(v: &Voice, path: &Path) -> Result<(), TextError> {
    let rows = v.reviews.iter().flat_map(|r| {
        let chars: Vec<char> = r.review.text.chars().collect();
        r.scored.mentions.iter().map(move |m| {
            [
                r.review.review_id.as_str().to_string(),
                m.aspect.code().to_string(),
                m.polarity.code().to_string(),
                m.start.to_string(),
                m.end.to_string(),
                m.trigger.clone(),
                m.opinion.clone(),
                chars[m.clause_start..m.clause_end.min(chars.len())].iter().collect::<String>(),
            ]
        })
    });
    write_rows!(path, ["review_id", "aspect", "polarity", "start", "end", "trigger", "opinion", "clause"], rows);
    Ok(())
}

/// `aspects.csv`: per scope (all, category, product), key and month ("" = all time).
pub fn write_aspects(v: &Voice, path: &Path) -> Result<(), TextError> {
    let rows = v.aspects.iter().map(|(((scope, key, month), aspect), c)| {
        [
            scope.code().to_string(),
            key.clone(),
            month.clone(),
            aspect.code().to_string(),
            c.mentions.to_string(),
            c.positive.to_string(),
            c.negative.to_string(),
            opt(c.share_negative(), 4),
        ]
    });
    write_rows!(path, ["scope", "key", "month", "aspect", "mentions", "positive", "negative", "share_negative"], rows);
    Ok(())
}

/// `complaints.csv`: the complaint queue, most urgent first.
pub fn write_complaints(v: &Voice, path: &Path) -> Result<(), TextError> {
    let rows = v.complaint_queue.iter().enumerate().map(|(rank, &i)| {
        let r = &v.reviews[i];
        let clv = r.review.customer_id.as_ref().and_then(|c| v.clv.get(c)).copied();
        let negative: Vec<&str> = r.scored.mentions.iter().filter(|m| m.polarity == crate::Polarity::Negative).map(|m| m.aspect.code()).collect();
        [
            (rank + 1).to_string(),
            r.review.review_id.as_str().to_string(),
            r.review.customer_id.as_ref().map_or("", |c| c.as_str()).to_string(),
            r.review.product_id.as_ref().map_or("", |c| c.as_str()).to_string(),
            r.review.ts.to_string(),
            r.scored.severity.map_or(String::new(), |x| x.to_string()),
            opt(clv, 2),
            r.scored.emotion.code().to_string(),
            r.scored.complaint_reasons.join(";"),
            negative.join(";"),
            r.review.text.chars().take(300).collect::<String>(),
        ]
    });
    write_rows!(path, ["rank", "review_id", "customer_id", "product_id", "ts", "severity", "clv", "emotion", "reasons", "negative_aspects", "text"], rows);
    Ok(())
}

/// `satisfaction.csv`: CSAT, NPS and star/text mismatches per scope, key and month.
pub fn write_satisfaction(v: &Voice, path: &Path) -> Result<(), TextError> {
    let rows = v.satisfaction.iter().map(|((scope, key, month), s)| {
        [
            scope.code().to_string(),
            key.clone(),
            month.clone(),
            s.csat_answers.to_string(),
            opt(s.csat(), 4),
            s.nps_answers.to_string(),
            s.promoters.to_string(),
            s.detractors.to_string(),
            opt(s.nps(), 1),
            s.rated_reviews.to_string(),
            s.mismatches.to_string(),
        ]
    });
    write_rows!(path, ["scope", "key", "month", "csat_answers", "csat", "nps_answers", "promoters", "detractors", "nps", "rated_reviews", "star_text_mismatches"], rows);
    Ok(())
}
