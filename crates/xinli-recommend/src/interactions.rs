//! Customer × item interactions from canonical orders and events, as of a cut: distinct orders
//! per (customer, item), and a weighted, time-decayed matrix of views, carts and purchases.
//! Identifiers become compact `u32` indices once, here.

use crate::csr::Csr;
use foldhash::{HashMap, HashMapExt};
use xinli_core::{Category, CustomerId, EventType, OrderStatus, ProductId, Shop, Subject, Timestamp};

const DAY: f64 = 86_400.0;

/// How interactions are weighted.
#[derive(Clone, Debug)]
pub struct InteractionConfig {
    /// Weight of one `product_view` event.
    pub view_weight: f32,
    /// Weight of one `add_to_cart` or `wishlist` event.
    pub cart_weight: f32,
    /// Weight of one order containing the item.
    pub purchase_weight: f32,
    /// An interaction this many days before the cut counts half.
    pub half_life_days: f64,
    /// The recent window of "trending" and of the current price.
    pub recent_days: i64,
    /// An item first seen (launched or first sold) within this many days is a new arrival.
    pub new_arrival_days: i64,
}

impl Default for InteractionConfig {
    fn default() -> Self {
        InteractionConfig {
            view_weight: 0.1,
            cart_weight: 0.3,
            purchase_weight: 1.0,
            half_life_days: 120.0,
            recent_days: 30,
            new_arrival_days: 60,
        }
    }
}

/// What is known about each item (indexed by the compact item id).
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub ids: Vec<ProductId>,
    /// A readable name: the product's `description` column when the shop has one.
    pub names: Vec<Option<String>>,
    pub category: Vec<Option<u32>>,
    pub category_names: Vec<Category>,
    pub list_price: Vec<Option<f64>>,
    /// Mean unit price paid in the recent window (completed lines).
    pub recent_price: Vec<Option<f64>>,
    /// Launch date, else first sale or view.
    pub first_seen: Vec<Option<Timestamp>>,
    /// Products' `avg_rating`, else the mean review rating.
    pub rating: Vec<Option<f64>>,
    /// Distinct buyers in the recent window.
    pub recent_buyers: Vec<u32>,
    /// Share of the item's buyers who bought it in two or more orders.
    pub repeat_share: Vec<f32>,
}

impl Catalog {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Current discount as a share of the list price (0.2 = 20 % off), when both are known.
    pub fn discount(&self, item: u32) -> Option<f64> {
        let (list, paid) = (self.list_price[item as usize]?, self.recent_price[item as usize]?);
        (list > 0.0).then(|| ((list - paid) / list).max(0.0))
    }

    pub fn label(&self, item: u32) -> &str {
        self.names[item as usize].as_deref().unwrap_or(self.ids[item as usize].as_str())
    }
}

/// The interactions before a cut.
#[derive(Clone, Debug)]
pub struct Interactions {
    /// Only what happened strictly before this instant is counted.
    pub as_of: Timestamp,
    pub customers: Vec<CustomerId>,
    pub customer_index: HashMap<CustomerId, u32>,
    pub item_index: HashMap<ProductId, u32>,
    pub catalog: Catalog,
    /// Distinct completed orders per (customer, item).
    pub orders: Csr,
    /// Σ weight × 0.5^(age / half-life) over views, carts and orders.
    pub decayed: Csr,
    pub config: InteractionConfig,
}

/// Interns identifiers into dense `u32` indices.
struct Interner<K> {
    index: HashMap<K, u32>,
    keys: Vec<K>,
}

impl<K: std::hash::Hash + Eq + Clone> Interner<K> {
    fn new() -> Self {
        Interner { index: HashMap::new(), keys: Vec::new() }
    }
    fn get(&mut self, key: &K) -> u32 {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.index.insert(key.clone(), i);
        self.keys.push(key.clone());
        i
    }
}

impl Interactions {
    /// Everything in `shop` strictly before `as_of` (the whole shop when `as_of` is after it).
    pub fn build(shop: &Shop, as_of: Timestamp, config: &InteractionConfig) -> Interactions {
        let mut customers = Interner::<CustomerId>::new();
        let mut items = Interner::<ProductId>::new();
        let mut categories = Interner::<Category>::new();
        let mut item_category: HashMap<u32, u32> = HashMap::new();
        let mut first_seen: HashMap<u32, Timestamp> = HashMap::new();
        let mut launched: HashMap<u32, Timestamp> = HashMap::new();
        let mut list_price: HashMap<u32, f64> = HashMap::new();
        let mut rating: HashMap<u32, f64> = HashMap::new();
        let mut names: HashMap<u32, String> = HashMap::new();
        let before = |t: Timestamp| t < as_of;
        let decay = |t: Timestamp| -> f32 {
            let age_days = (as_of.unix_seconds() - t.unix_seconds()) as f64 / DAY;
            0.5f64.powf(age_days.max(0.0) / config.half_life_days) as f32
        };
        let recent_from = as_of.add_days(-config.recent_days);

        for p in &shop.products {
            let i = items.get(&p.product_id);
            if let Some(c) = &p.category {
                item_category.insert(i, categories.get(c));
            }
            if let Some(lp) = p.list_price {
                list_price.insert(i, lp.get());
            }
            if let Some(t) = p.launched_at {
                launched.insert(i, t);
            }
            if let Some(r) = p.avg_rating {
                rating.insert(i, r);
            }
            if let Some((_, d)) = p.extra.iter().find(|(k, v)| k.eq_ignore_ascii_case("description") && !v.trim().is_empty()) {
                names.insert(i, d.trim().to_string());
            }
        }

        let mut order_keys = Interner::<(u32, &str)>::new();
        let mut purchases: Vec<(u32, u32, u32, Timestamp)> = Vec::new();
        let mut recent_paid: HashMap<u32, (f64, u32)> = HashMap::new();
        for line in &shop.orders {
            let Some(product) = &line.product_id else { continue };
            if line.status != OrderStatus::Completed || !before(line.ordered_at) {
                continue;
            }
            let u = customers.get(&line.customer_id);
            let i = items.get(product);
            if let Some(c) = &line.category {
                let c = categories.get(c);
                item_category.entry(i).or_insert(c);
            }
            if let Some(lp) = line.list_price {
                list_price.entry(i).or_insert(lp.get());
            }
            let seen = first_seen.entry(i).or_insert(line.ordered_at);
            *seen = (*seen).min(line.ordered_at);
            if line.ordered_at >= recent_from {
                let e = recent_paid.entry(i).or_insert((0.0, 0));
                e.0 += line.unit_price.get();
                e.1 += 1;
            }
            let order = order_keys.get(&(u, line.order_id.as_str()));
            purchases.push((u, i, order, line.ordered_at));
        }
        // One entry per (customer, item, order): an order listing an item twice is one purchase.
        purchases.sort_unstable_by_key(|&(u, i, o, _)| (u, i, o));
        purchases.dedup_by_key(|&mut (u, i, o, _)| (u, i, o));

        let mut decayed: Vec<(u32, u32, f32)> = Vec::with_capacity(purchases.len());
        let mut order_counts: Vec<(u32, u32, f32)> = Vec::with_capacity(purchases.len());
        let mut recent_buyers: HashMap<u32, u32> = HashMap::new();
        let mut last_recent: Option<(u32, u32)> = None;
        for &(u, i, _, t) in &purchases {
            order_counts.push((u, i, 1.0));
            decayed.push((u, i, config.purchase_weight * decay(t)));
            if t >= recent_from && last_recent != Some((u, i)) {
                *recent_buyers.entry(i).or_default() += 1;
                last_recent = Some((u, i));
            }
        }
        for e in &shop.events {
            let (Subject::Customer(customer), Some(product)) = (&e.subject, &e.product_id) else { continue };
            let weight = match e.event_type {
                EventType::ProductView => config.view_weight,
                EventType::AddToCart | EventType::Wishlist => config.cart_weight,
                _ => continue,
            };
            if !before(e.ts) || weight <= 0.0 {
                continue;
            }
            let u = customers.get(customer);
            let i = items.get(product);
            if let Some(c) = &e.category {
                let c = categories.get(c);
                item_category.entry(i).or_insert(c);
            }
            let seen = first_seen.entry(i).or_insert(e.ts);
            *seen = (*seen).min(e.ts);
            decayed.push((u, i, weight * decay(e.ts)));
        }
        let mut review_sums: HashMap<u32, (f64, u32)> = HashMap::new();
        for r in &shop.reviews {
            let (Some(product), Some(stars)) = (&r.product_id, r.rating) else { continue };
            if !before(r.ts) {
                continue;
            }
            if let Some(&i) = items.index.get(product) {
                let e = review_sums.entry(i).or_insert((0.0, 0));
                e.0 += f64::from(stars);
                e.1 += 1;
            }
        }

        let (n_users, n_items) = (customers.keys.len() as u32, items.keys.len() as u32);
        let orders = Csr::from_triplets(n_users, n_items, order_counts);
        let decayed = Csr::from_triplets(n_users, n_items, decayed);
        let mut buyers = vec![0u32; n_items as usize];
        let mut repeat_buyers = vec![0u32; n_items as usize];
        for (&i, &count) in orders.indices.iter().zip(&orders.values) {
            buyers[i as usize] += 1;
            repeat_buyers[i as usize] += u32::from(count >= 2.0);
        }
        let n = n_items as usize;
        let per_item = |f: &dyn Fn(u32) -> Option<f64>| (0..n as u32).map(f).collect::<Vec<_>>();
        let catalog = Catalog {
            names: (0..n as u32).map(|i| names.remove(&i)).collect(),
            category: (0..n as u32).map(|i| item_category.get(&i).copied()).collect(),
            category_names: categories.keys,
            list_price: per_item(&|i| list_price.get(&i).copied()),
            recent_price: per_item(&|i| recent_paid.get(&i).map(|&(sum, k)| sum / f64::from(k))),
            first_seen: (0..n as u32).map(|i| launched.get(&i).or(first_seen.get(&i)).copied()).collect(),
            rating: per_item(&|i| {
                rating.get(&i).copied().or_else(|| review_sums.get(&i).map(|&(s, k)| s / f64::from(k)))
            }),
            recent_buyers: (0..n as u32).map(|i| recent_buyers.get(&i).copied().unwrap_or(0)).collect(),
            repeat_share: buyers
                .iter()
                .zip(&repeat_buyers)
                .map(|(&b, &r)| if b == 0 { 0.0 } else { r as f32 / b as f32 })
                .collect(),
            ids: items.keys,
        };
        Interactions {
            as_of,
            customers: customers.keys,
            customer_index: customers.index,
            item_index: items.index,
            catalog,
            orders,
            decayed,
            config: config.clone(),
        }
    }

    pub fn customer(&self, id: &CustomerId) -> Option<u32> {
        self.customer_index.get(id).copied()
    }

    pub fn item(&self, id: &ProductId) -> Option<u32> {
        self.item_index.get(id).copied()
    }

    /// Whether the item was first seen within the new-arrival window before the cut.
    pub fn is_new_arrival(&self, item: u32) -> bool {
        self.catalog.first_seen[item as usize]
            .is_some_and(|t| t >= self.as_of.add_days(-self.config.new_arrival_days) && t < self.as_of)
    }

    /// Items with at least one interaction (the denominator of catalogue coverage).
    pub fn active_items(&self) -> usize {
        self.decayed.column_counts().iter().filter(|&&c| c > 0).count()
    }
}
