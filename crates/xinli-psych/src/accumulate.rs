//! Per-customer counts from one pass over order lines and one streaming pass over events.
//!
//! [`TraitFold::new`] reads products and order lines; [`TraitFold::observe`] takes events one at
//! a time (from `shop.events` or streamed by the importer) and keeps only per-session
//! accumulators (64 bytes), plus a compact 16-byte record for events without a `session_id`
//! (they are cut into sessions by silence once all are seen); [`TraitFold::finish`] adds
//! reviews and derives the per-customer signals.

use crate::signals::*;
use crate::TraitConfig;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use xinli_core::{CustomerId, Event, EventType, OrderId, OrderStatus, ProductId, Shop, Subject, Timestamp};

/// A customer's counts: `x[s]` successes / events and `n[s]` trials / exposure per signal.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomerAcc {
    pub x: [f32; N_SIGNALS],
    pub n: [f32; N_SIGNALS],
    pub purchase_categories: Vec<(u32, u32)>,
    pub view_categories: Vec<(u32, u32)>,
    pub sessions: u32,
    pub orders: u32,
    return_requests: u32,
    /// (time, order index, product index) of bought lines, for repeat detection.
    lines: Vec<(i64, u32, u32)>,
}

pub struct Accumulated {
    pub ids: Vec<CustomerId>,
    pub customers: Vec<CustomerAcc>,
    pub present: [bool; N_SIGNALS],
    pub n_categories: usize,
}

#[derive(Default, Clone)]
struct ProductInfo {
    category: Option<u32>,
    list_price: Option<f64>,
    launched_at: Option<i64>,
    rating: Option<f64>,
    modal_price: Option<f64>,
    first_sale: Option<i64>,
}

#[derive(Default, Clone, Copy)]
struct OrderAcc {
    customer: u32,
    coupon: bool,
    payment_known: bool,
    cod: bool,
    channel_known: bool,
    app: bool,
    returned: bool,
}

#[derive(Clone, Copy)]
struct SessionAcc {
    customer: u32,
    /// Hash of the `session_id` (0 for sessions cut by silence).
    key: u64,
    /// Seconds relative to `as_of` (≤ 0), like every time below.
    first_ts: i32,
    first_purchase_ts: i32,
    views: u32,
    research: u32,
    coupon_claims: u32,
    shares: u32,
    payment: bool,
    purchase: bool,
    cart: bool,
    trust_page: bool,
    reorder_page: bool,
    channel_known: bool,
    app: bool,
    support: u32,
    /// The session's focal category: that of its first product view (time, category;
    /// `(i32::MAX, NO_CATEGORY)` before any).
    focal_category: (i32, u32),
    deal_page: bool,
    bestseller_page: bool,
    new_arrival_page: bool,
    social_arrival: bool,
    campaign_arrival: bool,
    search_arrival: bool,
    direct_arrival: bool,
}

impl SessionAcc {
    fn new(customer: u32, key: u64) -> Self {
        SessionAcc {
            customer,
            key,
            first_ts: i32::MAX,
            first_purchase_ts: i32::MAX,
            views: 0,
            research: 0,
            coupon_claims: 0,
            shares: 0,
            payment: false,
            purchase: false,
            cart: false,
            trust_page: false,
            reorder_page: false,
            channel_known: false,
            app: false,
            support: 0,
            focal_category: (i32::MAX, NO_CATEGORY),
            deal_page: false,
            bestseller_page: false,
            new_arrival_page: false,
            social_arrival: false,
            campaign_arrival: false,
            search_arrival: false,
            direct_arrival: false,
        }
    }
}

impl SessionAcc {
    /// Adds a later record of the same session (see [`merge_session_runs`]).
    fn absorb(&mut self, o: &SessionAcc) {
        self.first_ts = self.first_ts.min(o.first_ts);
        self.first_purchase_ts = self.first_purchase_ts.min(o.first_purchase_ts);
        self.views += o.views;
        self.research += o.research;
        self.coupon_claims += o.coupon_claims;
        self.shares += o.shares;
        self.support += o.support;
        // The earliest product view; on a tie the one seen first (this record's).
        if o.focal_category.0 < self.focal_category.0 {
            self.focal_category = o.focal_category;
        }
        for (mine, theirs) in [
            (&mut self.payment, o.payment),
            (&mut self.purchase, o.purchase),
            (&mut self.cart, o.cart),
            (&mut self.trust_page, o.trust_page),
            (&mut self.reorder_page, o.reorder_page),
            (&mut self.channel_known, o.channel_known),
            (&mut self.app, o.app),
            (&mut self.deal_page, o.deal_page),
            (&mut self.bestseller_page, o.bestseller_page),
            (&mut self.new_arrival_page, o.new_arrival_page),
            (&mut self.social_arrival, o.social_arrival),
            (&mut self.campaign_arrival, o.campaign_arrival),
            (&mut self.search_arrival, o.search_arrival),
            (&mut self.direct_arrival, o.direct_arrival),
        ] {
            *mine |= theirs;
        }
    }
}

/// Marks a session record merged into an earlier one.
const MERGED: u32 = u32::MAX;

/// Named sessions are recorded as runs of consecutive events of a customer: a session whose
/// events came in several runs (interleaved with another session of the same customer) has one
/// record per run. Merges each session's records into its first one, keeping the order of first
/// appearance (so every later sum adds in the same order as with one record per session).
fn merge_session_runs(sessions: &mut Vec<SessionAcc>) {
    let mut order: Vec<u32> = (0..sessions.len() as u32).collect();
    order.sort_unstable_by_key(|&i| (sessions[i as usize].customer, sessions[i as usize].key, i));
    let same = |a: &SessionAcc, b: &SessionAcc| a.customer == b.customer && a.key == b.key;
    let mut i = 0;
    while i < order.len() {
        let first = order[i] as usize;
        let mut j = i + 1;
        while j < order.len() && same(&sessions[first], &sessions[order[j] as usize]) {
            let later = sessions[order[j] as usize];
            sessions[first].absorb(&later);
            sessions[order[j] as usize].customer = MERGED;
            j += 1;
        }
        i = j;
    }
    sessions.retain(|s| s.customer != MERGED);
}

fn add_count(counts: &mut Vec<(u32, u32)>, k: u32) {
    match counts.iter_mut().find(|c| c.0 == k) {
        Some(c) => c.1 += 1,
        None => counts.push((k, 1)),
    }
}

fn price_known(line: &xinli_core::OrderLine) -> bool {
    !line.extra.iter().any(|(k, v)| k == "price_known" && v.eq_ignore_ascii_case("false"))
}

fn is_cod(method: &str) -> bool {
    let m = method.trim().to_ascii_lowercase();
    m == "cod" || m.contains("cash_on_delivery") || m.contains("cash on delivery") || m.contains("货到付款")
}

fn is_app(channel: &str) -> bool {
    let c = channel.trim().to_ascii_lowercase();
    matches!(c.as_str(), "app" | "mini_program" | "miniprogram" | "mini-program" | "mobile_app" | "小程序")
}

/// Pages that reassure: returns, refunds, security, FAQ, guarantees, privacy.
fn is_trust_page(page: &str) -> bool {
    let p = page.to_ascii_lowercase();
    ["return", "refund", "secur", "faq", "guarantee", "warrant", "privacy", "trust", "help"].iter().any(|k| p.contains(k))
        || ["退", "安全", "常见问题", "保障", "隐私"].iter().any(|k| page.contains(k))
}

/// Pages for buying again: order history, reorder, buy again.
fn is_reorder_page(page: &str) -> bool {
    let p = page.to_ascii_lowercase();
    ["order_history", "order-history", "reorder", "buy_again", "buy-again", "my_orders", "purchase_history"].iter().any(|k| p.contains(k))
        || ["我的订单", "历史订单", "再次购买", "再来一单"].iter().any(|k| page.contains(k))
}

/// Pages of deals: promotions, sales, coupons, discounts.
fn is_deal_page(page: &str) -> bool {
    let p = page.to_ascii_lowercase();
    ["promo", "deal", "sale", "coupon", "discount", "clearance", "offer"].iter().any(|k| p.contains(k))
        || ["促销", "优惠", "折扣", "特价", "秒杀"].iter().any(|k| page.contains(k))
}

/// Pages of social proof: bestsellers, trending, popular, rankings.
fn is_bestseller_page(page: &str) -> bool {
    let p = page.to_ascii_lowercase();
    ["bestseller", "best_seller", "best-seller", "trending", "popular", "top_sellers", "ranking", "hot"].iter().any(|k| p.contains(k))
        || ["热销", "排行", "爆款", "人气"].iter().any(|k| page.contains(k))
}

/// Pages of novelty: new arrivals, what's new, launches.
fn is_new_arrival_page(page: &str) -> bool {
    let p = page.to_ascii_lowercase();
    ["new_arrival", "new-arrival", "newarrival", "new arrival", "whats_new", "what's new", "new_in", "launch"].iter().any(|k| p.contains(k))
        || ["新品", "上新"].iter().any(|k| page.contains(k))
}

fn is_social_via(via: &str) -> bool {
    let v = via.trim().to_ascii_lowercase();
    v == "share" || v == "referral" || v == "friend" || v == "social" || v == "分享" || v == "推荐好友"
}

#[derive(serde::Deserialize, Default)]
struct Props {
    #[serde(default)]
    page: Option<serde_json::Value>,
    #[serde(default)]
    via: Option<serde_json::Value>,
    #[serde(default)]
    channel: Option<serde_json::Value>,
}

fn props(text: &Option<String>) -> Option<(Option<String>, Option<String>, Option<String>)> {
    let t = text.as_deref()?;
    if !t.contains("page") && !t.contains("via") && !t.contains("channel") {
        return None;
    }
    let p: Props = serde_json::from_str(t).ok()?;
    let s = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    };
    Some((s(p.page), s(p.via), s(p.channel)))
}

/// What one event's `properties` say about the page, the arrival and the channel, as bits.
mod flag {
    pub const CHANNEL_KNOWN: u16 = 1;
    pub const APP: u16 = 1 << 1;
    pub const PAGE: u16 = 1 << 2;
    pub const TRUST_PAGE: u16 = 1 << 3;
    pub const DEAL_PAGE: u16 = 1 << 4;
    pub const REORDER_PAGE: u16 = 1 << 5;
    pub const BESTSELLER_PAGE: u16 = 1 << 6;
    pub const NEW_ARRIVAL_PAGE: u16 = 1 << 7;
    pub const SOCIAL_ARRIVAL: u16 = 1 << 8;
    pub const CAMPAIGN_ARRIVAL: u16 = 1 << 9;
    pub const SEARCH_ARRIVAL: u16 = 1 << 10;
    pub const DIRECT_ARRIVAL: u16 = 1 << 11;
}

fn property_flags(properties: &Option<String>) -> u16 {
    let Some((page, via, channel)) = props(properties) else { return 0 };
    let mut f = 0;
    let mut set = |bit: u16, on: bool| {
        if on {
            f |= bit;
        }
    };
    if let Some(channel) = channel {
        set(flag::CHANNEL_KNOWN, true);
        set(flag::APP, is_app(&channel));
    }
    if let Some(page) = page {
        set(flag::PAGE, true);
        set(flag::TRUST_PAGE, is_trust_page(&page));
        set(flag::DEAL_PAGE, is_deal_page(&page));
        set(flag::REORDER_PAGE, is_reorder_page(&page));
        set(flag::BESTSELLER_PAGE, is_bestseller_page(&page));
        set(flag::NEW_ARRIVAL_PAGE, is_new_arrival_page(&page));
    }
    if let Some(via) = via {
        let v = via.trim().to_ascii_lowercase();
        set(flag::SOCIAL_ARRIVAL, is_social_via(&via));
        set(flag::CAMPAIGN_ARRIVAL, matches!(v.as_str(), "campaign" | "email" | "sms" | "push" | "ad" | "ads" | "活动" | "广告"));
        set(flag::SEARCH_ARRIVAL, matches!(v.as_str(), "search" | "seo" | "search_engine" | "搜索"));
        set(flag::DIRECT_ARRIVAL, matches!(v.as_str(), "direct" | "bookmark" | "直接访问"));
    }
    f
}

const NO_CATEGORY: u32 = u32::MAX;

/// An event without a `session_id`, kept until every event is seen (16 bytes).
#[derive(Clone, Copy)]
struct LooseEvent {
    /// Seconds relative to `as_of` (≤ 0; 68 years back fit).
    t: i32,
    customer: u32,
    category: u32,
    flags: u16,
    kind: EventType,
}

/// The streaming trait accumulator: see the module docs.
pub struct TraitFold {
    as_of: i64,
    config: TraitConfig,
    category_index: HashMap<Box<str>, u32>,
    product_index: HashMap<ProductId, u32>,
    products: Vec<ProductInfo>,
    customer_index: HashMap<CustomerId, u32>,
    ids: Vec<CustomerId>,
    customers: Vec<CustomerAcc>,
    orders: Vec<OrderAcc>,
    any_coupon: bool,
    /// One record per run of consecutive events of a customer's named session (merged in
    /// `finish`); no index of sessions is kept. A 64-bit hash collision between two sessions
    /// of one customer is negligible (≈ n²/2⁶⁵).
    sessions: Vec<SessionAcc>,
    /// Per customer: (session hash, record) of the session their last event belonged to.
    open_session: Vec<(u64, u32)>,
    session_hasher: foldhash::fast::FixedState,
    loose: Vec<LooseEvent>,
    any_cart: bool,
    any_page_view_page: bool,
    /// Exports list a customer's events together: the last lookup skips the map.
    last_customer: Option<(CustomerId, u32)>,
}

impl TraitFold {
    /// Reads the shop's products and order lines up to `as_of` (its events are not read).
    pub fn new(shop: &Shop, as_of: Timestamp, config: &TraitConfig) -> TraitFold {
        let mut fold = TraitFold {
            as_of: as_of.unix_seconds(),
            config: config.clone(),
            category_index: HashMap::new(),
            product_index: HashMap::new(),
            products: Vec::new(),
            customer_index: HashMap::new(),
            ids: Vec::new(),
            customers: Vec::new(),
            orders: Vec::new(),
            any_coupon: false,
            sessions: Vec::new(),
            open_session: Vec::new(),
            session_hasher: foldhash::fast::FixedState::with_seed(0x5eed),
            loose: Vec::new(),
            any_cart: false,
            any_page_view_page: false,
            last_customer: None,
        };
        for p in &shop.products {
            let idx = fold.product(&p.product_id);
            let category = p.category.as_ref().map(|c| fold.category(c.as_str()));
            let info = &mut fold.products[idx as usize];
            if category.is_some() {
                info.category = category;
            }
            info.list_price = p.list_price.map(|m| m.get()).filter(|v| *v > 0.0);
            info.launched_at = p.launched_at.map(|t| t.unix_seconds());
            info.rating = p.avg_rating;
        }
        fold.order_lines(shop);
        fold
    }

    pub fn config(&self) -> &TraitConfig {
        &self.config
    }

    fn product(&mut self, id: &ProductId) -> u32 {
        if let Some(&i) = self.product_index.get(id) {
            return i;
        }
        self.products.push(ProductInfo::default());
        let i = (self.products.len() - 1) as u32;
        self.product_index.insert(id.clone(), i);
        i
    }

    fn category(&mut self, c: &str) -> u32 {
        if let Some(&i) = self.category_index.get(c) {
            return i;
        }
        let i = self.category_index.len() as u32;
        self.category_index.insert(c.into(), i);
        i
    }

    fn customer(&mut self, id: &CustomerId) -> u32 {
        if let Some((last, ci)) = &self.last_customer {
            if last == id {
                return *ci;
            }
        }
        let ci = match self.customer_index.get(id) {
            Some(&ci) => ci,
            None => {
                self.ids.push(id.clone());
                self.customers.push(CustomerAcc::default());
                let ci = (self.customers.len() - 1) as u32;
                self.customer_index.insert(id.clone(), ci);
                ci
            }
        };
        self.last_customer = Some((id.clone(), ci));
        ci
    }

    fn order_lines(&mut self, shop: &Shop) {
        let day = 86_400i64;
        let as_of = self.as_of;
        let config = self.config.clone();
        let bought = |l: &xinli_core::OrderLine| l.status != OrderStatus::Cancelled && l.ordered_at.unix_seconds() <= as_of;

        // Pre-pass: modal price, first sale and weekly sales per product.
        let mut price_counts: HashMap<(u32, u64), u32> = HashMap::new();
        let mut week_sales: HashMap<(u32, i64), u32> = HashMap::new();
        let mut data_start = i64::MAX;
        let mut line_products: Vec<Option<u32>> = Vec::with_capacity(shop.orders.len());
        for line in &shop.orders {
            let Some(pid) = line.product_id.as_ref().filter(|_| bought(line)) else {
                line_products.push(None);
                continue;
            };
            let idx = self.product(pid);
            line_products.push(Some(idx));
            let t = line.ordered_at.unix_seconds();
            data_start = data_start.min(t);
            let category = match (self.products[idx as usize].category, &line.category) {
                (None, Some(c)) => Some(self.category(c.as_str())),
                _ => None,
            };
            let info = &mut self.products[idx as usize];
            info.first_sale = Some(info.first_sale.map_or(t, |f| f.min(t)));
            if category.is_some() {
                info.category = category;
            }
            if price_known(line) && line.unit_price.get() > 0.0 {
                *price_counts.entry((idx, line.unit_price.get().to_bits())).or_insert(0) += 1;
            }
            *week_sales.entry((idx, t.div_euclid(7 * day))).or_insert(0) += 1;
        }
        let mut best: HashMap<u32, (u32, f64)> = HashMap::new();
        for (&(p, bits), &count) in &price_counts {
            let price = f64::from_bits(bits);
            let e = best.entry(p).or_insert((0, 0.0));
            if count > e.0 || (count == e.0 && price > e.1) {
                *e = (count, price);
            }
        }
        for (p, (_, price)) in best {
            self.products[p as usize].modal_price = Some(price);
        }
        // Trending: per week, the products among the top share by lines (at least 2 lines).
        let mut per_week: HashMap<i64, Vec<u32>> = HashMap::new();
        for (&(_, w), &c) in &week_sales {
            per_week.entry(w).or_default().push(c);
        }
        let week_threshold: HashMap<i64, u32> = per_week
            .into_iter()
            .map(|(w, mut counts)| {
                counts.sort_unstable_by(|a, b| b.cmp(a));
                let k = ((counts.len() as f64 * config.trending_top_share).ceil() as usize).clamp(1, counts.len());
                (w, counts[k - 1].max(2))
            })
            .collect();
        // Top-rated threshold.
        let mut ratings: Vec<f64> = self.products.iter().filter_map(|p| p.rating).collect();
        ratings.sort_unstable_by(f64::total_cmp);
        let top_rated = (!ratings.is_empty())
            .then(|| ratings[((ratings.len() - 1) as f64 * config.top_rated_quantile).round() as usize]);
        let new_window = config.new_arrival_days * day;

        let mut order_index: HashMap<(u32, &OrderId), u32> = HashMap::new();
        for (line, product) in shop.orders.iter().zip(&line_products) {
            if !bought(line) {
                continue;
            }
            let ci = self.customer(&line.customer_id);
            let oi = *order_index.entry((ci, &line.order_id)).or_insert_with(|| {
                self.orders.push(OrderAcc { customer: ci, ..OrderAcc::default() });
                (self.orders.len() - 1) as u32
            });
            let o = &mut self.orders[oi as usize];
            if line.coupon_code.is_some() {
                o.coupon = true;
                self.any_coupon = true;
            }
            if let Some(m) = &line.payment_method {
                o.payment_known = true;
                o.cod |= is_cod(m);
            }
            if let Some(ch) = &line.channel {
                o.channel_known = true;
                o.app |= is_app(ch);
            }
            o.returned |= line.status == OrderStatus::Returned;
            let line_category = line.category.as_ref().map(|cat| self.category(cat.as_str()));
            let info = product.map(|p| &self.products[p as usize]);
            let c = &mut self.customers[ci as usize];
            let t = line.ordered_at.unix_seconds();
            // Price: regular = line list price, else product list price, else modal paid price.
            let regular = line
                .list_price
                .map(|m| m.get())
                .filter(|v| *v > 0.0)
                .or(info.and_then(|i| i.list_price))
                .or(info.and_then(|i| i.modal_price));
            if let Some(regular) = regular.filter(|_| price_known(line) && line.unit_price.get() > 0.0) {
                c.n[DISCOUNT_LINES] += 1.0;
                if line.unit_price.get() < regular * (1.0 - config.discount_tolerance) {
                    c.x[DISCOUNT_LINES] += 1.0;
                }
            }
            if let Some(k) = line_category.or(info.and_then(|i| i.category)) {
                add_count(&mut c.purchase_categories, k);
            }
            if let (Some(p), Some(info)) = (*product, info) {
                c.lines.push((t, oi, p));
                if let (Some(r), Some(top)) = (info.rating, top_rated) {
                    c.n[TOP_RATED] += 1.0;
                    c.x[TOP_RATED] += (r >= top) as u8 as f32;
                }
                if let Some(&threshold) = week_threshold.get(&t.div_euclid(7 * day)) {
                    let sold = week_sales.get(&(p, t.div_euclid(7 * day))).copied().unwrap_or(0);
                    c.n[TRENDING] += 1.0;
                    c.x[TRENDING] += (sold >= threshold) as u8 as f32;
                }
                // Launch: the product's launched_at, else its first sale when that is not at the
                // start of the data (left-censored: it may have been sold long before).
                let launch = info.launched_at.or(info.first_sale.filter(|&f| f >= data_start + new_window));
                if let Some(launch) = launch {
                    c.n[NEW_ARRIVALS] += 1.0;
                    c.x[NEW_ARRIVALS] += (t - launch <= new_window) as u8 as f32;
                }
            }
        }
    }

    /// Takes one event; events of anonymous visitors and after `as_of` are skipped.
    pub fn observe(&mut self, e: &Event) {
        let Subject::Customer(id) = &e.subject else { return };
        let t = e.ts.unix_seconds() - self.as_of;
        if t > 0 {
            return;
        }
        let t = t.max(i64::from(i32::MIN)) as i32;
        let ci = self.customer(id);
        let category = match e.event_type {
            EventType::ProductView => e
                .category
                .as_ref()
                .map(|c| self.category(c.as_str()))
                .or_else(|| e.product_id.as_ref().and_then(|p| self.product_index.get(p)).and_then(|&p| self.products[p as usize].category))
                .unwrap_or(NO_CATEGORY),
            _ => NO_CATEGORY,
        };
        let flags = property_flags(&e.properties);
        match &e.session_id {
            Some(sid) => {
                let key = std::hash::BuildHasher::hash_one(&self.session_hasher, sid.as_str());
                if self.open_session.len() <= ci as usize {
                    self.open_session.resize(self.customers.len(), (0, MERGED));
                }
                let si = match self.open_session[ci as usize] {
                    (open, si) if open == key && si != MERGED => si,
                    _ => {
                        self.sessions.push(SessionAcc::new(ci, key));
                        let si = (self.sessions.len() - 1) as u32;
                        self.open_session[ci as usize] = (key, si);
                        si
                    }
                };
                self.apply(si, LooseEvent { t, customer: ci, category, flags, kind: e.event_type });
            }
            None => self.loose.push(LooseEvent { t, customer: ci, category, flags, kind: e.event_type }),
        }
    }

    fn apply(&mut self, si: u32, e: LooseEvent) {
        let s = &mut self.sessions[si as usize];
        s.first_ts = s.first_ts.min(e.t);
        match e.kind {
            EventType::ProductView => {
                s.views += 1;
                if e.category != NO_CATEGORY && e.t < s.focal_category.0 {
                    s.focal_category = (e.t, e.category);
                }
            }
            EventType::ReviewRead | EventType::Compare | EventType::Search => s.research += 1,
            EventType::AddToCart => {
                s.cart = true;
                self.any_cart = true;
            }
            EventType::PaymentStart => s.payment = true,
            EventType::Purchase => {
                s.purchase = true;
                s.first_purchase_ts = s.first_purchase_ts.min(e.t);
            }
            EventType::CouponClaim => s.coupon_claims += 1,
            EventType::Share | EventType::ReferralSignup => s.shares += 1,
            EventType::ReturnRequest => self.customers[e.customer as usize].return_requests += 1,
            EventType::SupportContact => s.support += 1,
            _ => {}
        }
        let on = |bit: u16| e.flags & bit != 0;
        s.channel_known |= on(flag::CHANNEL_KNOWN);
        s.app |= on(flag::APP);
        self.any_page_view_page |= on(flag::PAGE);
        s.trust_page |= on(flag::TRUST_PAGE);
        s.deal_page |= on(flag::DEAL_PAGE);
        s.reorder_page |= on(flag::REORDER_PAGE);
        s.bestseller_page |= on(flag::BESTSELLER_PAGE);
        s.new_arrival_page |= on(flag::NEW_ARRIVAL_PAGE);
        s.social_arrival |= on(flag::SOCIAL_ARRIVAL);
        s.campaign_arrival |= on(flag::CAMPAIGN_ARRIVAL);
        s.search_arrival |= on(flag::SEARCH_ARRIVAL);
        s.direct_arrival |= on(flag::DIRECT_ARRIVAL);
    }

    /// Cuts the loose events into sessions, adds reviews and derives every customer's signals.
    pub fn finish(mut self, shop: &Shop) -> Accumulated {
        self.open_session = Vec::new();
        merge_session_runs(&mut self.sessions);
        let mut loose = std::mem::take(&mut self.loose);
        loose.sort_by_key(|e| (e.customer, e.t));
        let gap = self.config.session_gap_minutes * 60;
        let mut last: Option<(u32, i32)> = None;
        for e in loose {
            match last {
                Some((lc, lt)) if lc == e.customer && i64::from(e.t) - i64::from(lt) <= gap => {}
                _ => self.sessions.push(SessionAcc::new(e.customer, 0)),
            }
            last = Some((e.customer, e.t));
            self.apply((self.sessions.len() - 1) as u32, e);
        }
        let TraitFold { as_of, category_index, customer_index, ids, mut customers, orders, sessions, any_coupon, any_cart, any_page_view_page, .. } =
            self;
        // Quick purchase: time from the session's first event to its first purchase, against the
        // shop's median.
        let duration = |s: &SessionAcc| i64::from(s.first_purchase_ts) - i64::from(s.first_ts);
        let mut durations: Vec<i64> = sessions.iter().filter(|s| s.purchase).map(duration).collect();
        durations.sort_unstable();
        let median_duration = durations.get(durations.len() / 2).copied();

        for s in &sessions {
            let c = &mut customers[s.customer as usize];
            c.sessions += 1;
            c.n[VIEWS_PER_SESSION] += 1.0;
            c.x[VIEWS_PER_SESSION] += s.views as f32;
            c.n[RESEARCH_PER_SESSION] += 1.0;
            c.x[RESEARCH_PER_SESSION] += s.research as f32;
            c.n[COUPON_CLAIMS] += 1.0;
            c.x[COUPON_CLAIMS] += s.coupon_claims as f32;
            c.n[SHARES] += 1.0;
            c.x[SHARES] += s.shares as f32;
            c.n[SOCIAL_ARRIVALS] += 1.0;
            c.x[SOCIAL_ARRIVALS] += s.social_arrival as u8 as f32;
            for (signal, hit) in [
                (TRUST_PAGES, s.trust_page),
                (CAMPAIGN_ARRIVALS, s.campaign_arrival),
                (SEARCH_ARRIVALS, s.search_arrival),
                (DIRECT_ARRIVALS, s.direct_arrival),
                (REORDER_PAGES, s.reorder_page),
                (DEAL_PAGES, s.deal_page),
                (BESTSELLER_PAGES, s.bestseller_page),
                (NEW_ARRIVAL_PAGES, s.new_arrival_page),
            ] {
                c.n[signal] += 1.0;
                c.x[signal] += hit as u8 as f32;
            }
            c.n[SUPPORT_CONTACTS] += 1.0;
            c.x[SUPPORT_CONTACTS] += s.support as f32;
            if s.channel_known {
                c.n[APP_SESSIONS] += 1.0;
                c.x[APP_SESSIONS] += s.app as u8 as f32;
            }
            if s.focal_category.1 != NO_CATEGORY && !s.social_arrival {
                add_count(&mut c.view_categories, s.focal_category.1);
            }
            if s.payment {
                c.n[PAYMENT_ABANDON] += 1.0;
                c.x[PAYMENT_ABANDON] += (!s.purchase) as u8 as f32;
            }
            if s.purchase {
                c.n[DEPTH_BEFORE_BUYING] += 1.0;
                c.x[DEPTH_BEFORE_BUYING] += (s.views + s.research) as f32;
                c.n[NO_CART] += 1.0;
                c.x[NO_CART] += (!s.cart) as u8 as f32;
                if let Some(m) = median_duration {
                    let d = duration(s);
                    c.n[QUICK_BUY] += 1.0;
                    c.x[QUICK_BUY] += if d < m { 1.0 } else if d == m { 0.5 } else { 0.0 };
                }
            }
        }

        for o in &orders {
            let c = &mut customers[o.customer as usize];
            c.orders += 1;
            c.n[COUPON_ORDERS] += 1.0;
            c.x[COUPON_ORDERS] += o.coupon as u8 as f32;
            if o.payment_known {
                c.n[COD_ORDERS] += 1.0;
                c.x[COD_ORDERS] += o.cod as u8 as f32;
            }
            if o.channel_known {
                c.n[APP_ORDERS] += 1.0;
                c.x[APP_ORDERS] += o.app as u8 as f32;
            }
            c.n[RETURNS] += 1.0;
            c.x[RETURNS] += o.returned as u8 as f32;
        }

        // Written reviews per order.
        let mut any_review = false;
        for r in &shop.reviews {
            if r.ts.unix_seconds() > as_of {
                continue;
            }
            if let Some(&ci) = r.customer_id.as_ref().and_then(|id| customer_index.get(id)) {
                customers[ci as usize].x[REVIEWS_WRITTEN] += 1.0;
                any_review = true;
            }
        }

        // Per customer: return requests (capped at orders) and repeats of products bought in an
        // earlier order.
        let mut earlier: HashSet<u32> = HashSet::new();
        let mut current: Vec<u32> = Vec::new();
        for c in &mut customers {
            c.x[RETURNS] = (c.x[RETURNS] + c.return_requests as f32).min(c.n[RETURNS]);
            c.n[REVIEWS_WRITTEN] = c.orders as f32;
            c.x[REVIEWS_WRITTEN] = c.x[REVIEWS_WRITTEN].min(c.n[REVIEWS_WRITTEN]);
            c.lines.sort_unstable();
            earlier.clear();
            current.clear();
            let first_order = c.lines.first().map(|l| l.1);
            let mut current_order = first_order;
            for &(_, order, product) in &c.lines {
                if Some(order) != current_order {
                    earlier.extend(current.drain(..));
                    current_order = Some(order);
                }
                current.push(product);
                if Some(order) != first_order {
                    c.n[REORDER_LINES] += 1.0;
                    if earlier.contains(&product) {
                        c.x[REORDER_LINES] += 1.0;
                    }
                }
            }
            c.lines = Vec::new();
        }

        // Presence: the shop's data hold the signal (some exposure and some occurrence), plus the
        // conditions that make an absence meaningful.
        let mut present = [false; N_SIGNALS];
        for (s, p) in present.iter_mut().enumerate() {
            let (mut xs, mut ns) = (0.0f64, 0.0f64);
            for c in &customers {
                xs += c.x[s] as f64;
                ns += c.n[s] as f64;
            }
            *p = match SIGNALS[s].kind {
                crate::signals::Kind::Spread => {
                    let pick = |c: &CustomerAcc| if s == PURCHASE_SPREAD { !c.purchase_categories.is_empty() } else { !c.view_categories.is_empty() };
                    category_index.len() >= 2 && customers.iter().any(pick)
                }
                _ => ns > 0.0 && xs > 0.0,
            };
        }
        present[COUPON_ORDERS] &= any_coupon;
        present[NO_CART] &= any_cart;
        present[TRUST_PAGES] &= any_page_view_page;
        present[REVIEWS_WRITTEN] &= any_review;

        Accumulated { ids, customers, present, n_categories: category_index.len() }
    }
}


#[test]
fn per_session_and_per_event_records_stay_small() {
    assert_eq!(std::mem::size_of::<SessionAcc>(), 64);
    assert_eq!(std::mem::size_of::<LooseEvent>(), 16);
}
