//! Persona-aware re-ranking, business filters, the diversity guard and a reason for every item.
//!
//! The blend's best candidates are re-scored with a boost for what the customer's persona
//! responds to (from `customers.csv` of `xinli analyze`): price-sensitive → items discounted now
//! (recent paid price below list price), novelty seekers → new arrivals and categories they have
//! not bought, info seekers → well-rated items, socially influenced → trending items. The boost
//! is scaled by the persona's trait score. Then filters (excluded and out-of-stock items; items
//! already bought unless they are reordered consumables) and at most `max_per_category` items of
//! one category.

use crate::model::{Model, Recommender, Scratch};
use foldhash::{HashMap, HashMapExt, HashSet};
use std::path::Path;
use xinli_core::CustomerId;
use xinli_psych::Persona;
use xinli_report::Text;

const PERSONAS: [Persona; 7] = [
    Persona::PriceSensitive,
    Persona::InfoSeeker,
    Persona::ConvenienceSeeker,
    Persona::TrustSeeker,
    Persona::SociallyInfluenced,
    Persona::NoveltySeeker,
    Persona::Balanced,
];

/// What re-ranking knows about one customer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Profile {
    pub persona: Persona,
    /// The persona's own trait score (0–1), when known.
    pub strength: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{path}, line {line}, column {column}: {message} (value {value:?})")]
    Cell { path: String, line: u64, column: String, value: String, message: String },
}

/// Reads `persona` and the `trait_*` columns of a `customers.csv` written by `xinli analyze`.
/// Rows with an empty persona are skipped (the customer is re-ranked as balanced).
pub fn read_profiles(path: &Path) -> Result<HashMap<CustomerId, Profile>, ProfileError> {
    let shown = path.display().to_string();
    let file_error = |message: String| ProfileError::File { path: shown.clone(), message };
    let mut reader = csv::Reader::from_path(path).map_err(|e| file_error(e.to_string()))?;
    let headers = reader.headers().map_err(|e| file_error(e.to_string()))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let (Some(id_col), Some(persona_col)) = (column("customer_id"), column("persona")) else {
        return Err(file_error("needs the columns customer_id and persona (a customers.csv from `xinli analyze`)".into()));
    };
    let mut profiles = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| file_error(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let cell_error = |column: &str, value: &str, message: &str| ProfileError::Cell {
            path: shown.clone(),
            line,
            column: column.to_string(),
            value: value.to_string(),
            message: message.to_string(),
        };
        let raw_id = record.get(id_col).unwrap_or_default();
        let id = CustomerId::parse(raw_id).map_err(|e| cell_error("customer_id", raw_id, &e.to_string()))?;
        let raw_persona = record.get(persona_col).unwrap_or_default().trim();
        if raw_persona.is_empty() {
            continue;
        }
        let persona = PERSONAS
            .into_iter()
            .find(|p| p.name() == raw_persona)
            .ok_or_else(|| cell_error("persona", raw_persona, "unknown persona"))?;
        let strength = match trait_column(persona).and_then(|name| column(name).map(|c| (name, c))) {
            Some((name, c)) => {
                let raw = record.get(c).unwrap_or_default().trim();
                if raw.is_empty() {
                    None
                } else {
                    let v: f64 = raw.parse().map_err(|_| cell_error(name, raw, "not a number"))?;
                    if !(0.0..=1.0).contains(&v) {
                        return Err(cell_error(name, raw, "trait scores lie in [0, 1]"));
                    }
                    Some(v)
                }
            }
            None => None,
        };
        profiles.insert(id, Profile { persona, strength });
    }
    Ok(profiles)
}

fn trait_column(persona: Persona) -> Option<&'static str> {
    Some(match persona {
        Persona::PriceSensitive => "trait_price_sensitivity",
        Persona::InfoSeeker => "trait_info_seeking",
        Persona::ConvenienceSeeker => "trait_convenience",
        Persona::TrustSeeker => "trait_trust_concern",
        Persona::SociallyInfluenced => "trait_social_influence",
        Persona::NoveltySeeker => "trait_novelty_seeking",
        Persona::Balanced => return None,
    })
}

/// Re-ranking and filter settings.
#[derive(Clone, Debug)]
pub struct RerankConfig {
    /// At most this many items of one category in a list.
    pub max_per_category: usize,
    /// Score added for a perfect persona match (candidates' scores are scaled to [0, 1]).
    pub persona_boost: f32,
    /// How many of the blend's best items are re-ranked.
    pub candidates: usize,
    /// An item already bought stays eligible when at least this share of its buyers bought it
    /// again (a reordered consumable). 0 keeps every bought item; above 1 drops them all.
    pub rebuy_share: f32,
    /// Items never to recommend (by compact id).
    pub excluded: HashSet<u32>,
    pub out_of_stock: HashSet<u32>,
}

impl Default for RerankConfig {
    fn default() -> Self {
        RerankConfig {
            max_per_category: 4,
            persona_boost: 0.5,
            candidates: 60,
            rebuy_share: 0.2,
            excluded: HashSet::default(),
            out_of_stock: HashSet::default(),
        }
    }
}

/// Why an item is on a customer's list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reason {
    /// The customer buys it again and again.
    Reorder,
    /// Customers who bought item X (in this customer's history) also bought it.
    BoughtWith(u32),
    PopularInFavouriteCategory(u32),
    Popular,
    /// Trending: bought by many customers recently.
    Trending,
    /// Discounted now, by this share of the list price.
    Discount(f64),
    NewArrival,
    NewCategory(u32),
    WellRated(f64),
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::Reorder => "reorder",
            Reason::BoughtWith(_) => "bought_with",
            Reason::PopularInFavouriteCategory(_) => "popular_in_favourite_category",
            Reason::Popular => "popular",
            Reason::Trending => "trending",
            Reason::Discount(_) => "discount",
            Reason::NewArrival => "new_arrival",
            Reason::NewCategory(_) => "new_category",
            Reason::WellRated(_) => "well_rated",
        }
    }

    /// The reason in Chinese and English.
    pub fn text(self, catalog: &crate::Catalog) -> Text {
        let category = |c: u32| catalog.category_names[c as usize].as_str().to_string();
        match self {
            Reason::Reorder => Text::new("您经常回购的商品", "you buy this regularly"),
            Reason::BoughtWith(x) => Text::new(format!("买过「{}」的顾客也买了", catalog.label(x)), format!("bought with {}", catalog.label(x))),
            Reason::PopularInFavouriteCategory(c) => {
                Text::new(format!("您最常买的品类（{}）中的热销品", category(c)), format!("popular in your favourite category ({})", category(c)))
            }
            Reason::Popular => Text::new("热销商品", "a bestseller"),
            Reason::Trending => Text::new("近期热门：最近很多顾客购买", "trending: many customers bought it recently"),
            Reason::Discount(d) => Text::new(format!("现在优惠 {:.0}%", d * 100.0), format!("{:.0} % off now", d * 100.0)),
            Reason::NewArrival => Text::new("新品上架", "new arrival"),
            Reason::NewCategory(c) => Text::new(format!("为您推荐新品类：{}", category(c)), format!("something new for you: {}", category(c))),
            Reason::WellRated(r) => Text::new(format!("好评商品（{r:.1}★）"), format!("well rated ({r:.1}★)")),
        }
    }
}

/// One recommended item.
#[derive(Clone, Debug, PartialEq)]
pub struct Recommendation {
    pub item: u32,
    /// The blend's score scaled to the customer's best candidate, plus the persona boost.
    pub score: f32,
    pub reason: Reason,
}

/// The persona's feature of an item in [0, 1] and the reason it gives, if any.
fn persona_match(rec: &Recommender, persona: Persona, item: u32, bought_categories: &[u32], max_recent: f32) -> Option<(f32, Reason)> {
    let catalog = &rec.data.catalog;
    let i = item as usize;
    match persona {
        Persona::PriceSensitive => {
            let d = catalog.discount(item).filter(|&d| d >= 0.05)?;
            Some(((d / 0.3).min(1.0) as f32, Reason::Discount(d)))
        }
        Persona::NoveltySeeker => {
            if rec.data.is_new_arrival(item) {
                return Some((1.0, Reason::NewArrival));
            }
            let c = catalog.category[i]?;
            (!bought_categories.contains(&c)).then_some((0.6, Reason::NewCategory(c)))
        }
        Persona::InfoSeeker => {
            let r = catalog.rating[i].filter(|&r| r >= 4.0)?;
            Some((((r - 3.5) / 1.5).min(1.0) as f32, Reason::WellRated(r)))
        }
        Persona::SociallyInfluenced => {
            let recent = catalog.recent_buyers[i] as f32;
            (recent > 0.0 && max_recent > 0.0).then(|| ((recent / max_recent).sqrt(), Reason::Trending))
        }
        Persona::ConvenienceSeeker | Persona::TrustSeeker | Persona::Balanced => None,
    }
}

/// The top `n` items for a customer (None or unknown: a cold-start visitor), re-ranked for
/// their profile, filtered and diversified, each with a reason.
pub fn recommend(rec: &Recommender, customer: Option<u32>, profile: Option<&Profile>, config: &RerankConfig, n: usize, scratch: &mut Scratch) -> Vec<Recommendation> {
    let data = rec.data;
    let catalog = &data.catalog;
    let history = customer.map(|u| data.orders.row(u)).unwrap_or((&[], &[]));
    let cold = history.0.is_empty();
    let mut candidates = rec.top(Model::Blend, customer, config.candidates.max(n), scratch);
    let parts = (!cold).then_some(&scratch.parts);
    // Trending items widen the pool so filters and the category cap can still fill the list.
    let mut trending: Vec<(u32, f32)> = rec.trending.iter().enumerate().map(|(i, &s)| (i as u32, s)).collect();
    crate::csr::top_k(&mut trending, config.candidates.max(n) * 2);
    for (i, _) in trending {
        if !candidates.iter().any(|&(j, _)| j == i) {
            candidates.push((i, 0.0));
        }
    }
    let best = candidates.iter().map(|&(_, s)| s).fold(0.0, f32::max);
    let mut bought_categories: Vec<u32> = history.0.iter().filter_map(|&i| catalog.category[i as usize]).collect();
    let favourite = most_common(&bought_categories);
    bought_categories.sort_unstable();
    bought_categories.dedup();
    let max_recent = catalog.recent_buyers.iter().copied().max().unwrap_or(0) as f32;
    let persona = profile.map(|p| (p.persona, p.strength.unwrap_or(1.0) as f32));
    let mut scored: Vec<(u32, f32, Option<Reason>)> = candidates
        .into_iter()
        .filter(|&(i, _)| !config.excluded.contains(&i) && !config.out_of_stock.contains(&i))
        .filter(|&(i, _)| history.0.binary_search(&i).is_err() || catalog.repeat_share[i as usize] >= config.rebuy_share)
        .map(|(i, s)| {
            let base = if best > 0.0 { s / best } else { 0.0 };
            match persona.and_then(|(p, strength)| persona_match(rec, p, i, &bought_categories, max_recent).map(|m| (m, strength))) {
                Some(((feature, reason), strength)) => (i, base + config.persona_boost * strength * feature, Some(reason)),
                None => (i, base, None),
            }
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut per_category: HashMap<u32, usize> = HashMap::new();
    let mut out = Vec::with_capacity(n);
    for (item, score, persona_reason) in scored {
        if out.len() == n {
            break;
        }
        if let Some(c) = catalog.category[item as usize] {
            let count = per_category.entry(c).or_default();
            if *count >= config.max_per_category {
                continue;
            }
            *count += 1;
        }
        let reason = persona_reason.unwrap_or_else(|| base_reason(rec, item, history, parts, favourite));
        out.push(Recommendation { item, score, reason });
    }
    out
}

/// The blend part that contributed most to an item's score.
fn base_reason(rec: &Recommender, item: u32, history: (&[u32], &[f32]), parts: Option<&[Vec<f32>; 4]>, favourite: Option<u32>) -> Reason {
    let catalog = &rec.data.catalog;
    let popular = || match (favourite, catalog.category[item as usize]) {
        (Some(f), Some(c)) if f == c => Reason::PopularInFavouriteCategory(c),
        _ => Reason::Popular,
    };
    let Some(parts) = parts else { return Reason::Trending };
    let w = rec.weights;
    let i = item as usize;
    let reorder = w.reorder * parts[0][i];
    let together = w.item_knn * parts[1][i] + w.ease * parts[2][i];
    let popularity = w.popularity * parts[3][i];
    if reorder > 0.0 && reorder >= together && reorder >= popularity {
        return Reason::Reorder;
    }
    // The history item whose neighbourhood gives this item the most weight.
    let bought_with = history
        .0
        .iter()
        .zip(history.1)
        .filter(|&(&j, _)| j != item)
        .filter_map(|(&j, &x)| {
            let (items, sims) = rec.bm25.neighbours.row(j);
            items.binary_search(&item).ok().map(|k| (j, x * sims[k]))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    match bought_with {
        Some((j, _)) if together >= popularity => Reason::BoughtWith(j),
        _ => popular(),
    }
}

fn most_common(values: &[u32]) -> Option<u32> {
    let mut counts: HashMap<u32, usize> = HashMap::new();
    for &v in values {
        *counts.entry(v).or_default() += 1;
    }
    counts.into_iter().max_by_key(|&(v, c)| (c, std::cmp::Reverse(v))).map(|(v, _)| v)
}
