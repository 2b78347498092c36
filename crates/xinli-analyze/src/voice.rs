//! Voice of the customer in the pipeline: the shop's reviews scored by `xinli-text` (sentiment,
//! aspects with spans, emotion, complaints) and summed up per customer: `emotion` and
//! `satisfaction` for customers.csv, review-based barrier evidence (quality, logistics, service
//! mention counts and the spans of the negative ones), and the report section.

use crate::output::CustomerRow;
use std::collections::{BTreeMap, HashMap};
use xinli_core::{CustomerId, Shop, Timestamp};
use xinli_text::satisfaction::Surveys;
use xinli_text::voice::{per_customer, score_shop, CustomerVoice, Voice};
use xinli_text::SentimentModel;

/// The shop's reviews scored and the per-customer table.
pub struct ShopVoice {
    pub voice: Voice,
    pub customers: BTreeMap<CustomerId, CustomerVoice>,
}

/// Scores the shop's reviews and sums them up with the surveys (None when there are neither).
/// `rows` gives each customer's CLV, which orders the complaint queue.
pub fn customer_voice(shop: &Shop, surveys: Surveys, rows: &[CustomerRow]) -> Option<ShopVoice> {
    if shop.reviews.is_empty() && surveys.answers.is_empty() {
        return None;
    }
    let clv: HashMap<CustomerId, f64> = rows.iter().filter_map(|r| Some((CustomerId::parse(&r.customer_id).ok()?, r.clv?))).collect();
    let scored = score_shop(shop, SentimentModel::embedded());
    let customers = per_customer(&scored, &surveys.answers);
    Some(ShopVoice { voice: Voice::build(scored, surveys, clv), customers })
}

/// The `surveys` files of a canonical shop directory (none for other sources), read with their
/// bad rows quarantined.
pub fn read_surveys(source: &crate::config::Source) -> Result<Surveys, xinli_text::TextError> {
    let mut surveys = Surveys::default();
    if let crate::config::Source::Directory(dir) = source {
        for path in xinli_text::satisfaction::survey_files(dir)? {
            surveys.read(&path)?;
        }
    }
    Ok(surveys)
}

impl ShopVoice {
    /// The per-customer table over the reviews written up to `as_of` (the barrier signals'
    /// date); surveys are not barrier evidence.
    pub fn customers_until(&self, as_of: Timestamp) -> BTreeMap<CustomerId, CustomerVoice> {
        per_customer(self.voice.reviews.iter().filter(|r| r.review.ts <= as_of), &[])
    }
}

/// Fills the `emotion` and `satisfaction` columns.
pub fn fill_rows(rows: &mut [CustomerRow], voice: &ShopVoice) {
    for row in rows {
        let Some(v) = CustomerId::parse(&row.customer_id).ok().and_then(|id| voice.customers.get(&id)) else { continue };
        row.emotion = v.emotion.map(|e| e.code().to_string());
        row.satisfaction = v.satisfaction.map(crate::output::round6);
    }
}

/// `voice.csv`: one row per customer with reviews — emotion, satisfaction and the review-based
/// barrier evidence (mentions and negative mentions of quality, logistics and service, with the
/// negative mentions' spans as `review_id@start-end:trigger`).
pub fn write_csv(path: &std::path::Path, voice: &ShopVoice) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "customer_id", "reviews", "complaints", "emotion", "satisfaction", "quality_mentions", "quality_negative", "logistics_mentions", "logistics_negative",
        "service_mentions", "service_negative", "evidence",
    ])?;
    for (id, v) in &voice.customers {
        let mut row = vec![id.as_str().to_string(), v.reviews.to_string(), v.complaints.to_string()];
        row.push(v.emotion.map_or(String::new(), |e| e.code().to_string()));
        row.push(v.satisfaction.map_or(String::new(), |s| crate::output::round6(s).to_string()));
        for c in [v.quality, v.logistics, v.service] {
            row.push(c.mentions.to_string());
            row.push(c.negative.to_string());
        }
        row.push(v.evidence.join(" "));
        w.write_record(&row)?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinli_core::{Review, ReviewId, Timestamp};

    fn review(id: &str, customer: &str, rating: u8, text: &str) -> Review {
        Review {
            review_id: ReviewId::parse(id).unwrap(),
            customer_id: Some(CustomerId::parse(customer).unwrap()),
            product_id: None,
            ts: Timestamp::parse("2024-03-01").unwrap(),
            rating: Some(rating),
            text: text.into(),
            language: None,
            extra: Default::default(),
        }
    }

    #[test]
    fn per_customer_emotion_satisfaction_and_barrier_spans() {
        let shop = Shop {
            reviews: vec![
                review("r1", "a", 1, "物流太慢了，等了十天，质量也差，我要退款！！"),
                review("r2", "b", 5, "Love it, great quality and fast shipping"),
            ],
            ..Shop::default()
        };
        let mut rows = vec![CustomerRow::without_purchases("a"), CustomerRow::without_purchases("b"), CustomerRow::without_purchases("c")];
        let voice = customer_voice(&shop, Surveys::default(), &rows).expect("reviews");
        fill_rows(&mut rows, &voice);
        assert_eq!(rows[0].emotion.as_deref(), Some("anger"));
        assert!(rows[0].satisfaction.unwrap() < 0.2, "{:?}", rows[0].satisfaction);
        assert_eq!(rows[1].emotion.as_deref(), Some("joy"));
        assert!(rows[1].satisfaction.unwrap() > 0.8);
        assert_eq!((rows[2].emotion.as_ref(), rows[2].satisfaction), (None, None));
        let a = &voice.customers[&CustomerId::parse("a").unwrap()];
        assert_eq!((a.logistics.negative, a.quality.negative), (1, 1));
        assert!(a.evidence.iter().any(|e| e == "r1@0-2:物流"), "{:?}", a.evidence);
        assert_eq!(voice.voice.complaint_queue.len(), 1);
        let path = std::env::temp_dir().join(format!("xinli-voice-{}.csv", std::process::id()));
        write_csv(&path, &voice).unwrap();
        let csv = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(csv.lines().nth(1).unwrap().starts_with("a,1,1,anger,"), "{csv}");
        assert!(csv.contains("r1@0-2:物流"));
        assert!(customer_voice(&Shop::default(), Surveys::default(), &rows).is_none());
    }
}
