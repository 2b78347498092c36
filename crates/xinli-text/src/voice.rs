//! A shop's reviews scored and summed up: per-review scores, aspect counts per product, category
//! and month, the complaint queue, satisfaction cells and the per-customer view.

use crate::aspects::Polarity;
use crate::lang::Lang;
use crate::lexicon::{Aspect, Emotion};
use crate::satisfaction::{Satisfaction, Survey, Surveys};
use crate::score::{Scored, Scorer, Sentiment};
use crate::SentimentModel;
use std::collections::{BTreeMap, HashMap};
use xinli_core::{CustomerId, Review, Shop};

/// A review with its score and the product's category.
#[derive(Clone, Debug)]
pub struct ScoredReview {
    pub review: Review,
    pub category: Option<String>,
    pub scored: Scored,
}

impl ScoredReview {
    /// "YYYY-MM" of the review.
    pub fn month(&self) -> String {
        self.review.ts.date().format("%Y-%m").to_string()
    }

    /// Stars and text disagree: ≥ 4 stars with negative text, or ≤ 2 stars with positive text.
    pub fn mismatch(&self) -> Option<bool> {
        let r = self.review.rating?;
        Some((r >= 4 && self.scored.sentiment == Sentiment::Negative) || (r <= 2 && self.scored.sentiment == Sentiment::Positive))
    }

    /// The `aspects` column: `aspect:+|-|0` joined by `;`, in order of appearance.
    pub fn aspects_cell(&self) -> String {
        self.scored.mentions.iter().map(|m| format!("{}:{}", m.aspect.code(), m.polarity.sign())).collect::<Vec<_>>().join(";")
    }
}

/// Scores every review of a shop (the product's category from the shop's products).
pub fn score_shop(shop: &Shop, model: &SentimentModel) -> Vec<ScoredReview> {
    let categories: HashMap<&str, &str> = shop.products.iter().filter_map(|p| Some((p.product_id.as_str(), p.category.as_ref()?.as_str()))).collect();
    let mut scorer = Scorer::new(model);
    shop.reviews
        .iter()
        .map(|r| ScoredReview {
            category: r.product_id.as_ref().and_then(|p| categories.get(p.as_str())).map(|c| c.to_string()),
            scored: scorer.score_titled(review_title(r), &r.text, r.language.map(Lang::from)),
            review: r.clone(),
        })
        .collect()
}

/// A review's title: the `title` column of the reviews file (kept in `extra`), if any.
pub fn review_title(review: &Review) -> &str {
    review.extra.iter().find(|(k, _)| k == "title").map_or("", |(_, v)| v.trim())
}

/// What a summary cell is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    All,
    Category,
    Product,
}

impl Scope {
    pub fn code(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Category => "category",
            Scope::Product => "product",
        }
    }
}

/// (scope, key, month): month "" = all time; key "" for the whole shop.
pub type CellKey = (Scope, String, String);

/// The cells one observation counts in: the shop, its category and its product, each all-time
/// and in its month.
fn cells(category: Option<&str>, product: Option<&str>, month: &str) -> Vec<CellKey> {
    let mut out = Vec::with_capacity(6);
    for (scope, key) in [(Scope::All, Some("")), (Scope::Category, category), (Scope::Product, product)] {
        if let Some(k) = key {
            out.push((scope, k.to_string(), String::new()));
            out.push((scope, k.to_string(), month.to_string()));
        }
    }
    out
}

/// Mentions of one aspect in one cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AspectCount {
    pub mentions: u64,
    pub positive: u64,
    pub negative: u64,
}

impl AspectCount {
    pub fn share_negative(&self) -> Option<f64> {
        (self.mentions > 0).then(|| self.negative as f64 / self.mentions as f64)
    }
}

/// Everything the voice-of-the-customer outputs are made from.
#[derive(Debug, Default)]
pub struct Voice {
    pub reviews: Vec<ScoredReview>,
    pub aspects: BTreeMap<(CellKey, Aspect), AspectCount>,
    pub satisfaction: BTreeMap<CellKey, Satisfaction>,
    /// Indices into `reviews` of complaints, most urgent first.
    pub complaint_queue: Vec<usize>,
    pub clv: HashMap<CustomerId, f64>,
    pub surveys: Surveys,
}

impl Voice {
    /// Sums up scored reviews and surveys. `clv`: customer value used to order the complaint
    /// queue (severity first, then CLV, then the most recent).
    pub fn build(reviews: Vec<ScoredReview>, surveys: Surveys, clv: HashMap<CustomerId, f64>) -> Voice {
        let mut aspects: BTreeMap<(CellKey, Aspect), AspectCount> = BTreeMap::new();
        let mut satisfaction: BTreeMap<CellKey, Satisfaction> = BTreeMap::new();
        for r in &reviews {
            let month = r.month();
            let keys = cells(r.category.as_deref(), r.review.product_id.as_ref().map(|p| p.as_str()), &month);
            for key in &keys {
                for m in &r.scored.mentions {
                    let c = aspects.entry((key.clone(), m.aspect)).or_default();
                    c.mentions += 1;
                    c.positive += u64::from(m.polarity == Polarity::Positive);
                    c.negative += u64::from(m.polarity == Polarity::Negative);
                }
                if let Some(stars) = r.review.rating {
                    let s = satisfaction.entry(key.clone()).or_default();
                    s.add_csat(stars);
                    s.rated_reviews += 1;
                    s.mismatches += u64::from(r.mismatch() == Some(true));
                }
            }
        }
        let product_category: HashMap<&str, &str> =
            reviews.iter().filter_map(|r| Some((r.review.product_id.as_ref()?.as_str(), r.category.as_deref()?))).collect();
        for s in &surveys.answers {
            let month = s.ts.date().format("%Y-%m").to_string();
            let product = s.product_id.as_ref().map(|p| p.as_str());
            let category = product.and_then(|p| product_category.get(p).copied());
            for key in cells(category, product, &month) {
                satisfaction.entry(key).or_default().add_survey(s);
            }
        }
        let mut complaint_queue: Vec<usize> = (0..reviews.len()).filter(|&i| reviews[i].scored.complaint).collect();
        let value = |i: usize| reviews[i].review.customer_id.as_ref().and_then(|c| clv.get(c)).copied().unwrap_or(f64::NEG_INFINITY);
        complaint_queue.sort_by(|&a, &b| {
            let (ra, rb) = (&reviews[a], &reviews[b]);
            rb.scored.severity.cmp(&ra.scored.severity).then(value(b).total_cmp(&value(a))).then(rb.review.ts.cmp(&ra.review.ts)).then(a.cmp(&b))
        });
        Voice { reviews, aspects, satisfaction, complaint_queue, clv, surveys }
    }

    /// Shop-wide, all-time counts per aspect.
    pub fn shop_aspects(&self) -> Vec<(Aspect, AspectCount)> {
        let all: CellKey = (Scope::All, String::new(), String::new());
        Aspect::ALL.iter().map(|&a| (a, self.aspects.get(&(all.clone(), a)).copied().unwrap_or_default())).collect()
    }

    /// Shop-wide satisfaction per month, in month order.
    pub fn monthly(&self) -> Vec<(&str, &Satisfaction)> {
        self.satisfaction.iter().filter(|((s, _, m), _)| *s == Scope::All && !m.is_empty()).map(|((_, _, m), v)| (m.as_str(), v)).collect()
    }
}

/// One customer's voice, for `xinli analyze`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomerVoice {
    pub reviews: u32,
    /// The emotion of the customer's latest review that shows one (neutral otherwise).
    pub emotion: Option<Emotion>,
    /// Mean of the customer's satisfaction signals on a 0–1 scale: stars (r−1)/4, survey scores
    /// (s/10 or (s−1)/4), and review text P(positive). None without any signal.
    pub satisfaction: Option<f64>,
    /// Negative mentions and all mentions of the three barrier aspects.
    pub quality: AspectCount,
    pub logistics: AspectCount,
    pub service: AspectCount,
    /// The negative barrier mentions' trigger texts with their review id and span
    /// (`review_id@start-end:trigger`), for a person to check.
    pub evidence: Vec<String>,
    pub complaints: u32,
    /// Reviews with a negative mention of quality that are not rated 1–2 (a low rating tells
    /// that already), of logistics, and of service: the review-based barrier incidents.
    pub quality_text_reviews: u32,
    pub logistics_text_reviews: u32,
    pub service_text_reviews: u32,
}

/// The per-customer table: reviews and surveys by customer.
pub fn per_customer<'r>(reviews: impl IntoIterator<Item = &'r ScoredReview>, surveys: &[Survey]) -> BTreeMap<CustomerId, CustomerVoice> {
    let mut out: BTreeMap<CustomerId, (CustomerVoice, f64, u32, Option<xinli_core::Timestamp>)> = BTreeMap::new();
    for r in reviews {
        let Some(c) = &r.review.customer_id else { continue };
        let (v, sum, n, latest) = out.entry(c.clone()).or_default();
        v.reviews += 1;
        v.complaints += u32::from(r.scored.complaint);
        for signal in [r.review.rating.map(|s| (s as f64 - 1.0) / 4.0), r.scored.probability].into_iter().flatten() {
            *sum += signal;
            *n += 1;
        }
        if r.scored.emotion != Emotion::Neutral && latest.is_none_or(|t| r.review.ts >= t) {
            v.emotion = Some(r.scored.emotion);
            *latest = Some(r.review.ts);
        }
        let negative_on = |a: Aspect| u32::from(r.scored.mentions.iter().any(|m| m.aspect == a && m.polarity == Polarity::Negative));
        v.quality_text_reviews += negative_on(Aspect::Quality) * u32::from(!matches!(r.review.rating, Some(1 | 2)));
        v.logistics_text_reviews += negative_on(Aspect::Logistics);
        v.service_text_reviews += negative_on(Aspect::Service);
        for m in &r.scored.mentions {
            let count = match m.aspect {
                Aspect::Quality => &mut v.quality,
                Aspect::Logistics => &mut v.logistics,
                Aspect::Service => &mut v.service,
                _ => continue,
            };
            count.mentions += 1;
            count.positive += u64::from(m.polarity == Polarity::Positive);
            if m.polarity == Polarity::Negative {
                count.negative += 1;
                v.evidence.push(format!("{}@{}-{}:{}", r.review.review_id.as_str(), m.start, m.end, m.trigger));
            }
        }
    }
    for s in surveys {
        let (_, sum, n, _) = out.entry(s.customer_id.clone()).or_default();
        *sum += match s.scale {
            crate::satisfaction::Scale::ZeroToTen => s.score as f64 / 10.0,
            crate::satisfaction::Scale::OneToFive => (s.score as f64 - 1.0) / 4.0,
        };
        *n += 1;
    }
    out.into_iter()
        .map(|(c, (mut v, sum, n, _))| {
            v.satisfaction = (n > 0).then(|| sum / n as f64);
            if v.reviews > 0 && v.emotion.is_none() {
                v.emotion = Some(Emotion::Neutral);
            }
            (c, v)
        })
        .collect()
}
