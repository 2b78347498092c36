//! Edge cases of the funnel rules (module docs of `xinli_journey::funnel`), and a brute-force
//! cross-check on random histories.

use xinli_core::{CustomerId, Event, EventType, Subject, Timestamp};
use xinli_core::Shop;
use xinli_journey::{by_via, funnel, funnel_users, FunnelSteps, JourneyConfig, JourneyFold};

use EventType::{AddToCart as CART, CheckoutStart as CHECKOUT, ProductView as PV, Purchase as BUY};

fn customer(id: &str) -> Subject {
    Subject::Customer(CustomerId::parse(id).unwrap())
}

fn anon(id: &str) -> Subject {
    Subject::Anonymous(CustomerId::parse(id).unwrap())
}

fn ev(subject: &Subject, ts: i64, t: EventType) -> Event {
    Event {
        ts: Timestamp::from_unix_seconds(1_700_000_000 + ts),
        subject: subject.clone(),
        session_id: None,
        event_type: t,
        product_id: None,
        category: None,
        query: None,
        value: None,
        properties: None,
        extra: Vec::new(),
    }
}

fn via(mut e: Event, v: &str) -> Event {
    e.properties = Some(format!("{{\"via\":\"{v}\"}}"));
    e
}

fn counts(events: &[Event], steps: &[EventType], window: i64) -> Vec<u64> {
    funnel(events, steps, window, |_, _| None).steps.iter().map(|s| s.users).collect()
}

#[test]
fn same_second_does_not_follow() {
    let a = customer("a");
    assert_eq!(counts(&[ev(&a, 0, PV), ev(&a, 0, CART)], &[PV, CART], 60), vec![1, 0]);
    assert_eq!(counts(&[ev(&a, 0, PV), ev(&a, 1, CART)], &[PV, CART], 60), vec![1, 1]);
    // Input order within the second does not matter.
    assert_eq!(counts(&[ev(&a, 0, CART), ev(&a, 0, PV)], &[PV, CART], 60), vec![1, 0]);
}

#[test]
fn steps_out_of_order_do_not_count() {
    let a = customer("a");
    let events = [ev(&a, 0, CART), ev(&a, 10, PV), ev(&a, 5, BUY)];
    assert_eq!(counts(&events, &[PV, CART, BUY], 3600), vec![1, 0, 0]);
    // Skipping a step does not count either: cart is needed before buy.
    let events = [ev(&a, 0, PV), ev(&a, 10, BUY), ev(&a, 20, CART)];
    assert_eq!(counts(&events, &[PV, CART, BUY], 3600), vec![1, 1, 0]);
}

#[test]
fn window_is_inclusive_and_measured_from_step_one() {
    let a = customer("a");
    let events = [ev(&a, 0, PV), ev(&a, 50, CART), ev(&a, 100, BUY)];
    assert_eq!(counts(&events, &[PV, CART, BUY], 100), vec![1, 1, 1]);
    assert_eq!(counts(&events, &[PV, CART, BUY], 99), vec![1, 1, 0]);
    assert_eq!(counts(&events, &[PV, CART, BUY], 49), vec![1, 0, 0]);
    // Window 0 (and negative, treated as 0): nothing after step 1.
    assert_eq!(counts(&events, &[PV, CART, BUY], 0), vec![1, 0, 0]);
    assert_eq!(counts(&events, &[PV, CART, BUY], -5), vec![1, 0, 0]);
}

#[test]
fn any_step_one_occurrence_may_start_the_attempt() {
    let a = customer("a");
    // The first view is too early for the cart; the second view starts a successful attempt.
    let events = [ev(&a, 0, PV), ev(&a, 5000, PV), ev(&a, 5100, CART), ev(&a, 5200, BUY)];
    assert_eq!(counts(&events, &[PV, CART, BUY], 3600), vec![1, 1, 1]);
    let users = funnel_users(&events, &[PV, CART, BUY], 3600);
    assert_eq!((users[0].reached, users[0].anchor), (3, 1));
}

#[test]
fn attempt_is_the_first_to_reach_the_furthest_step_then_the_latest_start() {
    let a = customer("a");
    // Two views before one cart: both attempts reach the cart at the same time → latest view.
    let events = [via(ev(&a, 0, PV), "ad"), via(ev(&a, 10, PV), "search"), ev(&a, 20, CART)];
    let r = funnel(&events, &[PV, CART], 3600, by_via);
    assert_eq!(r.breakdown.len(), 1);
    assert_eq!(r.breakdown[0].key, "search");
    // The first attempt reaches the cart first: it is the user's attempt.
    let events = [via(ev(&a, 0, PV), "ad"), ev(&a, 5, CART), via(ev(&a, 10, PV), "search"), ev(&a, 20, CART)];
    let r = funnel(&events, &[PV, CART], 3600, by_via);
    assert_eq!(r.breakdown[0].key, "ad");
    // An attempt reaching further wins over an earlier, shorter one.
    let events = [
        via(ev(&a, 0, PV), "ad"),
        ev(&a, 5, CART),
        via(ev(&a, 4000, PV), "email"),
        ev(&a, 4005, CART),
        ev(&a, 4010, BUY),
    ];
    let r = funnel(&events, &[PV, CART, BUY], 3600, by_via);
    assert_eq!(r.breakdown[0].key, "email");
    assert_eq!(r.breakdown[0].steps[2].users, 1);
    // Same-second step-1 events: the first in the slice.
    let events = [via(ev(&a, 0, PV), "x"), via(ev(&a, 0, PV), "y"), ev(&a, 1, CART)];
    assert_eq!(funnel(&events, &[PV, CART], 60, by_via).breakdown[0].key, "x");
}

#[test]
fn repeated_steps_need_distinct_later_events() {
    let a = customer("a");
    let steps = [PV, PV, CART];
    assert_eq!(counts(&[ev(&a, 0, PV), ev(&a, 1, CART)], &steps, 60), vec![1, 0, 0]);
    assert_eq!(counts(&[ev(&a, 0, PV), ev(&a, 0, PV), ev(&a, 1, CART)], &steps, 60), vec![1, 0, 0]);
    assert_eq!(counts(&[ev(&a, 0, PV), ev(&a, 1, PV), ev(&a, 1, CART)], &steps, 60), vec![1, 1, 0]);
    assert_eq!(counts(&[ev(&a, 0, PV), ev(&a, 1, PV), ev(&a, 2, CART)], &steps, 60), vec![1, 1, 1]);
}

#[test]
fn anonymous_visitors_are_their_own_users() {
    let (c, v) = (customer("7"), anon("7"));
    // The visitor viewed, the customer with the same id bought: no conversion for either.
    let events = [ev(&v, 0, PV), ev(&c, 10, BUY), ev(&c, 20, PV)];
    let r = funnel(&events, &[PV, BUY], 3600, |s, _| Some(matches!(s, Subject::Anonymous(_)).to_string()));
    assert_eq!(r.users_entered, 2);
    assert_eq!(r.steps[1].users, 0);
    let keys: Vec<&str> = r.breakdown.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, vec!["false", "true"]);
}

#[test]
fn figures_and_breakdown() {
    let (a, b, c, d) = (customer("a"), customer("b"), customer("c"), anon("d"));
    let events = [
        via(ev(&a, 0, PV), "ad"),
        ev(&a, 10, CART),
        ev(&a, 20, CHECKOUT),
        via(ev(&b, 0, PV), "ad"),
        ev(&b, 10, CART),
        via(ev(&c, 0, PV), "search"),
        ev(&d, 0, PV),
        ev(&d, 3, CHECKOUT), // skipped the cart
    ];
    let r = funnel(&events, &[PV, CART, CHECKOUT], 3600, by_via);
    let users: Vec<u64> = r.steps.iter().map(|s| s.users).collect();
    assert_eq!(users, vec![4, 2, 1]);
    assert_eq!(r.steps[1].conversion_from_previous, 0.5);
    assert_eq!(r.steps[2].conversion_from_previous, 0.5);
    assert_eq!(r.steps[2].conversion_from_first, 0.25);
    assert_eq!(r.steps[1].drop_off, 2);
    assert_eq!(r.steps[2].drop_off_rate, 0.5);
    assert_eq!(r.steps[0].conversion_from_previous, 1.0);
    assert_eq!(r.users_without_key, 1);
    assert_eq!(r.breakdown.len(), 2);
    assert_eq!(r.breakdown[0].key, "ad");
    assert_eq!(r.breakdown[0].steps.iter().map(|s| s.users).collect::<Vec<_>>(), vec![2, 2, 1]);
    assert_eq!(r.breakdown[1].key, "search");
    assert_eq!(r.breakdown[1].steps.iter().map(|s| s.users).collect::<Vec<_>>(), vec![1, 0, 0]);
    // Serializable.
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains("\"event_type\":\"add_to_cart\""));
    // Nobody entering, no steps.
    let r = funnel(&events, &[BUY, PV], 3600, by_via);
    assert_eq!(r.users_entered, 0);
    assert_eq!(r.steps[1].conversion_from_first, 0.0);
    assert!(funnel(&events, &[], 3600, by_via).steps.is_empty());
}

#[test]
fn input_order_does_not_matter() {
    let (a, b) = (customer("a"), customer("b"));
    let mut events = vec![ev(&a, 0, PV), ev(&b, 1, PV), ev(&a, 2, CART), ev(&b, 3, CART), ev(&a, 9, BUY), ev(&b, 5000, BUY)];
    let before = counts(&events, &[PV, CART, BUY], 3600);
    events.reverse();
    assert_eq!(counts(&events, &[PV, CART, BUY], 3600), before);
    assert_eq!(before, vec![2, 2, 1]);
}

/// Brute force: every combination of distinct events in strictly increasing time.
fn brute_level(times: &[(i64, EventType)], steps: &[EventType], window: i64) -> usize {
    fn go(times: &[(i64, EventType)], steps: &[EventType], k: usize, start: i64, last: i64, window: i64) -> usize {
        let mut best = k;
        if k == steps.len() {
            return k;
        }
        for &(t, e) in times {
            if e == steps[k] && t > last && t - start <= window {
                best = best.max(go(times, steps, k + 1, start, t, window));
            }
        }
        best
    }
    let mut best = 0;
    for &(t, e) in times {
        if e == steps[0] {
            best = best.max(go(times, steps, 1, t, t, window));
        }
    }
    best
}

/// A small deterministic generator (no rand dependency): `next(m)` is in 0..m.
fn generator(mut state: u64) -> impl FnMut(u64) -> u64 {
    move |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    }
}

#[test]
fn random_histories_match_brute_force() {
    let mut next = generator(0x2545_f491_4f6c_dd1d);
    let types = [PV, CART, BUY, CHECKOUT];
    let step_sets: [&[EventType]; 4] = [&[PV, CART, BUY], &[PV, PV, BUY], &[CART, PV, CART, BUY], &[PV, CHECKOUT]];
    for round in 0..300 {
        let users: Vec<Subject> = (0..5).map(|u| if u % 2 == 0 { customer(&format!("u{u}")) } else { anon(&format!("u{u}")) }).collect();
        let mut events = Vec::new();
        for u in &users {
            for _ in 0..next(9) {
                events.push(ev(u, next(40) as i64, types[next(4) as usize]));
            }
        }
        let steps = step_sets[round % step_sets.len()];
        let window = next(25) as i64;
        let got = funnel_users(&events, steps, window);
        for u in &users {
            let times: Vec<(i64, EventType)> =
                events.iter().filter(|e| &e.subject == u).map(|e| (e.ts.unix_seconds(), e.event_type)).collect();
            let want = brute_level(&times, steps, window);
            let have = got.iter().find(|g| &g.subject == u).map_or(0, |g| g.reached);
            assert_eq!(have, want, "round {round} user {u:?} steps {steps:?} window {window}: {times:?}");
        }
    }
}

#[test]
fn breakdown_by_customer_key_and_first_order_channel() {
    use xinli_core::{Money, OrderId, OrderLine, OrderStatus, Quantity};
    let line = |c: &str, ts: i64, channel: Option<&str>, status| OrderLine {
        channel: channel.map(str::to_string),
        status,
        ..OrderLine::new(
            OrderId::parse(&format!("{c}{ts}")).unwrap(),
            CustomerId::parse(c).unwrap(),
            Timestamp::from_unix_seconds(ts),
            Quantity::new(1.0).unwrap(),
            Money::ZERO,
        )
    };
    let orders = [
        line("a", 50, Some("app"), OrderStatus::Completed),
        line("a", 10, Some("web"), OrderStatus::Completed),
        line("a", 5, Some("mini"), OrderStatus::Cancelled),
        line("b", 10, None, OrderStatus::Completed),
        line("b", 20, Some(" app "), OrderStatus::Completed),
    ];
    let channels = xinli_journey::first_order_channel(&orders);
    assert_eq!(channels.get(&CustomerId::parse("a").unwrap()).map(String::as_str), Some("web"));
    assert_eq!(channels.get(&CustomerId::parse("b").unwrap()).map(String::as_str), Some("app"));
    let (a, b, c, v) = (customer("a"), customer("b"), customer("c"), anon("a"));
    let events = [ev(&a, 0, PV), ev(&a, 5, BUY), ev(&b, 0, PV), ev(&c, 0, PV), ev(&v, 0, PV)];
    let r = funnel(&events, &[PV, BUY], 60, xinli_journey::by_customer(&channels));
    let groups: Vec<(&str, Vec<u64>)> =
        r.breakdown.iter().map(|g| (g.key.as_str(), g.steps.iter().map(|s| s.users).collect())).collect();
    assert_eq!(groups, vec![("app", vec![1, 0]), ("web", vec![1, 1])]);
    assert_eq!(r.users_without_key, 2); // c (no order) and the anonymous visitor
}

#[test]
fn the_journey_log_gives_the_same_funnel_as_the_funnel_fold() {
    let mut next = generator(0x9e37_79b9_7f4a_7c15);
    // Non-step types and events after the journey's analysis date are in the log too.
    let types = [PV, CART, BUY, CHECKOUT, EventType::Search, EventType::PageView];
    let step_sets: [&[EventType]; 3] = [&[PV, CART, CHECKOUT, BUY], &[PV, PV, BUY], &[CART, PV, CART, BUY]];
    for round in 0..200 {
        let users: Vec<Subject> = (0..6).map(|u| if u % 3 == 0 { anon(&format!("u{u}")) } else { customer(&format!("u{u}")) }).collect();
        let mut events = Vec::new();
        for _ in 0..next(40) {
            events.push(ev(&users[next(6) as usize], next(50) as i64, types[next(6) as usize]));
        }
        let steps = step_sets[round % step_sets.len()];
        let window = next(30) as i64;
        let want: Vec<(Subject, usize)> = funnel_users(&events, steps, window).into_iter().map(|u| (u.subject, u.reached)).collect();
        let mut journeys = JourneyFold::new(Timestamp::from_unix_seconds(1_700_000_025), &JourneyConfig::default());
        for e in &events {
            journeys.observe(e);
        }
        let (_, mut have) = journeys.finish_with_funnel(&Shop::default(), Some(&FunnelSteps::new(steps, window)));
        let key = |(s, _): &(Subject, usize)| format!("{s:?}");
        let mut want = want;
        want.sort_by_key(key);
        have.sort_by_key(key);
        assert_eq!(have, want, "round {round} steps {steps:?} window {window}");
    }
}
