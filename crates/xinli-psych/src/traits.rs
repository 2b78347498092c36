//! The six traits, the signals behind each, and the output types.

use xinli_core::CustomerId;

/// One of the six psychological traits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trait {
    PriceSensitivity,
    InfoSeeking,
    Convenience,
    TrustConcern,
    SocialInfluence,
    NoveltySeeking,
}

impl Trait {
    pub const ALL: [Trait; 6] = [
        Trait::PriceSensitivity,
        Trait::InfoSeeking,
        Trait::Convenience,
        Trait::TrustConcern,
        Trait::SocialInfluence,
        Trait::NoveltySeeking,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn name(self) -> &'static str {
        match self {
            Trait::PriceSensitivity => "price_sensitivity",
            Trait::InfoSeeking => "info_seeking",
            Trait::Convenience => "convenience",
            Trait::TrustConcern => "trust_concern",
            Trait::SocialInfluence => "social_influence",
            Trait::NoveltySeeking => "novelty_seeking",
        }
    }
    /// The score column: `trait_<name>`.
    pub fn column(self) -> &'static str {
        match self {
            Trait::PriceSensitivity => "trait_price_sensitivity",
            Trait::InfoSeeking => "trait_info_seeking",
            Trait::Convenience => "trait_convenience",
            Trait::TrustConcern => "trait_trust_concern",
            Trait::SocialInfluence => "trait_social_influence",
            Trait::NoveltySeeking => "trait_novelty_seeking",
        }
    }
    /// The confidence column: `confidence_<name>`.
    pub fn confidence_column(self) -> &'static str {
        match self {
            Trait::PriceSensitivity => "confidence_price_sensitivity",
            Trait::InfoSeeking => "confidence_info_seeking",
            Trait::Convenience => "confidence_convenience",
            Trait::TrustConcern => "confidence_trust_concern",
            Trait::SocialInfluence => "confidence_social_influence",
            Trait::NoveltySeeking => "confidence_novelty_seeking",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Trait::PriceSensitivity => "价格敏感",
            Trait::InfoSeeking => "信息获取",
            Trait::Convenience => "便捷",
            Trait::TrustConcern => "安全感/信任",
            Trait::SocialInfluence => "社交/口碑",
            Trait::NoveltySeeking => "个性化/求新",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            Trait::PriceSensitivity => "price sensitivity",
            Trait::InfoSeeking => "information seeking",
            Trait::Convenience => "convenience",
            Trait::TrustConcern => "trust concern",
            Trait::SocialInfluence => "social influence",
            Trait::NoveltySeeking => "novelty seeking",
        }
    }
    /// The persona a customer dominated by this trait gets.
    pub fn persona(self) -> Persona {
        match self {
            Trait::PriceSensitivity => Persona::PriceSensitive,
            Trait::InfoSeeking => Persona::InfoSeeker,
            Trait::Convenience => Persona::ConvenienceSeeker,
            Trait::TrustConcern => Persona::TrustSeeker,
            Trait::SocialInfluence => Persona::SociallyInfluenced,
            Trait::NoveltySeeking => Persona::NoveltySeeker,
        }
    }
}

/// The dominant trait, or `Balanced` when none stands out (rule: [`crate::TraitConfig`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Persona {
    PriceSensitive,
    InfoSeeker,
    ConvenienceSeeker,
    TrustSeeker,
    SociallyInfluenced,
    NoveltySeeker,
    Balanced,
}

impl Persona {
    pub fn name(self) -> &'static str {
        match self {
            Persona::PriceSensitive => "price_sensitive",
            Persona::InfoSeeker => "info_seeker",
            Persona::ConvenienceSeeker => "convenience_seeker",
            Persona::TrustSeeker => "trust_seeker",
            Persona::SociallyInfluenced => "socially_influenced",
            Persona::NoveltySeeker => "novelty_seeker",
            Persona::Balanced => "balanced",
        }
    }
}

/// One signal's contribution to a customer's trait: the customer's observed value, the shop's
/// median of the same value, and a sentence in Chinese and English.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Evidence {
    /// Signal identifier, e.g. `discount_line_share`.
    pub signal: &'static str,
    /// The customer's observed value (share, rate or entropy); the shrunken value when the
    /// customer has no observation of this signal.
    pub value: f64,
    /// The shop's median of the observed value among customers with observations.
    pub shop_median: f64,
    /// The value after shrinkage toward the shop (what the score uses).
    pub shrunk: f64,
    /// How much evidence: trials, exposure or items (0 = none, the shop's value is assumed).
    pub observations: f64,
    /// The shop percentile of the shrunken value, oriented so that high = more of the trait.
    pub percentile: f64,
    /// Whether the customer has observations of this signal (else `value` is the shop's).
    pub observed: bool,
    /// Successes (shares) or events (rates) behind `value`.
    pub successes: f64,
}

/// One trait of one customer.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TraitScore {
    pub trait_: Trait,
    /// In [0, 1], the customer's percentile in the shop; `None` when the shop's data hold none
    /// of the trait's signals (unknown, never invented).
    pub score: Option<f64>,
    /// In [0, 1]: the weighted credibility of the signals (0 = no evidence of this customer).
    pub confidence: f64,
}

/// The six traits of one customer.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CustomerTraits {
    pub customer_id: CustomerId,
    /// In [`Trait::ALL`] order.
    pub traits: [TraitScore; 6],
    pub persona: Persona,
    /// Sessions seen in the events (0 without events).
    pub sessions: u32,
    /// Distinct completed (or returned) orders.
    pub orders: u32,
}

impl CustomerTraits {
    pub fn get(&self, t: Trait) -> &TraitScore {
        &self.traits[t.index()]
    }
}

/// What the shop's data allowed for one trait.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TraitCoverage {
    pub trait_: Trait,
    /// Signals present in the data (used).
    pub signals_used: Vec<&'static str>,
    /// Signals of the trait absent from the data (not used).
    pub signals_missing: Vec<&'static str>,
}

/// Every scored customer, plus which signals the shop's data held.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TraitTable {
    pub customers: Vec<CustomerTraits>,
    pub coverage: Vec<TraitCoverage>,
    #[serde(skip)]
    pub(crate) evidence: crate::EvidenceSource,
}

impl TraitTable {
    /// The evidence behind trait `t` of `customers[i]`: one line per signal the trait uses
    /// (only those present in the shop's data); empty when the trait is unknown. Made on
    /// demand from the customer's counts: stored, a million customers' ~30 lines each would
    /// take gigabytes.
    pub fn evidence(&self, i: usize, t: Trait) -> Vec<Evidence> {
        self.evidence.lines(i, t)
    }
}
