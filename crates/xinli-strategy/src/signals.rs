//! Per-customer counts of the moments a purchase stalls or a customer is let down, as of a date,
//! from the canonical records: the raw material of barriers and churn drivers.
//!
//! A **visit** is a customer's run of events with one `session_id` (or, without session ids, a
//! run with no silence longer than 30 minutes). A visit **bought** when it holds a `purchase`
//! event or the customer placed an order between its first event and one hour after its last.

use std::collections::HashMap;
use xinli_core::{Category, CustomerId, EventType, OrderStatus, ProductId, Shop, Subject, Timestamp};

/// Silence that ends a visit when events carry no session id.
const VISIT_GAP_SECONDS: i64 = 30 * 60;
/// An order this soon after a visit's last event still counts as bought in that visit.
const ORDER_GRACE_SECONDS: i64 = 3_600;
/// A carted item shown at ≥ 99 % of its list price counts as full price.
const FULL_PRICE: f64 = 0.99;

/// What happened to one customer up to the as-of date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerSignals {
    /// Distinct orders placed (any status).
    pub orders: u32,
    /// Orders with both a promised and an actual delivery time (delivered by the as-of date).
    pub delivered_orders: u32,
    /// Of those, delivered after the promised time.
    pub late_orders: u32,
    /// Days late, summed over late orders.
    pub late_days: f64,
    /// Orders with a returned line or a `return_request` naming them (at least the number of
    /// `return_request` events when those name no order).
    pub returned_orders: u32,
    pub reviews: u32,
    /// Reviews rated 1 or 2.
    pub low_reviews: u32,
    pub visits: u32,
    pub complaints: u32,
    pub support_contacts: u32,
    /// Visits with an `add_to_cart`.
    pub cart_visits: u32,
    /// Cart visits that did not buy.
    pub abandoned_carts: u32,
    /// Abandoned carts holding an item at full price, or at an unknown price.
    pub full_price_abandoned_carts: u32,
    /// Visits with a `checkout_start` that did not buy and never reached `payment_start`.
    pub abandoned_checkouts: u32,
    /// Visits with a `payment_start`.
    pub payment_visits: u32,
    /// Payment visits that did not buy.
    pub abandoned_payments: u32,
    /// Visits with a `search` or a `product_view`.
    pub browse_visits: u32,
    /// Browse visits that did not buy, where searching led to no product view at all or the
    /// products viewed were all in thin categories.
    pub range_misses: u32,
    /// Completed purchase days.
    pub purchase_days: u32,
    pub first_purchase: Option<Timestamp>,
    pub last_purchase: Option<Timestamp>,
    /// Completed lines with a known list price, and those bought below it.
    pub priced_lines: u32,
    pub discount_lines: u32,
    pub coupon_orders: u32,
    pub cod_orders: u32,
    pub app_orders: u32,
    /// From the review texts (xinli-text, added by the pipeline): reviews with a negative
    /// mention of product quality that are not rated 1–2 (those count in `low_reviews`), of
    /// logistics, and of customer service.
    pub quality_text_reviews: u32,
    pub logistics_text_reviews: u32,
    pub service_text_reviews: u32,
}

impl CustomerSignals {
    /// Days from the last completed purchase to `as_of`.
    pub fn days_since_last_purchase(&self, as_of: Timestamp) -> Option<i64> {
        self.last_purchase.map(|t| as_of.day_index() - t.day_index())
    }
}

/// Every customer's signals, in order of first appearance (orders, then events, then reviews).
#[derive(Debug, Clone)]
pub struct SignalTable {
    pub customer_ids: Vec<CustomerId>,
    pub signals: Vec<CustomerSignals>,
    pub as_of: Timestamp,
    /// Categories with very few products (see [`thin_categories`]).
    pub thin_categories: Vec<String>,
}

impl SignalTable {
    pub fn index(&self) -> HashMap<&str, usize> {
        self.customer_ids.iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect()
    }
}

/// Categories whose product count is at most a fifth of the median category's (and at least
/// one product fewer than it): where a shopper who browses finds little to choose from.
/// Products are counted from the product table, order lines and events together.
pub fn thin_categories(shop: &Shop) -> Vec<String> {
    let mut fold = SignalFold::new(shop);
    for e in &shop.events {
        fold.observe(e);
    }
    fold.thin_categories()
}

/// Collects every customer's signals from records up to `as_of` (inclusive).
pub fn collect(shop: &Shop, as_of: Timestamp) -> SignalTable {
    let mut fold = SignalFold::new(shop);
    for e in &shop.events {
        fold.observe(e);
    }
    fold.tables(shop, &[as_of]).pop().expect("one date")
}

const NO_CATEGORY: u32 = u32::MAX;
/// An `add_to_cart` shown at full (or unknown) price.
const CART_FULL_PRICE: u8 = 1;

/// One customer event, compact (20 bytes): `ts` in seconds after the fold's first event
/// (±68 years fit), `session` a 32-bit hash of the `session_id` (0 = none; two sessions of one
/// customer colliding is negligible, ≈ n²/2³³).
#[derive(Clone, Copy)]
struct Mark {
    ts: i32,
    session: u32,
    customer: u32,
    category: u32,
    kind: EventType,
    flags: u8,
}

/// [`collect`] with the events streamed: [`SignalFold::observe`] takes each event and keeps 20
/// bytes of it; [`SignalFold::tables`] then gives the signal table at one or more dates, so a
/// shop's events are read once for the analysis date and the churn-driver cutoff alike.
pub struct SignalFold {
    index: HashMap<CustomerId, u32>,
    ids: Vec<CustomerId>,
    marks: Vec<Mark>,
    /// The first event's time, the origin of [`Mark::ts`].
    base: Option<i64>,
    list_price: HashMap<ProductId, f64>,
    categories: HashMap<Category, u32>,
    category_names: Vec<Category>,
    /// Distinct products per category, from products, order lines and events.
    category_products: Vec<std::collections::HashSet<ProductId>>,
    hasher: std::hash::BuildHasherDefault<std::hash::DefaultHasher>,
    last: Option<(CustomerId, u32)>,
}

impl SignalFold {
    /// Reads the shop's products and order lines (its events are not read).
    pub fn new(shop: &Shop) -> SignalFold {
        let mut fold = SignalFold {
            index: HashMap::new(),
            ids: Vec::new(),
            marks: Vec::new(),
            base: None,
            list_price: shop.products.iter().filter_map(|p| Some((p.product_id.clone(), p.list_price?.get()))).collect(),
            categories: HashMap::new(),
            category_names: Vec::new(),
            category_products: Vec::new(),
            hasher: Default::default(),
            last: None,
        };
        let pairs = shop
            .products
            .iter()
            .map(|p| (p.category.as_ref(), Some(&p.product_id)))
            .chain(shop.orders.iter().map(|l| (l.category.as_ref(), l.product_id.as_ref())));
        for (category, product) in pairs {
            fold.categorised(category, product);
        }
        fold
    }

    /// The category's number, noting the product in it.
    fn categorised(&mut self, category: Option<&Category>, product: Option<&ProductId>) -> u32 {
        let Some(c) = category else { return NO_CATEGORY };
        let k = match self.categories.get(c) {
            Some(&k) => k,
            None => {
                let k = self.category_names.len() as u32;
                self.categories.insert(c.clone(), k);
                self.category_names.push(c.clone());
                self.category_products.push(Default::default());
                k
            }
        };
        if let Some(p) = product {
            let products = &mut self.category_products[k as usize];
            if !products.contains(p) {
                products.insert(p.clone());
            }
        }
        k
    }

    fn customer(&mut self, id: &CustomerId) -> u32 {
        if let Some((last, c)) = &self.last {
            if last == id {
                return *c;
            }
        }
        let c = match self.index.get(id) {
            Some(&c) => c,
            None => {
                self.ids.push(id.clone());
                let c = (self.ids.len() - 1) as u32;
                self.index.insert(id.clone(), c);
                c
            }
        };
        self.last = Some((id.clone(), c));
        c
    }

    /// Takes one event (anonymous visitors' events are skipped).
    pub fn observe(&mut self, e: &xinli_core::Event) {
        let category = self.categorised(e.category.as_ref(), e.product_id.as_ref());
        let Subject::Customer(id) = &e.subject else { return };
        let customer = self.customer(id);
        let session = e.session_id.as_deref().map_or(0, |s| (std::hash::BuildHasher::hash_one(&self.hasher, s) as u32) | 1);
        let mut flags = 0;
        if e.event_type == EventType::AddToCart {
            let list = e.product_id.as_ref().and_then(|p| self.list_price.get(p));
            let full = match (e.value, list) {
                (Some(shown), Some(&list)) => shown >= list * FULL_PRICE,
                _ => true,
            };
            if full {
                flags |= CART_FULL_PRICE;
            }
        }
        let ts = e.ts.unix_seconds();
        let base = *self.base.get_or_insert(ts);
        let ts = (ts - base).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        self.marks.push(Mark { ts, session, customer, category, kind: e.event_type, flags });
    }

    fn thin(&self) -> Vec<bool> {
        let mut sizes: Vec<usize> = self.category_products.iter().map(|s| s.len()).filter(|&n| n > 0).collect();
        if sizes.len() < 3 {
            return vec![false; self.category_names.len()];
        }
        sizes.sort_unstable();
        let median = sizes[sizes.len() / 2];
        let limit = (median / 5).min(median.saturating_sub(1));
        self.category_products.iter().map(|s| !s.is_empty() && s.len() <= limit).collect()
    }

    /// The thin categories' names, sorted.
    pub fn thin_categories(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.thin().iter().zip(&self.category_names).filter(|(t, _)| **t).map(|(_, c)| c.as_str().to_string()).collect();
        names.sort();
        names
    }

    /// The signal table at each date in `dates`, from the shop's orders and reviews and the
    /// events observed.
    pub fn tables(mut self, shop: &Shop, dates: &[Timestamp]) -> Vec<SignalTable> {
        // Stable: events at the same second keep their order.
        self.marks.sort_by_key(|m| (m.customer, m.ts));
        let thin = self.thin();
        dates.iter().map(|&as_of| self.table(shop, as_of, &thin)).collect()
    }

    fn table(&self, shop: &Shop, as_of: Timestamp, thin: &[bool]) -> SignalTable {
        let mut index: HashMap<&CustomerId, usize> = HashMap::new();
        let mut ids: Vec<CustomerId> = Vec::new();

        // Orders: one entry per (customer, order).
        #[derive(Default)]
        struct OrderFacts {
            at: i64,
            completed: bool,
            returned: bool,
            late_days: Option<f64>,
            coupon: bool,
            cod: bool,
            app: bool,
        }
        // Ordered, so sums (late days) come out the same on every run.
        let mut orders: std::collections::BTreeMap<(usize, &str), OrderFacts> = Default::default();
        let mut signals: Vec<CustomerSignals> = Vec::new();
        for line in shop.orders.iter().filter(|l| l.ordered_at <= as_of) {
            let c = slot(&line.customer_id, &mut ids, &mut index);
            grow(&mut signals, ids.len());
            let o = orders
                .entry((c, line.order_id.as_str()))
                .or_insert_with(|| OrderFacts { at: line.ordered_at.unix_seconds(), ..OrderFacts::default() });
            o.at = o.at.min(line.ordered_at.unix_seconds());
            match line.status {
                OrderStatus::Completed => {
                    o.completed = true;
                    let s = &mut signals[c];
                    if let Some(list) = line.list_price {
                        s.priced_lines += 1;
                        if line.unit_price.get() < list.get() * FULL_PRICE {
                            s.discount_lines += 1;
                        }
                    }
                }
                OrderStatus::Returned => o.returned = true,
                OrderStatus::Cancelled => {}
            }
            if let (Some(promised), Some(delivered)) = (line.promised_delivery_at, line.delivered_at) {
                if delivered <= as_of {
                    let late = (delivered.unix_seconds() - promised.unix_seconds()) as f64 / 86_400.0;
                    o.late_days = Some(o.late_days.map_or(late, |d: f64| d.max(late)));
                }
            }
            o.coupon |= line.coupon_code.is_some();
            o.cod |= line.payment_method.as_deref() == Some("cod");
            o.app |= matches!(line.channel.as_deref(), Some("app" | "mini_program"));
        }
        let mut order_times: Vec<Vec<i64>> = vec![Vec::new(); ids.len()];
        let mut purchase_days: Vec<Vec<i64>> = vec![Vec::new(); ids.len()];
        for (&(c, _), o) in &orders {
            let s = &mut signals[c];
            s.orders += 1;
            order_times[c].push(o.at);
            if let Some(late) = o.late_days {
                s.delivered_orders += 1;
                if late > 0.0 {
                    s.late_orders += 1;
                    s.late_days += late;
                }
            }
            s.returned_orders += o.returned as u32;
            if o.completed {
                let at = Timestamp::from_unix_seconds(o.at);
                purchase_days[c].push(at.day_index());
                s.first_purchase = Some(s.first_purchase.map_or(at, |t| t.min(at)));
                s.last_purchase = Some(s.last_purchase.map_or(at, |t| t.max(at)));
                s.coupon_orders += o.coupon as u32;
                s.cod_orders += o.cod as u32;
                s.app_orders += o.app as u32;
            }
        }
        for (c, days) in purchase_days.iter_mut().enumerate() {
            days.sort_unstable();
            days.dedup();
            signals[c].purchase_days = days.len() as u32;
            order_times[c].sort_unstable();
        }

        // Events, already sorted by (customer, time), into visits.
        // In the marks' time: seconds after the first event.
        let base = self.base.unwrap_or(0);
        let cut = as_of.unix_seconds() - base;
        let mut return_requests: Vec<u32> = vec![0; ids.len()];
        for run in self.marks.chunk_by(|a, b| a.customer == b.customer) {
            let mut events = run.iter().filter(|m| i64::from(m.ts) <= cut).peekable();
            if events.peek().is_none() {
                continue;
            }
            let c = slot(&self.ids[run[0].customer as usize], &mut ids, &mut index);
            grow(&mut signals, ids.len());
            order_times.resize(ids.len(), Vec::new());
            return_requests.resize(ids.len(), 0);
            let mut visit = Visit::default();
            let mut previous: Option<&Mark> = None;
            for m in events {
                let new_visit = match previous {
                    None => true,
                    Some(p) => match (p.session, m.session) {
                        (0, _) | (_, 0) => i64::from(m.ts) - i64::from(p.ts) > VISIT_GAP_SECONDS,
                        (a, b) => a != b,
                    },
                };
                if new_visit && previous.is_some() {
                    visit.close(&mut signals[c], &order_times[c]);
                    visit = Visit::default();
                }
                visit.add(m, base + i64::from(m.ts), thin);
                match m.kind {
                    EventType::Complaint => signals[c].complaints += 1,
                    EventType::SupportContact => signals[c].support_contacts += 1,
                    EventType::ReturnRequest => return_requests[c] += 1,
                    _ => {}
                }
                previous = Some(m);
            }
            visit.close(&mut signals[c], &order_times[c]);
        }

        for r in shop.reviews.iter().filter(|r| r.ts <= as_of) {
            let Some(id) = &r.customer_id else { continue };
            let c = slot(id, &mut ids, &mut index);
            grow(&mut signals, ids.len());
            if let Some(rating) = r.rating {
                signals[c].reviews += 1;
                signals[c].low_reviews += (rating <= 2) as u32;
            }
        }
        return_requests.resize(ids.len(), 0);
        for (s, requests) in signals.iter_mut().zip(return_requests) {
            // A return request and the returned status usually describe the same return.
            s.returned_orders = s.returned_orders.max(requests.min(s.orders));
        }
        SignalTable { customer_ids: ids, signals, as_of, thin_categories: self.thin_categories() }
    }
}

/// The position of `id` in `ids`, added when new.
fn slot<'a>(id: &'a CustomerId, ids: &mut Vec<CustomerId>, index: &mut HashMap<&'a CustomerId, usize>) -> usize {
    *index.entry(id).or_insert_with(|| {
        ids.push(id.clone());
        ids.len() - 1
    })
}

fn grow(signals: &mut Vec<CustomerSignals>, n: usize) {
    if signals.len() < n {
        signals.resize(n, CustomerSignals::default());
    }
}

/// One visit under construction.
#[derive(Default)]
struct Visit {
    first: i64,
    last: i64,
    events: u32,
    purchase_event: bool,
    cart: bool,
    cart_full_price: bool,
    checkout: bool,
    payment: bool,
    browsed: bool,
    searched: bool,
    views: u32,
    thin_views: u32,
}

impl Visit {
    /// `ts`: the mark's time in unix seconds.
    fn add(&mut self, m: &Mark, ts: i64, thin: &[bool]) {
        if self.events == 0 {
            self.first = ts;
        }
        self.last = ts;
        self.events += 1;
        match m.kind {
            EventType::Purchase => self.purchase_event = true,
            EventType::AddToCart => {
                self.cart = true;
                self.cart_full_price |= m.flags & CART_FULL_PRICE != 0;
            }
            EventType::CheckoutStart => self.checkout = true,
            EventType::PaymentStart => self.payment = true,
            EventType::Search => {
                self.browsed = true;
                self.searched = true;
            }
            EventType::ProductView => {
                self.browsed = true;
                self.views += 1;
                if m.category != NO_CATEGORY && thin[m.category as usize] {
                    self.thin_views += 1;
                }
            }
            _ => {}
        }
    }

    fn close(self, s: &mut CustomerSignals, order_times: &[i64]) {
        s.visits += 1;
        let from = order_times.partition_point(|&t| t < self.first);
        let bought = self.purchase_event
            || order_times.get(from).is_some_and(|&t| t <= self.last + ORDER_GRACE_SECONDS);
        if self.cart {
            s.cart_visits += 1;
            if !bought {
                s.abandoned_carts += 1;
                s.full_price_abandoned_carts += self.cart_full_price as u32;
            }
        }
        if self.checkout && !self.payment && !bought {
            s.abandoned_checkouts += 1;
        }
        if self.payment {
            s.payment_visits += 1;
            s.abandoned_payments += (!bought) as u32;
        }
        if self.browsed {
            s.browse_visits += 1;
            let nothing_found = self.searched && self.views == 0;
            let only_thin = self.views > 0 && self.thin_views == self.views;
            if !bought && (nothing_found || only_thin) {
                s.range_misses += 1;
            }
        }
    }
}
