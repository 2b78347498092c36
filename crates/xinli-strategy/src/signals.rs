//! Per-customer counts of the moments a purchase stalls or a customer is let down, as of a date,
//! from the canonical records: the raw material of barriers and churn drivers.
//!
//! A **visit** is a customer's run of events with one `session_id` (or, without session ids, a
//! run with no silence longer than 30 minutes). A visit **bought** when it holds a `purchase`
//! event or the customer placed an order between its first event and one hour after its last.

use std::collections::HashMap;
use xinli_core::{CustomerId, EventType, OrderStatus, Shop, Subject, Timestamp};

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
    let mut products: HashMap<&str, std::collections::HashSet<&str>> = HashMap::new();
    let pairs = shop
        .products
        .iter()
        .map(|p| (p.category.as_ref(), Some(&p.product_id)))
        .chain(shop.orders.iter().map(|l| (l.category.as_ref(), l.product_id.as_ref())))
        .chain(shop.events.iter().map(|e| (e.category.as_ref(), e.product_id.as_ref())));
    for (category, product) in pairs {
        if let (Some(c), Some(p)) = (category, product) {
            products.entry(c.as_str()).or_default().insert(p.as_str());
        }
    }
    let mut sizes: Vec<usize> = products.values().map(|s| s.len()).collect();
    if sizes.len() < 3 {
        return Vec::new();
    }
    sizes.sort_unstable();
    let median = sizes[sizes.len() / 2];
    let limit = (median / 5).min(median.saturating_sub(1));
    let mut thin: Vec<String> =
        products.iter().filter(|(_, s)| s.len() <= limit).map(|(c, _)| c.to_string()).collect();
    thin.sort();
    thin
}

/// Collects every customer's signals from records up to `as_of` (inclusive).
pub fn collect(shop: &Shop, as_of: Timestamp) -> SignalTable {
    let mut index: HashMap<&CustomerId, usize> = HashMap::new();
    let mut ids: Vec<CustomerId> = Vec::new();
    let thin = thin_categories(shop);
    let thin_set: std::collections::HashSet<&str> = thin.iter().map(|s| s.as_str()).collect();
    let list_price: HashMap<&str, f64> = shop
        .products
        .iter()
        .filter_map(|p| Some((p.product_id.as_str(), p.list_price?.get())))
        .collect();

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
    let mut orders: HashMap<(usize, &str), OrderFacts> = HashMap::new();
    let mut signals: Vec<CustomerSignals> = Vec::new();
    for line in shop.orders.iter().filter(|l| l.ordered_at <= as_of) {
        let c = slot(&line.customer_id, &mut ids, &mut index);
        grow(&mut signals, ids.len());
        let o = orders.entry((c, line.order_id.as_str())).or_insert_with(|| OrderFacts { at: line.ordered_at.unix_seconds(), ..OrderFacts::default() });
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

    // Events, grouped per customer by a counting sort, then into visits.
    let mut event_customer: Vec<u32> = Vec::with_capacity(shop.events.len());
    for e in &shop.events {
        let c = match &e.subject {
            Subject::Customer(id) if e.ts <= as_of => {
                let c = slot(id, &mut ids, &mut index);
                c as u32
            }
            _ => u32::MAX,
        };
        event_customer.push(c);
    }
    grow(&mut signals, ids.len());
    order_times.resize(ids.len(), Vec::new());
    let mut start = vec![0usize; ids.len() + 1];
    for &c in event_customer.iter().filter(|&&c| c != u32::MAX) {
        start[c as usize + 1] += 1;
    }
    for i in 0..ids.len() {
        start[i + 1] += start[i];
    }
    let mut next = start.clone();
    let mut by_customer = vec![0u32; start[ids.len()]];
    for (i, &c) in event_customer.iter().enumerate().filter(|(_, &c)| c != u32::MAX) {
        by_customer[next[c as usize]] = i as u32;
        next[c as usize] += 1;
    }
    drop(event_customer);
    let mut return_requests = vec![0u32; ids.len()];
    for c in 0..ids.len() {
        let events = &mut by_customer[start[c]..start[c + 1]];
        events.sort_by_key(|&i| shop.events[i as usize].ts);
        let mut visit = Visit::default();
        let mut previous: Option<&xinli_core::Event> = None;
        for &i in events.iter() {
            let e = &shop.events[i as usize];
            let new_visit = match previous {
                None => true,
                Some(p) => match (&p.session_id, &e.session_id) {
                    (Some(a), Some(b)) => a != b,
                    _ => e.ts.unix_seconds() - p.ts.unix_seconds() > VISIT_GAP_SECONDS,
                },
            };
            if new_visit && previous.is_some() {
                visit.close(&mut signals[c], &order_times[c]);
                visit = Visit::default();
            }
            visit.add(e, &thin_set, &list_price);
            match e.event_type {
                EventType::Complaint => signals[c].complaints += 1,
                EventType::SupportContact => signals[c].support_contacts += 1,
                EventType::ReturnRequest => return_requests[c] += 1,
                _ => {}
            }
            previous = Some(e);
        }
        if previous.is_some() {
            visit.close(&mut signals[c], &order_times[c]);
        }
    }
    drop(by_customer);

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
    SignalTable { customer_ids: ids, signals, as_of, thin_categories: thin }
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
    fn add(&mut self, e: &xinli_core::Event, thin: &std::collections::HashSet<&str>, list_price: &HashMap<&str, f64>) {
        let ts = e.ts.unix_seconds();
        if self.events == 0 {
            self.first = ts;
        }
        self.last = ts;
        self.events += 1;
        match e.event_type {
            EventType::Purchase => self.purchase_event = true,
            EventType::AddToCart => {
                self.cart = true;
                let list = e.product_id.as_ref().and_then(|p| list_price.get(p.as_str()));
                let full = match (e.value, list) {
                    (Some(shown), Some(&list)) => shown >= list * FULL_PRICE,
                    _ => true,
                };
                self.cart_full_price |= full;
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
                if e.category.as_ref().is_some_and(|c| thin.contains(c.as_str())) {
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
