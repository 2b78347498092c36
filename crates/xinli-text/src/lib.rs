//! Voice of the customer: what a shop's customers feel, and about what.
//!
//! - [`model`]: the sentiment model (zh + en), trained by [`train`] and shipped embedded;
//! - [`aspects`]: aspect mentions (quality, price/value, logistics, service, packaging,
//!   authenticity, size/fit) with polarity and the span that triggered them;
//! - [`score`]: one review scored (sentiment, aspects, emotion, complaint and severity);
//! - [`satisfaction`]: CSAT and NPS from ratings and surveys (and the `surveys` file);
//! - [`voice`]: a shop's reviews summed up (aspects per product/category/month, complaint queue,
//!   per-customer view); [`output`] and [`report`] write it; [`run`] is `xinli reviews`.

pub mod aspects;
pub mod error;
pub mod features;
pub mod lang;
pub mod lbfgs;
pub mod lexicon;
pub mod metrics;
pub mod model;
pub mod output;
pub mod report;
pub mod run;
pub mod satisfaction;
pub mod score;
pub mod tokenize;
pub mod train;
pub mod voice;

pub use error::TextError;
pub use aspects::{Mention, Polarity};
pub use lang::Lang;
pub use lexicon::{Aspect, Emotion, Remedy};
pub use model::SentimentModel;
pub use score::{Scored, Scorer, Sentiment};

use std::ops::RangeInclusive;

/// Calibrated P(positive) in this band (inclusive) is called neutral.
pub const NEUTRAL_BAND: RangeInclusive<f64> = 0.35..=0.65;

/// What the sentiment model reads of a review that has a title: the title, a line break, the
/// body (the model is trained on the same joining).
pub fn with_title(title: &str, body: &str) -> String {
    if title.is_empty() {
        body.to_string()
    } else {
        format!("{title}\n{body}")
    }
}
