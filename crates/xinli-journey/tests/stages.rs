//! One test per rule of the journey-stage table, plus boundaries, sessions and real data.

use std::path::Path;

use xinli_core::{CustomerId, Event, EventType, Money, OrderId, OrderLine, OrderStatus, Quantity, Review, ReviewId, Shop, Subject, Timestamp};
use xinli_journey::{journey_stages, CustomerJourney, JourneyConfig, JourneyStage};

use EventType::*;

const T0: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

fn customer(id: &str) -> Subject {
    Subject::Customer(CustomerId::parse(id).unwrap())
}

fn ev(subject: &Subject, ts: i64, t: EventType, session: Option<&str>) -> Event {
    Event {
        ts: Timestamp::from_unix_seconds(T0 + ts),
        subject: subject.clone(),
        session_id: session.map(str::to_string),
        event_type: t,
        product_id: None,
        category: None,
        query: None,
        value: None,
        properties: None,
        extra: Vec::new(),
    }
}

fn order(id: &str, ts: i64, status: OrderStatus) -> OrderLine {
    OrderLine {
        status,
        ..OrderLine::new(
            OrderId::parse(&format!("{id}-{ts}")).unwrap(),
            CustomerId::parse(id).unwrap(),
            Timestamp::from_unix_seconds(T0 + ts),
            Quantity::new(1.0).unwrap(),
            Money::ZERO,
        )
    }
}

/// The stage of the only subject in `events` at `as_of` (seconds after T0).
fn stage_of(shop: &Shop, as_of: i64) -> CustomerJourney {
    let out = journey_stages(shop, Timestamp::from_unix_seconds(T0 + as_of), &JourneyConfig::default());
    assert_eq!(out.len(), 1, "{out:?}");
    out.into_iter().next().unwrap()
}

fn events(list: Vec<Event>) -> Shop {
    Shop { events: list, ..Default::default() }
}

#[test]
fn rule_1_dormant_after_more_than_dormant_days() {
    let a = customer("a");
    let shop = events(vec![ev(&a, 0, ProductView, None), ev(&a, 60, AddToCart, None)]);
    let j = stage_of(&shop, 60 + 30 * DAY);
    assert_eq!((j.stage, j.rule), (JourneyStage::Evaluation, 4), "exactly 30 days: not yet dormant");
    let j = stage_of(&shop, 60 + 30 * DAY + 1);
    assert_eq!((j.stage, j.rule), (JourneyStage::Dormant, 1));
}

#[test]
fn rule_2_purchase_in_latest_session() {
    let a = customer("a");
    // Checkout started in the latest session, not finished: purchase stage.
    let shop = events(vec![ev(&a, 0, ProductView, None), ev(&a, 100, CheckoutStart, None)]);
    assert_eq!(stage_of(&shop, 200).stage, JourneyStage::Purchase);
    // A completed order line alone (no events) also counts.
    let shop = Shop { orders: vec![order("a", 0, OrderStatus::Completed)], ..Default::default() };
    assert_eq!(stage_of(&shop, 100).stage, JourneyStage::Purchase);
    // Cancelled order lines are not activity at all.
    let shop = Shop { orders: vec![order("a", 0, OrderStatus::Cancelled)], ..Default::default() };
    assert!(journey_stages(&shop, Timestamp::from_unix_seconds(T0 + 100), &JourneyConfig::default()).is_empty());
}

#[test]
fn rule_3_post_purchase_after_service_activity_or_none() {
    let a = customer("a");
    let mut list = vec![ev(&a, 0, ProductView, None), ev(&a, 60, Purchase, None), ev(&a, 2 * DAY, SupportContact, None)];
    let j = stage_of(&events(list.clone()), 3 * DAY);
    assert_eq!((j.stage, j.rule), (JourneyStage::PostPurchase, 3));
    assert_eq!(j.last_purchase, Some(Timestamp::from_unix_seconds(T0 + 60)));
    // A written review and a return request keep it there.
    let mut shop = events(list.clone());
    shop.reviews.push(Review {
        review_id: ReviewId::parse("r1").unwrap(),
        customer_id: Some(CustomerId::parse("a").unwrap()),
        product_id: None,
        ts: Timestamp::from_unix_seconds(T0 + 4 * DAY),
        rating: Some(5),
        text: "好".into(),
        language: None,
        extra: Vec::new(),
    });
    assert_eq!(stage_of(&shop, 5 * DAY).stage, JourneyStage::PostPurchase);
    // Past post_purchase_days (14): the customer is between cycles.
    let j = stage_of(&events(list.clone()), 60 + 14 * DAY + 1);
    assert_eq!((j.stage, j.rule), (JourneyStage::NeedRecognition, 6));
    // Browsing again after the purchase starts a new cycle.
    list.push(ev(&a, 3 * DAY, Search, None));
    list.push(ev(&a, 3 * DAY + 10, ProductView, None));
    assert_eq!(stage_of(&events(list), 3 * DAY + 100).stage, JourneyStage::InformationSearch);
}

#[test]
fn rule_4_evaluation_in_latest_sessions_after_last_purchase() {
    let a = customer("a");
    // Compare in the session before the latest one (named sessions), browsing in the latest.
    let shop = events(vec![
        ev(&a, 0, Compare, Some("s1")),
        ev(&a, DAY, ProductView, Some("s2")),
        ev(&a, DAY + 5, ProductView, Some("s2")),
    ]);
    assert_eq!(stage_of(&shop, DAY + 100).stage, JourneyStage::Evaluation);
    // Three sessions back is too far: only the latest two count.
    let shop = events(vec![
        ev(&a, 0, Wishlist, None),
        ev(&a, DAY, ProductView, None),
        ev(&a, 2 * DAY, ProductView, None),
    ]);
    assert_eq!(stage_of(&shop, 2 * DAY + 100).stage, JourneyStage::InformationSearch);
    // An abandoned checkout in the previous session is evaluation (latest session has none).
    let shop = events(vec![ev(&a, 0, CheckoutStart, None), ev(&a, DAY, ProductView, None)]);
    assert_eq!(stage_of(&shop, DAY + 100).stage, JourneyStage::Evaluation);
    // Cart adds before the last purchase belonged to that purchase.
    let shop = events(vec![
        ev(&a, 0, AddToCart, None),
        ev(&a, 60, Purchase, None),
        ev(&a, 20 * DAY, ProductView, None),
    ]);
    let j = stage_of(&shop, 20 * DAY + 100);
    assert_eq!((j.stage, j.considered_events), (JourneyStage::InformationSearch, 1));
}

#[test]
fn rule_5_and_6_search_share() {
    let a = customer("a");
    // 1 product view among 3 page views: 25% < 50% → need recognition.
    let shop = events(vec![
        ev(&a, 0, PageView, None),
        ev(&a, 10, PageView, None),
        ev(&a, 20, PageView, None),
        ev(&a, 30, ProductView, None),
    ]);
    assert_eq!(stage_of(&shop, 100).stage, JourneyStage::NeedRecognition);
    // 2 of 4: exactly the share → information search.
    let shop = events(vec![
        ev(&a, 0, CampaignClick, None),
        ev(&a, 10, PageView, None),
        ev(&a, 20, Search, None),
        ev(&a, 30, ProductView, None),
    ]);
    assert_eq!(stage_of(&shop, 100).stage, JourneyStage::InformationSearch);
    // A first visit from a campaign: need recognition.
    let shop = events(vec![ev(&a, 0, CampaignOpen, None), ev(&a, 10, PageView, None)]);
    let j = stage_of(&shop, 100);
    assert_eq!((j.stage, j.rule, j.considered_events), (JourneyStage::NeedRecognition, 6, 2));
}

#[test]
fn events_after_as_of_are_ignored_and_anonymous_listed_separately() {
    let (a, v) = (customer("x"), Subject::Anonymous(CustomerId::parse("x").unwrap()));
    let shop = events(vec![ev(&a, 0, ProductView, None), ev(&a, 500, Purchase, None), ev(&v, 0, PageView, None)]);
    let out = journey_stages(&shop, Timestamp::from_unix_seconds(T0 + 100), &JourneyConfig::default());
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].anonymous, out[0].stage), (false, JourneyStage::InformationSearch));
    assert_eq!((out[1].anonymous, out[1].stage), (true, JourneyStage::NeedRecognition));
    let json = serde_json::to_string(&out[0]).unwrap();
    assert!(json.contains("\"stage\":\"information_search\""), "{json}");
}

#[test]
fn taobao_head_stages() {
    let path = Path::new("/work/shared/data/taobao_user_behavior/UserBehavior_head_first43users.csv");
    if !path.exists() {
        eprintln!("skipped: {} not on this machine", path.display());
        return;
    }
    let shop = xinli_ingest::import_preset(xinli_ingest::Preset::Taobao, &[path], &Default::default()).unwrap().shop;
    // The data set's last day, 2017-12-03 (China time), ends at 2017-12-03 16:00 UTC.
    let as_of = Timestamp::from_unix_seconds(1_512_316_800);
    let out = journey_stages(&shop, as_of, &JourneyConfig::default());
    assert_eq!(out.len(), 43);
    let mut tally = std::collections::BTreeMap::new();
    for j in &out {
        *tally.entry(j.stage.name()).or_insert(0) += 1;
    }
    println!("Taobao head, 43 users at {as_of}: {tally:?}");
    // No page views or searches in Taobao: only product views, carts, favourites, buys.
    assert!(!tally.contains_key("need_recognition"));
    assert_eq!(tally.values().sum::<i32>(), 43);
}

/// `stage_of_one` (a live profile's path) gives what the fold gives the same lone customer, over
/// pseudo-random histories: event types of every rule, named and unnamed sessions, gaps around
/// the session and dormancy bounds, events after `as_of`, several events in one second.
#[test]
fn one_customer_path_matches_the_fold() {
    const TYPES: [EventType; 9] = [ProductView, Search, ReviewRead, Compare, AddToCart, CheckoutStart, Purchase, Share, CouponClaim];
    const GAPS: [i64; 6] = [0, 1, 600, 1_900, 3 * DAY, 20 * DAY];
    let a = customer("a");
    let mut state: u64 = 7;
    let mut next = |n: usize| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % n
    };
    let mut stages = std::collections::BTreeSet::new();
    for _ in 0..2_000 {
        let mut ts = 0;
        let list: Vec<Event> = (0..1 + next(12))
            .map(|_| {
                ts += GAPS[next(GAPS.len())];
                let session = [None, Some("s1"), Some("s2"), Some(" ")][next(4)];
                ev(&a, ts, TYPES[next(TYPES.len())], session)
            })
            .collect();
        let as_of = Timestamp::from_unix_seconds(T0 + ts + [-DAY, 0, 60, 10 * DAY, 40 * DAY][next(5)]);
        let config = JourneyConfig::default();
        let fold = journey_stages(&events(list.clone()), as_of, &config).first().map(|j| j.stage);
        let one = xinli_journey::stage_of_one(as_of, &config, list.iter().map(|e| (e.ts.unix_seconds(), e.event_type, xinli_journey::session_key(e.session_id.as_deref()))));
        assert_eq!(one, fold, "{list:?} at {as_of:?}");
        stages.insert(format!("{one:?}"));
    }
    assert!(stages.len() >= 6, "the histories reach most stages: {stages:?}");
}
