//! The generator behind [`simulate`](crate::simulate); the story is documented in the crate docs.

use crate::rng::Rng;
use crate::{CustomerTruth, SimConfig, SimulatedShop, TraitVector, PERSONAS};
use xinli_core::{
    Category, Customer, CustomerId, Event, EventType, Gender, Language, Money, OrderId, OrderLine, OrderStatus,
    Product, ProductId, Quantity, Review, ReviewId, Shop, Subject,
};

const DAY: i64 = 86_400;
const PROMO_CYCLE_DAYS: i64 = 28;
const NEW_ARRIVAL_DAYS: i64 = 60;
const CANDIDATES: usize = 8;

const CATEGORY_NAMES: [&str; 16] = [
    "apparel", "skincare", "tea", "snacks", "electronics", "phone_accessories", "home", "kitchen", "shoes",
    "beauty", "toys", "books", "sports", "outdoor", "pet", "baby",
];
const CITIES: [(&str, &str); 8] = [
    ("Shanghai", "Shanghai"),
    ("Beijing", "Beijing"),
    ("Guangzhou", "Guangdong"),
    ("Shenzhen", "Guangdong"),
    ("Hangzhou", "Zhejiang"),
    ("Chengdu", "Sichuan"),
    ("Wuhan", "Hubei"),
    ("Nanjing", "Jiangsu"),
];
const COUPONS: [(&str, f64); 4] = [("NEW10", 0.10), ("SAVE15", 0.15), ("VIP20", 0.20), ("FLASH5", 0.05)];

// Trait indices (TRAITS order).
const P: usize = 0;
const I: usize = 1;
const C: usize = 2;
const S: usize = 3;
const O: usize = 4;
const N: usize = 5;

// Behaviours with a per-customer nuisance factor.
const VIA_SHARE: usize = 0;
const VIA_REFERRAL: usize = 1;
const VIA_SEARCH: usize = 2;
const VIA_CAMPAIGN: usize = 3;
const VIA_DIRECT: usize = 4;
const APP: usize = 5;
const TRUST_PAGES: usize = 6;
const PROMO_PAGE: usize = 7;
const COUPON_CLAIM: usize = 8;
const NEW_PAGE: usize = 9;
const BEST_PAGE: usize = 10;
const REORDER: usize = 11;
const SEARCH: usize = 12;
const VIEWS: usize = 13;
const EXPLORE: usize = 14;
const REVIEW_READ: usize = 15;
const SHARE_VIEW: usize = 16;
const WISHLIST: usize = 17;
const COMPARE: usize = 18;
const SUPPORT: usize = 19;
const SKIP_CART: usize = 20;
const COD: usize = 21;
const ABANDON: usize = 22;
const COUPON_USE: usize = 23;
const SHARE_BUY: usize = 24;
const REFERRAL: usize = 25;
const RETURN: usize = 26;
const REVIEW_WRITE: usize = 27;
const GAP: usize = 28;
const BEHAVIOURS: usize = 29;

struct Promo {
    phase: i64,
    length: i64,
    discount: f64,
}

struct Item {
    id: ProductId,
    category: usize,
    list_price: f64,
    rating: f64,
    pop_z: f64,
    /// ln(category base price / list price): cheapness within the category.
    cheapness: f64,
    launched: i64,
    promo: Option<Promo>,
}

struct Catalog {
    start: i64,
    items: Vec<Item>,
    categories: Vec<Category>,
    by_cat: Vec<Vec<usize>>,
    cum_pop: Vec<Vec<f64>>,
}

impl Catalog {
    fn build(config: &SimConfig) -> (Catalog, Vec<Product>) {
        let mut r = Rng::stream(config.seed, u64::MAX, 0);
        let start = config.start.unix_seconds();
        let n = config.products.max(1);
        // Every category holds at least one product.
        let n_cat = config.categories.clamp(1, n);
        let categories: Vec<Category> = (0..n_cat)
            .map(|k| {
                let base = CATEGORY_NAMES[k % CATEGORY_NAMES.len()];
                let name = if k < CATEGORY_NAMES.len() { base.to_string() } else { format!("{base}_{}", k / CATEGORY_NAMES.len()) };
                Category::parse(&name).expect("category names are valid")
            })
            .collect();
        let cat_price: Vec<f64> = (0..n_cat).map(|_| 80.0 * (0.8 * r.normal()).exp()).collect();
        // Zipf popularity over a random order.
        let mut order: Vec<usize> = (0..n).collect();
        for k in (1..n).rev() {
            order.swap(k, r.below(k + 1));
        }
        let mut log_pop = vec![0.0; n];
        for (rank, &p) in order.iter().enumerate() {
            log_pop[p] = -0.8 * ((rank + 1) as f64).ln();
        }
        let mean = log_pop.iter().sum::<f64>() / n as f64;
        let sd = (log_pop.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt().max(1e-9);
        let width = digits(n);
        let brands = (n / 10).max(3);
        let mut items = Vec::with_capacity(n);
        let mut products = Vec::with_capacity(n);
        #[allow(clippy::needless_range_loop)]
        for k in 0..n {
            let category = if k < n_cat { k } else { r.below(n_cat) };
            let list_price = ((cat_price[category] * (0.4 * r.normal()).exp()).round() - 0.1).max(1.9);
            let list_price = (list_price * 100.0).round() / 100.0;
            let rating = ((2.5 + 2.5 * r.beta(4.0, 2.0)) * 10.0).round() / 10.0;
            let launched = if r.chance(0.3) {
                start + (r.uniform(0.0, config.days as f64 * 0.9) * DAY as f64) as i64
            } else {
                start - (r.uniform(30.0, 900.0) * DAY as f64) as i64
            };
            let launched = launched - launched.rem_euclid(DAY);
            let promo = r.chance(0.6).then(|| Promo {
                phase: r.below(PROMO_CYCLE_DAYS as usize) as i64,
                length: 5 + r.below(5) as i64,
                discount: 0.05 * (2 + r.below(7)) as f64,
            });
            let id = ProductId::parse(&format!("p{:0width$}", k + 1)).expect("valid id");
            let brand = format!("brand{:02}", r.below(brands) + 1);
            products.push(Product {
                product_id: id.clone(),
                category: Some(categories[category].clone()),
                list_price: Some(Money::new(list_price).expect("positive price")),
                launched_at: Some(xinli_core::Timestamp::from_unix_seconds(launched)),
                brand: Some(brand),
                avg_rating: Some(rating),
                extra: Vec::new(),
            });
            let cheapness = (cat_price[category] / list_price).ln();
            items.push(Item { id, category, list_price, rating, pop_z: (log_pop[k] - mean) / sd, cheapness, launched, promo });
        }
        let mut by_cat = vec![Vec::new(); n_cat];
        for (k, item) in items.iter().enumerate() {
            by_cat[item.category].push(k);
        }
        let cum_pop = by_cat
            .iter()
            .map(|list| {
                let mut acc = 0.0;
                list.iter()
                    .map(|&k| {
                        acc += log_pop[k].exp();
                        acc
                    })
                    .collect()
            })
            .collect();
        (Catalog { start, items, categories, by_cat, cum_pop }, products)
    }

    fn discount(&self, k: usize, ts: i64) -> f64 {
        match &self.items[k].promo {
            Some(p) => {
                let day = (ts - self.start).div_euclid(DAY);
                if (day + p.phase).rem_euclid(PROMO_CYCLE_DAYS) < p.length {
                    p.discount
                } else {
                    0.0
                }
            }
            None => 0.0,
        }
    }

    fn price(&self, k: usize, ts: i64) -> f64 {
        round2(self.items[k].list_price * (1.0 - self.discount(k, ts)))
    }

    fn is_new(&self, k: usize, ts: i64) -> bool {
        let l = self.items[k].launched;
        ts >= l && ts - l < NEW_ARRIVAL_DAYS * DAY
    }

    /// A product of category `cat` drawn by popularity.
    fn popular(&self, cat: usize, r: &mut Rng) -> usize {
        let cum = &self.cum_pop[cat];
        let x = r.f64() * cum[cum.len() - 1];
        let pos = cum.partition_point(|&c| c <= x).min(cum.len() - 1);
        self.by_cat[cat][pos]
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn digits(n: usize) -> usize {
    n.max(1).to_string().len()
}

fn prob(base: f64, slope: f64, trait_value: f64, nuisance: f64) -> f64 {
    ((base + slope * trait_value) * nuisance).clamp(0.0, 0.97)
}

/// Post-purchase steps carried to the customer's next session.
enum Pending {
    Return { order_id: String, product: usize, lines: std::ops::Range<usize> },
    Review { product: usize },
}

struct Gen<'a> {
    cat: &'a Catalog,
    r: Rng,
    id: CustomerId,
    t: [f64; 6],
    nu: [f64; BEHAVIOURS],
    fav: [usize; 2],
    pay: [f64; 3],
    bought: Vec<usize>,
    coupon: Option<usize>,
    pending: Vec<Pending>,
    orders_made: u32,
    reviews_made: u32,
    // Current session.
    sid: String,
    now: i64,
    gap_mean: f64,
    events: &'a mut Vec<Event>,
    orders: &'a mut Vec<OrderLine>,
    reviews: &'a mut Vec<Review>,
}

impl Gen<'_> {
    fn p(&self, base: f64, slope: f64, tr: usize, b: usize) -> f64 {
        prob(base, slope, self.t[tr], self.nu[b])
    }

    fn chance(&mut self, base: f64, slope: f64, tr: usize, b: usize) -> bool {
        let p = self.p(base, slope, tr, b);
        self.r.chance(p)
    }

    fn tick(&mut self) {
        self.now += 3 + self.r.exponential(self.gap_mean) as i64;
    }

    fn emit(&mut self, ty: EventType, product: Option<usize>, query: Option<String>, value: Option<f64>, props: Option<String>) {
        self.tick();
        let (product_id, category) = match product {
            Some(k) => {
                let item = &self.cat.items[k];
                (Some(item.id.clone()), Some(self.cat.categories[item.category].clone()))
            }
            None => (None, None),
        };
        self.events.push(Event {
            ts: xinli_core::Timestamp::from_unix_seconds(self.now),
            subject: Subject::Customer(self.id.clone()),
            session_id: Some(self.sid.clone()),
            event_type: ty,
            product_id,
            category,
            query,
            value,
            properties: props,
            extra: Vec::new(),
        });
    }

    fn page(&mut self, page: &str, product: Option<usize>) {
        self.emit(EventType::PageView, product, None, None, Some(format!(r#"{{"page":"{page}"}}"#)));
    }

    /// How much this customer likes product `k` now (0 if not launched yet).
    fn appeal(&self, k: usize) -> f64 {
        let item = &self.cat.items[k];
        if self.now < item.launched {
            return 0.0;
        }
        let t = &self.t;
        // exp(2.2o·popularity z) · (base / price)^(1.5p) · exp(2.5s·(rating − 4.2))
        let mut w = (2.2 * t[O] * item.pop_z + 1.5 * t[P] * item.cheapness + 2.5 * t[S] * (item.rating - 4.2)).exp();
        let d = self.cat.discount(k, self.now);
        if d > 0.0 {
            w *= 1.0 + 10.0 * t[P] * d / 0.25;
        }
        if self.cat.is_new(k, self.now) {
            w *= 1.0 + 20.0 * t[N] * t[N];
        }
        if self.bought.contains(&k) {
            w *= 1.0 - 0.9 * t[N];
        }
        w
    }

    fn choose_product(&mut self, cat: usize) -> Option<usize> {
        let mut cands = [0usize; CANDIDATES];
        let mut weights = [0.0; CANDIDATES];
        let list = &self.cat.by_cat[cat];
        for j in 0..CANDIDATES {
            // Half the shelf is what sells, half is whatever the listing shows.
            cands[j] = if j % 2 == 0 { self.cat.popular(cat, &mut self.r) } else { list[self.r.below(list.len())] };
            weights[j] = self.appeal(cands[j]);
        }
        if weights.iter().all(|&w| w <= 0.0) {
            return None;
        }
        Some(cands[self.r.weighted(&weights)])
    }

    fn session(&mut self, k: u32, start: i64) {
        self.sid = format!("{}-s{:03}", self.id, k + 1);
        self.now = start;
        let t = self.t;
        self.gap_mean = (15.0 + 50.0 * (1.0 - t[C]) + 20.0 * t[I]) * self.nu[GAP];

        // Arrival.
        let device = if self.chance(0.15, 0.7, C, APP) {
            if self.r.chance(0.6) { "app" } else { "mini_program" }
        } else {
            "web"
        };
        let via_weights = [
            prob(0.03, 0.6, t[O], self.nu[VIA_SHARE]),
            prob(0.02, 0.25, t[O], self.nu[VIA_REFERRAL]),
            prob(0.25, 0.35, t[I], self.nu[VIA_SEARCH]),
            0.25,
            prob(0.08, 0.35, t[P], self.nu[VIA_CAMPAIGN]),
            prob(0.3, 0.4, t[C], self.nu[VIA_DIRECT]),
        ];
        let via = ["share", "referral", "search", "recommendation", "campaign", "direct"][self.r.weighted(&via_weights)];
        let mut shared = None;
        let landing = match via {
            "search" => "search_results",
            "campaign" => "promotions",
            "referral" => "invite",
            "share" => {
                let c = self.r.below(self.cat.categories.len());
                let k = self.cat.popular(c, &mut self.r);
                if self.now >= self.cat.items[k].launched {
                    shared = Some(k);
                    "product"
                } else {
                    "home"
                }
            }
            _ => "home",
        };
        self.emit(
            EventType::PageView,
            shared,
            None,
            None,
            Some(format!(r#"{{"page":"{landing}","via":"{via}","channel":"{device}"}}"#)),
        );

        // Post-purchase steps of the previous purchase(s): returns and reviews.
        for pending in std::mem::take(&mut self.pending) {
            match pending {
                Pending::Return { order_id, product, lines } => {
                    if self.r.chance(0.8) {
                        self.page("return_policy", None);
                    }
                    self.emit(
                        EventType::ReturnRequest,
                        Some(product),
                        None,
                        None,
                        Some(format!(r#"{{"order_id":"{order_id}"}}"#)),
                    );
                    for line in &mut self.orders[lines] {
                        line.status = OrderStatus::Returned;
                    }
                }
                Pending::Review { product } => {
                    self.page("write_review", Some(product));
                    self.write_review(product);
                }
            }
        }

        if self.r.chance(0.35) {
            let method = ["password", "sms", "wechat"][self.r.below(3)];
            self.emit(EventType::Login, None, None, None, Some(format!(r#"{{"method":"{method}"}}"#)));
        }

        // Reassurance pages.
        let mut reassured = 0;
        while reassured < 4 && self.chance(0.03, 0.5, S, TRUST_PAGES) {
            let page = ["return_policy", "security", "faq", "shipping", "privacy", "about_us"][self.r.below(6)];
            self.page(page, None);
            reassured += 1;
        }
        if self.r.chance(0.06) {
            let page = ["faq", "shipping"][self.r.below(2)];
            self.page(page, None);
        }

        // Deals and discovery pages.
        if self.chance(0.05, 0.45, P, PROMO_PAGE) {
            self.page("promotions", None);
        }
        if self.chance(0.03, 0.45, P, COUPON_CLAIM) {
            let c = self.r.below(COUPONS.len());
            self.coupon = Some(c);
            self.emit(EventType::CouponClaim, None, None, None, Some(format!(r#"{{"coupon":"{}"}}"#, COUPONS[c].0)));
        }
        let mut new_pick = None;
        if self.chance(0.03, 0.5, N, NEW_PAGE) {
            self.page("new_arrivals", None);
            // The page lists recent launches: one of them catches the eye.
            let c = self.r.below(self.cat.categories.len());
            let k = self.cat.by_cat[c][self.r.below(self.cat.by_cat[c].len())];
            if self.cat.is_new(k, self.now) {
                new_pick = Some(k);
            }
        }
        if self.chance(0.03, 0.35, O, BEST_PAGE) {
            self.page("bestsellers", None);
        }

        // Convenience: reorder a past product in a few steps.
        if !self.bought.is_empty() && self.chance(0.03, 0.55, C, REORDER) {
            let k = self.bought[self.r.below(self.bought.len())];
            if self.r.chance(0.7) {
                self.page("order_history", None);
            }
            if self.r.chance(0.5) {
                let price = self.cat.price(k, self.now);
                self.emit(EventType::ProductView, Some(k), None, Some(price), None);
            }
            self.checkout(&[k], device, true);
            self.after_session_extras();
            return;
        }

        // Need and search.
        let focal = if self.chance(0.1, 0.8, N, EXPLORE) {
            self.r.below(self.cat.categories.len())
        } else {
            self.fav[self.r.below(2)]
        };
        let searches = self.r.poisson((0.2 + 2.0 * t[I]) * self.nu[SEARCH]);
        for _ in 0..searches {
            let mut q = self.cat.categories[focal].to_string();
            if self.r.chance(0.05 + 0.4 * t[P]) {
                q.push_str(" 优惠");
            }
            if self.r.chance(0.05 + 0.4 * t[N]) {
                q.push_str(" 新款");
            }
            if self.r.chance(0.03 + 0.3 * t[S]) {
                q.push_str(" 正品");
            }
            self.emit(EventType::Search, None, Some(q), None, None);
        }

        // Browse and evaluate.
        let mut viewed: Vec<(usize, f64)> = Vec::new();
        for k in shared.into_iter().chain(new_pick) {
            let w = self.appeal(k);
            let price = self.cat.price(k, self.now);
            self.emit(EventType::ProductView, Some(k), None, Some(price), None);
            viewed.push((k, w));
        }
        let views = 1 + self.r.poisson((0.6 + 5.0 * t[I]) * (1.0 - 0.5 * t[C]) * self.nu[VIEWS]);
        for _ in 0..views {
            let Some(k) = self.choose_product(focal) else { continue };
            let price = self.cat.price(k, self.now);
            self.emit(EventType::ProductView, Some(k), None, Some(price), None);
            viewed.push((k, self.appeal(k)));
            if self.r.chance(prob(0.04, 0.6, t[I], self.nu[REVIEW_READ]) + 0.1 * t[S]) {
                self.emit(EventType::ReviewRead, Some(k), None, None, None);
            }
            if self.chance(0.01, 0.12, O, SHARE_VIEW) {
                self.share(k, None);
            }
            if self.r.chance(prob(0.03, 0.1, t[N], self.nu[WISHLIST]) + 0.05 * t[P]) {
                self.emit(EventType::Wishlist, Some(k), None, None, None);
            }
        }
        if viewed.len() >= 2 && self.chance(0.05, 0.7, I, COMPARE) {
            let a = viewed[viewed.len() - 2].0;
            let b = viewed[viewed.len() - 1].0;
            let props = format!(r#"{{"products":["{}","{}"]}}"#, self.cat.items[a].id, self.cat.items[b].id);
            self.emit(EventType::Compare, Some(a), None, None, Some(props));
        }
        if self.chance(0.02, 0.2, S, SUPPORT) {
            let topic = ["authenticity", "payment_security", "returns", "delivery"][self.r.below(4)];
            self.emit(EventType::SupportContact, None, None, None, Some(format!(r#"{{"topic":"{topic}"}}"#)));
        }

        // Intent and purchase.
        if !viewed.is_empty() {
            let weights: Vec<f64> = viewed.iter().map(|v| v.1).collect();
            let k = viewed[self.r.weighted(&weights)].0;
            let deal = self.cat.discount(k, self.now) > 0.0 || self.coupon.is_some();
            let intent = 0.28 * (1.0 + 0.3 * t[C]) * if deal { 1.0 + 0.8 * t[P] } else { 1.0 - 0.6 * t[P] };
            if self.r.chance(intent) {
                let mut items = vec![k];
                if viewed.len() >= 2 && self.r.chance(0.25) {
                    let other = viewed[self.r.below(viewed.len())].0;
                    if other != k {
                        items.push(other);
                    }
                }
                let skip_cart = self.chance(0.05, 0.65, C, SKIP_CART);
                if skip_cart {
                    self.checkout(&items[..1], device, true);
                } else {
                    for &it in &items {
                        self.emit(EventType::AddToCart, Some(it), None, Some(self.cat.price(it, self.now)), None);
                    }
                    if items.len() > 1 && self.r.chance(0.1) {
                        let it = items.pop().expect("two items");
                        self.emit(EventType::RemoveFromCart, Some(it), None, None, None);
                    }
                    if !self.r.chance(0.15) {
                        self.checkout(&items, device, false);
                    }
                }
            } else if self.r.chance(0.12) {
                self.emit(EventType::AddToCart, Some(k), None, Some(self.cat.price(k, self.now)), None);
                if self.r.chance(0.1) {
                    self.emit(EventType::RemoveFromCart, Some(k), None, None, None);
                }
            }
        }
        self.after_session_extras();
    }

    fn after_session_extras(&mut self) {
        if self.chance(0.01, 0.15, O, REFERRAL) {
            self.emit(EventType::ReferralSignup, None, None, None, Some(r#"{"program":"invite_friends"}"#.to_string()));
        }
    }

    fn share(&mut self, k: usize, after: Option<&str>) {
        let to = ["wechat", "weibo", "xiaohongshu"][self.r.below(3)];
        let props = match after {
            Some(a) => format!(r#"{{"to":"{to}","after":"{a}"}}"#),
            None => format!(r#"{{"to":"{to}"}}"#),
        };
        self.emit(EventType::Share, Some(k), None, None, Some(props));
    }

    /// checkout_start → payment_start → (trust abandonment) → purchase + order lines.
    fn checkout(&mut self, items: &[usize], device: &str, buy_now: bool) {
        let t = self.t;
        let first_price = self.cat.price(items[0], self.now);
        let props = if buy_now { Some(r#"{"buy_now":true}"#.to_string()) } else { None };
        self.emit(EventType::CheckoutStart, Some(items[0]), None, Some(first_price), props);
        let method = if self.chance(0.02, 0.55, S, COD) {
            "cod"
        } else {
            ["alipay", "wechat", "card"][self.r.weighted(&self.pay)]
        };
        self.emit(EventType::PaymentStart, None, None, None, Some(format!(r#"{{"method":"{method}"}}"#)));
        if self.chance(0.04, 0.4, S, ABANDON) {
            return;
        }
        let held = self.coupon.filter(|_| self.r.chance(0.9));
        let coupon = if held.is_some() {
            self.coupon = None;
            held
        } else if self.chance(0.02, 0.25, P, COUPON_USE) {
            Some(self.r.below(COUPONS.len()))
        } else {
            None
        };
        self.orders_made += 1;
        let order_id = format!("{}-o{:03}", self.id, self.orders_made);
        let oid = OrderId::parse(&order_id).expect("valid id");
        self.tick();
        let at = xinli_core::Timestamp::from_unix_seconds(self.now);
        let first_line = self.orders.len();
        let delivered = self.now + DAY + (self.r.f64() * 4.0 * DAY as f64) as i64;
        for &k in items {
            let item = &self.cat.items[k];
            let discount = self.cat.discount(k, self.now);
            let unit = round2(item.list_price * (1.0 - discount) * (1.0 - coupon.map_or(0.0, |c| COUPONS[c].1)));
            let qty = if discount > 0.0 && self.r.chance(0.05 + 0.2 * t[P]) { 2.0 } else { 1.0 };
            self.events.push(Event {
                ts: at,
                subject: Subject::Customer(self.id.clone()),
                session_id: Some(self.sid.clone()),
                event_type: EventType::Purchase,
                product_id: Some(item.id.clone()),
                category: Some(self.cat.categories[item.category].clone()),
                query: None,
                value: Some(round2(unit * qty)),
                properties: Some(format!(r#"{{"order_id":"{order_id}","quantity":{qty}}}"#)),
                extra: Vec::new(),
            });
            self.orders.push(OrderLine {
                order_id: oid.clone(),
                customer_id: self.id.clone(),
                ordered_at: at,
                product_id: Some(item.id.clone()),
                category: Some(self.cat.categories[item.category].clone()),
                quantity: Quantity::new(qty).expect("finite"),
                unit_price: Money::new(unit).expect("non-negative"),
                list_price: Some(Money::new(item.list_price).expect("non-negative")),
                coupon_code: coupon.map(|c| COUPONS[c].0.to_string()),
                payment_method: Some(method.to_string()),
                channel: Some(device.to_string()),
                status: OrderStatus::Completed,
                promised_delivery_at: Some(xinli_core::Timestamp::from_unix_seconds(self.now + 3 * DAY)),
                delivered_at: Some(xinli_core::Timestamp::from_unix_seconds(delivered)),
                extra: Vec::new(),
            });
            if !self.bought.contains(&k) {
                self.bought.push(k);
            }
        }
        let lines = first_line..self.orders.len();
        if self.chance(0.03, 0.45, O, SHARE_BUY) {
            self.share(items[0], Some("purchase"));
        }
        if self.chance(0.02, 0.18, S, RETURN) {
            self.pending.push(Pending::Return { order_id, product: items[0], lines });
        } else if self.r.chance(prob(0.05, 0.3, t[O], self.nu[REVIEW_WRITE]) + 0.1 * t[I]) {
            self.pending.push(Pending::Review { product: items[0] });
        }
    }

    fn write_review(&mut self, k: usize) {
        let base = self.cat.items[k].rating + 0.8 * self.r.normal();
        let rating = base.round().clamp(1.0, 5.0) as u8;
        let zh = self.r.chance(0.7);
        let text = match (zh, rating) {
            (true, 5) => ["非常满意，质量很好，会回购", "物超所值，推荐给朋友"][self.r.below(2)],
            (true, 4) => ["不错，物流很快", "整体满意，包装完好"][self.r.below(2)],
            (true, 3) => "一般般，和描述差不多",
            (true, 2) => "质量一般，有点失望",
            (true, _) => "很差，不推荐",
            (false, 5) => ["Love it, great quality, will buy again", "Great value, recommended to friends"][self.r.below(2)],
            (false, 4) => ["Good, fast delivery", "Happy overall, well packed"][self.r.below(2)],
            (false, 3) => "Okay, as described",
            (false, 2) => "Mediocre quality, a bit disappointed",
            (false, _) => "Poor, would not recommend",
        };
        self.reviews_made += 1;
        self.reviews.push(Review {
            review_id: ReviewId::parse(&format!("{}-r{:03}", self.id, self.reviews_made)).expect("valid id"),
            customer_id: Some(self.id.clone()),
            product_id: Some(self.cat.items[k].id.clone()),
            ts: xinli_core::Timestamp::from_unix_seconds(self.now),
            rating: Some(rating),
            text: text.to_string(),
            language: Some(if zh { Language::Zh } else { Language::En }),
            extra: Vec::new(),
        });
    }
}

/// Planted traits and persona (stream 1 of the customer).
fn draw_traits(r: &mut Rng) -> ([f64; 6], &'static str) {
    if r.chance(0.7) {
        let k = r.below(6);
        let mut t = [0.0; 6];
        for (j, v) in t.iter_mut().enumerate() {
            *v = if j == k { 0.70 + 0.28 * r.beta(2.0, 2.0) } else { 0.05 + 0.40 * r.beta(2.0, 2.5) };
        }
        (t, PERSONAS[k])
    } else {
        loop {
            let mut t = [0.0; 6];
            for v in &mut t {
                *v = 0.30 + 0.35 * r.beta(2.0, 2.0);
            }
            let mut sorted = t;
            sorted.sort_by(|a, b| b.total_cmp(a));
            if sorted[0] - sorted[1] < 0.15 {
                return (t, "balanced");
            }
        }
    }
}

/// Session start times (stream 0 of the customer: independent of the traits).
fn draw_sessions(r: &mut Rng, config: &SimConfig) -> Vec<i64> {
    let count = if r.chance(config.sparse_share) {
        1 + r.below(2)
    } else {
        ((9.0f64.ln() + 0.75 * r.normal()).exp().round() as usize).clamp(3, 150)
    };
    let days = config.days.max(1) as f64;
    let first = r.uniform(0.0, days * 0.5);
    let mut day_offsets: Vec<f64> = (0..count).map(|j| if j == 0 { first } else { r.uniform(first, days) }).collect();
    day_offsets.sort_by(f64::total_cmp);
    let start = config.start.unix_seconds();
    day_offsets
        .into_iter()
        .map(|d| {
            // Shopping hours: mostly 08:00–24:00, peaking in the evening.
            let hour = 8.0 + 16.0 * r.beta(2.0, 1.4);
            start + (d.floor() as i64) * DAY + (hour * 3600.0) as i64
        })
        .collect()
}

/// Generates a shop with planted traits (see the crate docs for the story). Deterministic in
/// `config`.
pub fn simulate(config: &SimConfig) -> SimulatedShop {
    let (catalog, products) = Catalog::build(config);
    let mut sim = simulate_customers(config, &catalog, 0..config.customers);
    sim.shop.products = products;
    sim
}

/// The shop in parts of at most `part_size` customers each (the first part also holds the
/// products), handed to `each` in order: a shop of 10⁶ customers never sits in memory whole.
/// The parts together equal [`simulate`].
pub fn simulate_in_parts<E>(
    config: &SimConfig,
    part_size: usize,
    mut each: impl FnMut(SimulatedShop) -> Result<(), E>,
) -> Result<(), E> {
    let (catalog, products) = Catalog::build(config);
    let mut products = Some(products);
    let mut start = 0;
    while start < config.customers || products.is_some() {
        let end = (start + part_size.max(1)).min(config.customers);
        let mut sim = simulate_customers(config, &catalog, start..end);
        if let Some(p) = products.take() {
            sim.shop.products = p;
        }
        each(sim)?;
        start = end;
    }
    Ok(())
}

fn simulate_customers(config: &SimConfig, catalog: &Catalog, range: std::ops::Range<usize>) -> SimulatedShop {
    let width = digits(config.customers);
    let mut customers = Vec::with_capacity(range.len());
    let mut truth = Vec::with_capacity(range.len());
    let mut events = Vec::with_capacity(range.len() * 100);
    let mut orders = Vec::with_capacity(range.len() * 4);
    let mut reviews = Vec::new();
    let n_cat = catalog.categories.len();
    for idx in range {
        let id = CustomerId::parse(&format!("c{:0width$}", idx + 1)).expect("valid id");
        let key = idx as u64;
        let starts = draw_sessions(&mut Rng::stream(config.seed, key, 0), config);
        let (t, persona) = draw_traits(&mut Rng::stream(config.seed, key, 1));
        let mut r = Rng::stream(config.seed, key, 2);
        let mut nu = [1.0; BEHAVIOURS];
        for v in &mut nu {
            *v = (0.3 * r.normal()).exp();
        }
        let fav0 = r.below(n_cat);
        let fav1 = if n_cat > 1 { (fav0 + 1 + r.below(n_cat - 1)) % n_cat } else { fav0 };
        let pay = [r.gamma(1.0), r.gamma(1.0), 0.5 * r.gamma(1.0)];

        // Customer record.
        let signup = starts[0] - (r.uniform(0.0, 60.0) * DAY as f64) as i64;
        let (city, region) = CITIES[r.below(CITIES.len())];
        let acq_weights = [0.35, 0.25, 0.10 + 0.3 * t[O], 0.05 + 0.3 * t[O], 0.15 + 0.2 * t[P]];
        let acquisition = ["organic", "search", "social", "referral", "ads"][r.weighted(&acq_weights)];
        customers.push(Customer {
            customer_id: id.clone(),
            signup_at: Some(xinli_core::Timestamp::from_unix_seconds(signup)),
            gender: Some([Gender::Female, Gender::Male][usize::from(r.chance(0.45))]),
            birth_date: None,
            city: Some(city.to_string()),
            region: Some(region.to_string()),
            acquisition_channel: Some(acquisition.to_string()),
            consent_email: Some(r.chance(0.5)),
            consent_sms: Some(r.chance(0.3)),
            consent_push: Some(r.chance(0.4)),
            email: None,
            phone: None,
            name: None,
            extra: Vec::new(),
        });

        let mut g = Gen {
            cat: catalog,
            r,
            id: id.clone(),
            t,
            nu,
            fav: [fav0, fav1],
            pay,
            bought: Vec::new(),
            coupon: None,
            pending: Vec::new(),
            orders_made: 0,
            reviews_made: 0,
            sid: String::new(),
            now: 0,
            gap_mean: 30.0,
            events: &mut events,
            orders: &mut orders,
            reviews: &mut reviews,
        };
        let mut last_end = i64::MIN;
        for (k, &s) in starts.iter().enumerate() {
            // Sessions never overlap: at least ten minutes apart.
            let start = s.max(last_end.saturating_add(600));
            g.session(k as u32, start);
            last_end = g.now;
        }
        truth.push(CustomerTruth {
            customer_id: id,
            traits: TraitVector::from_array(t),
            persona,
            sessions: starts.len() as u32,
        });
    }
    SimulatedShop {
        shop: Shop { customers, products: Vec::new(), orders, events, reviews, campaigns: Vec::new() },
        truth,
    }
}
