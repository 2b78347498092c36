//! The segment preview computed by the database (the expression compiled to SQL) against the
//! Rust evaluator over every profile, on both backends: random expressions over every field
//! kind (live counters, RFM from order times, dates, labels, raw signals, typed score columns,
//! score fields read from the row's JSON) and every operator, on a generated store.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use xinli_core::EventType;
use xinli_segment::{Expression, Type};
use xinli_store::testdb::TestDb;
use xinli_store::{
    live_schema, now_ms, AnalysisOutput, Message, MessageKind, OrderInput, OrderLineInput, OrderState, PiiCipher, PreviewMethod, ReviewInput,
    ScoreInput, Store,
};

const DAY: i64 = 86_400_000;
const CUSTOMERS: usize = 60;

/// Texts literals are drawn from: values the data holds and injection-shaped strings.
const TEXTS: [&str; 12] = [
    "u1", "u7", "anon-3", "info_seeker", "balanced", "win_back", "joy", "", "2026-01-01", "x' OR '1'='1", "'); DROP TABLE profiles; --", "%",
];

/// A store of `CUSTOMERS` customers with random events, orders (some reversed), reviews,
/// anonymous-only visitors, and the scores of an analysis for two thirds of them.
fn generated_store(db: &TestDb, rng: &mut StdRng) -> Store {
    let mut s = Store::open(&db.location(), PiiCipher::new([5; 32], &[])).unwrap();
    let start = now_ms() - 60 * DAY;
    let mut messages = Vec::new();
    for c in 0..CUSTOMERS {
        let (user, anon) = if c % 5 == 3 { (None, Some(format!("anon-{c}"))) } else { (Some(format!("u{c}")), None) };
        for e in 0..rng.gen_range(0..12) {
            let ts = start + rng.gen_range(0..60 * DAY);
            let id = format!("m{c}-{e}");
            let mut m = Message::new(&id, MessageKind::Track, user.as_deref(), anon.as_deref(), ts);
            match (rng.gen_range(0..10), &user) {
                (0 | 1, Some(_)) => {
                    let state = [OrderState::Completed, OrderState::Completed, OrderState::Returned][rng.gen_range(0..3)];
                    let coupon = rng.gen_bool(0.3).then(|| "SAVE".to_string());
                    let line = OrderLineInput { product_id: Some("p".into()), category: None, quantity: 1.0, unit_price: rng.gen_range(1..400) as f64 / 4.0, coupon_code: coupon, details: Default::default() };
                    // A returned order is first completed, then reversed by a second message.
                    let order_id = format!("o{c}-{e}");
                    m.event_type = Some(EventType::Purchase);
                    m.order = Some(OrderInput { order_id: order_id.clone(), state: OrderState::Completed, lines: vec![line] });
                    if state == OrderState::Returned {
                        let mut back = Message::new(&format!("{id}r"), MessageKind::Track, user.as_deref(), None, ts + DAY);
                        back.order = Some(OrderInput { order_id, state, lines: Vec::new() });
                        messages.push(m);
                        m = back;
                    }
                }
                (2, Some(_)) => {
                    m.review = Some(ReviewInput { review_id: format!("r{c}-{e}"), product_id: None, rating: Some(rng.gen_range(1..6)), text: "ok".into(), language: None, extra: None });
                }
                (3, _) => m.kind = MessageKind::Identify,
                _ => {
                    let t = EventType::ALL[rng.gen_range(0..EventType::ALL.len())];
                    m.event_type = Some(t);
                    m.name = Some(t.name().into());
                    m.session_id = Some(format!("s{}", e / 3));
                }
            }
            messages.push(m);
        }
    }
    s.ingest(&messages).unwrap();
    let cids: Vec<(i64, String)> = s
        .raw_query("SELECT cid, COALESCE(user_id, '') FROM customers ORDER BY cid", &[])
        .unwrap()
        .iter()
        .map(|r| (r.int(0), r.text(1)))
        .collect();
    let scored: Vec<(i64, String)> = cids.into_iter().filter(|(_, id)| !id.is_empty() && rng.gen_bool(0.67)).collect();
    let rows: Vec<ScoreInput> = scored
        .into_iter()
        .map(|(cid, id)| {
            let mut row = serde_json::Map::new();
            row.insert("customer_id".into(), id.clone().into());
            for (name, ty) in live_schema().fields() {
                if name == "customer_id" || rng.gen_bool(0.2) {
                    continue; // missing: null
                }
                let value = match ty {
                    Type::Number if name.starts_with("rfm_") || name == "frequency" || name == "orders" => rng.gen_range(0..6).into(),
                    Type::Number => (rng.gen_range(0..2000) as f64 / 1000.0).into(),
                    _ => TEXTS[rng.gen_range(0..TEXTS.len())].into(),
                };
                row.insert(name.to_string(), value);
            }
            ScoreInput { cid, customer_id: id, row }
        })
        .collect();
    s.write_analysis(AnalysisOutput {
        run_id: None,
        source: "test".into(),
        as_of: None,
        scores: Box::new(rows.into_iter().map(Ok)),
        evidence: Box::new(std::iter::empty()),
        recommendations: Box::new(std::iter::empty()),
        artifacts: Vec::new(),
    })
    .unwrap();
    s
}

/// A literal of `ty` in the expression language.
fn literal(rng: &mut StdRng, ty: Type) -> String {
    match ty {
        Type::Number => format!("{}", [0.0, 1.0, 2.0, 0.5, 0.25, 3.0, 17.5, 60.0, 100.0][rng.gen_range(0..9)] * if rng.gen_bool(0.1) { -1.0 } else { 1.0 }),
        _ => format!("\"{}\"", TEXTS[rng.gen_range(0..TEXTS.len())].replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// A random predicate over `fields` (name, type), or a combination of them.
fn predicate(rng: &mut StdRng, fields: &[(String, Type)], depth: usize) -> String {
    if depth > 0 && rng.gen_bool(0.35) {
        let (a, b) = (predicate(rng, fields, depth - 1), predicate(rng, fields, depth - 1));
        return match rng.gen_range(0..3) {
            0 => format!("({a} and {b})"),
            1 => format!("({a} or {b})"),
            _ => format!("not ({a})"),
        };
    }
    let (name, ty) = &fields[rng.gen_range(0..fields.len())];
    let same_type: Vec<&String> = fields.iter().filter(|(_, t)| t == ty).map(|(n, _)| n).collect();
    match rng.gen_range(0..8) {
        0 => {
            let op = ["=", "!=", "<", "<=", ">", ">="][rng.gen_range(0..6)];
            format!("{name} {op} {}", literal(rng, *ty))
        }
        1 => {
            let op = ["=", "!=", "<", ">="][rng.gen_range(0..4)];
            format!("{} {op} {name}", literal(rng, *ty))
        }
        2 => format!("{name} {} {}", ["<", "=", ">="][rng.gen_range(0..3)], same_type[rng.gen_range(0..same_type.len())]),
        3 => {
            let items: Vec<String> = (0..rng.gen_range(0..4)).map(|_| literal(rng, *ty)).collect();
            format!("{name} {}in [{}]", if rng.gen_bool(0.4) { "not " } else { "" }, items.join(", "))
        }
        4 => format!("{name} {}between {} and {}", if rng.gen_bool(0.4) { "not " } else { "" }, literal(rng, *ty), literal(rng, *ty)),
        5 => format!("{name} between {} and {}", literal(rng, *ty), same_type[rng.gen_range(0..same_type.len())]),
        6 => format!("{name} is {}null", if rng.gen_bool(0.5) { "not " } else { "" }),
        _ => format!("({} or {name} > {})", ["1 < 2", "1 > 2", "'a' = 'b'"][rng.gen_range(0..3)], literal(rng, *ty)),
    }
}

fn sql_preview_agrees_with_the_evaluator(db: &TestDb) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut s = generated_store(db, &mut rng);
    let compiled: Vec<(String, Type)> =
        live_schema().fields().filter(|(n, _)| *n != "journey_stage").map(|(n, t)| (n.to_string(), t)).collect();
    let mut members_seen = 0;
    for round in 0..400 {
        let src = predicate(&mut rng, &compiled, 2);
        let expr = Expression::compile(&src, Some(&live_schema())).unwrap_or_else(|e| panic!("{src}: {}", e.render_en()));
        let by_sql = s.preview_segment(&expr, 1000, Some(1000)).unwrap();
        let by_rust = s.scan_segment(&expr, 1000).unwrap();
        assert_eq!(by_sql.method, PreviewMethod::Sql, "round {round}: {src}");
        assert_eq!((by_sql.size, &by_sql.members, by_sql.scanned), (by_rust.size, &by_rust.members, by_rust.scanned), "round {round}: {src}");
        members_seen += by_sql.size;
    }
    assert!(members_seen > 0, "the expressions select someone");
    // journey_stage is not compiled: its other conjuncts prefilter, the evaluator decides.
    let expr = Expression::compile("journey_stage != 'dormant' and orders >= 1", Some(&live_schema())).unwrap();
    let mixed = s.preview_segment(&expr, 1000, Some(1000)).unwrap();
    assert_eq!((mixed.method, mixed.exact), (PreviewMethod::Scan, true));
    assert_eq!(mixed.members, s.scan_segment(&expr, 1000).unwrap().members);
    assert!(mixed.evaluated < mixed.scanned, "only the candidates with an order were evaluated");
    let sampled = s.preview_segment(&Expression::compile("journey_stage != 'dormant'", Some(&live_schema())).unwrap(), 10, Some(20)).unwrap();
    assert_eq!((sampled.method, sampled.exact), (PreviewMethod::Sample, false));
    assert!(sampled.evaluated <= 20 + 1, "{} evaluated", sampled.evaluated);
    assert_eq!(s.table_counts().unwrap().iter().find(|(t, _)| *t == "profiles").map(|(_, n)| *n), Some(sampled.scanned), "injection-shaped literals changed nothing");
}

#[test]
fn sqlite_sql_preview_agrees_with_the_evaluator() {
    sql_preview_agrees_with_the_evaluator(&TestDb::sqlite());
}

#[test]
fn postgres_sql_preview_agrees_with_the_evaluator() {
    let db = TestDb::postgres().expect("PostgreSQL at 127.0.0.1:5432 (user postgres) is needed: scripts/test.sh starts it");
    sql_preview_agrees_with_the_evaluator(&db);
}
