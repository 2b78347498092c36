use xinli_segment::*;

fn rec(pairs: &[(&str, Scalar)]) -> MapRecord {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn t(e: &str, r: &MapRecord) -> Option<bool> {
    Expression::parse(e)
        .unwrap_or_else(|err| panic!("{err}"))
        .eval(r)
}

fn customer() -> MapRecord {
    rec(&[
        ("trait_price_sensitivity", 0.8.into()),
        ("churn_risk", 0.6.into()),
        ("rfm_segment", "At risk".into()),
        ("city", "上海".into()),
        ("orders", 3.0.into()),
        ("vip", true.into()),
        ("age", Scalar::Null),
        ("T", 40.0.into()),
        ("recency", 10.0.into()),
    ])
}

#[test]
fn the_issue_example() {
    let e = r#"trait_price_sensitivity > 0.7 and churn_risk > 0.5 and rfm_segment in ["At risk", "Can't lose"]"#;
    assert_eq!(t(e, &customer()), Some(true));
    let schema = Schema::customers();
    let c = Expression::compile(e, Some(&schema)).unwrap();
    assert!(c.matches(&customer()));
    assert_eq!(
        c.fields(),
        vec!["trait_price_sensitivity", "churn_risk", "rfm_segment"]
    );
}

#[test]
fn precedence_not_and_or() {
    // and binds tighter than or; not tighter than and.
    let e = Expression::parse("a = 1 or b = 2 and c = 3").unwrap();
    match e.ast() {
        Expr::Or(items) => {
            assert_eq!(items.len(), 2);
            assert!(matches!(items[1], Expr::And(_)));
        }
        other => panic!("{other:?}"),
    }
    let e = Expression::parse("not a = 1 and b = 2").unwrap();
    match e.ast() {
        Expr::And(items) => assert!(matches!(items[0], Expr::Not(_))),
        other => panic!("{other:?}"),
    }
    let r = customer();
    assert_eq!(
        t("orders = 1 or orders = 3 and churn_risk > 0.9", &r),
        Some(false)
    );
    assert_eq!(
        t("(orders = 1 or orders = 3) and churn_risk > 0.5", &r),
        Some(true)
    );
    assert_eq!(
        t("orders = 3 or churn_risk > 0.9 and orders = 1", &r),
        Some(true)
    );
    assert_eq!(t("not orders = 3 or vip", &r), Some(true));
    assert_eq!(t("not (orders = 3 or vip)", &r), Some(false));
    assert_eq!(t("not not vip", &r), Some(true));
    // Chains flatten.
    match Expression::parse("a and b and c or d or e").unwrap().ast() {
        Expr::Or(items) => assert_eq!(items.len(), 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn all_operators() {
    let r = customer();
    for (e, want) in [
        ("orders = 3", true),
        ("orders == 3", true),
        ("orders != 3", false),
        ("orders <> 2", true),
        ("orders ≠ 2", true),
        ("orders < 3", false),
        ("orders <= 3", true),
        ("orders ≤ 3", true),
        ("orders > 2.5", true),
        ("orders >= 3", true),
        ("orders ≥ 4", false),
        ("orders in [1, 2, 3]", true),
        ("orders not in [1, 2, 3]", false),
        ("orders in []", false),
        ("orders in [1, 2,]", false),
        ("orders between 3 and 5", true),
        ("orders between 1 and 2", false),
        ("orders not between 1 and 2", true),
        ("recency between 0 and T", true),
        ("age is null", true),
        ("age is not null", false),
        ("missing_field is null", true),
        ("orders is NOT NULL", true),
        ("vip", true),
        ("vip = true", true),
        ("vip != false", true),
        ("true", true),
        ("false or vip", true),
        ("recency < T", true),
        ("rfm_segment >= 'At'", true),
        ("rfm_segment = 'at risk'", false),
        ("orders = -3", false),
        ("orders > -1e3", true),
        ("orders < .5e1", true),
        ("ORDERS_x is null AND orders = 3", true),
    ] {
        assert_eq!(t(e, &r), Some(want), "{e}");
    }
}

#[test]
fn aliases() {
    let r = customer();
    for e in [
        "orders = 3 && vip",
        "orders = 3 且 vip",
        "orders = 3 AND vip",
        "orders = 1 || vip",
        "orders = 1 或 vip",
        "orders = 1 OR vip",
        "!(orders = 1)",
        "非 orders = 1",
        "非（orders = 1）",
        "city in 【\"上海\"，\"北京\"】",
        "city in [\"北京\"、\"上海\"]",
        "city = “上海”",
        "NOT orders = 1",
    ] {
        assert_eq!(t(e, &r), Some(true), "{e}");
    }
}

#[test]
fn quoting_and_escapes() {
    let r = rec(&[
        ("name", "Can't lose".into()),
        ("q", "say \"hi\"\n".into()),
        ("weird field", 1.0.into()),
        ("in", 2.0.into()),
        ("T", 5.0.into()),
        ("u", "é中".into()),
        ("bs", "a\\b".into()),
    ]);
    for e in [
        r#"name = "Can't lose""#,
        r#"name = 'Can\'t lose'"#,
        r#"q = "say \"hi\"\n""#,
        "q = 'say \"hi\"\\n'",
    ] {
        assert_eq!(t(e, &r), Some(true), "{e}");
    }
    assert_eq!(t("`weird field` = 1", &r), Some(true));
    assert_eq!(t("`in` = 2", &r), Some(true));
    assert_eq!(t("`T` = 5 and T = 5", &r), Some(true));
    assert_eq!(t(r#"u = "\u{e9}\u{4E2D}""#, &r), Some(true));
    assert_eq!(t(r#"u = "é中""#, &r), Some(true));
    assert_eq!(t(r#"bs = "a\\b""#, &r), Some(true));
    assert_eq!(t("bs = 'a\\\\b'", &r), Some(true));
    assert_eq!(t("q != '\\t\\r'", &r), Some(true));
}

#[test]
fn null_semantics_are_three_valued() {
    let r = customer(); // age is null
    assert_eq!(t("age > 30", &r), None);
    assert_eq!(t("age <= 30", &r), None);
    assert_eq!(t("not age > 30", &r), None);
    assert_eq!(t("age in [30, 40]", &r), None);
    assert_eq!(t("age not in [30, 40]", &r), None);
    assert_eq!(t("age between 1 and 99", &r), None);
    assert_eq!(t("orders between age and 10", &r), None);
    // Kleene logic: false and unknown = false; true or unknown = true.
    assert_eq!(t("age > 30 and orders = 1", &r), Some(false));
    assert_eq!(t("age > 30 and orders = 3", &r), None);
    assert_eq!(t("age > 30 or orders = 3", &r), Some(true));
    assert_eq!(t("age > 30 or orders = 1", &r), None);
    assert_eq!(t("age is null or age > 30", &r), Some(true));
    // Unknown is not a match, for the expression and for its negation.
    let e = Expression::parse("age > 30").unwrap();
    let n = Expression::parse("not age > 30").unwrap();
    assert!(!e.matches(&r) && !n.matches(&r));
    // Without a schema, comparing different types at run time is unknown.
    assert_eq!(t("city > 3", &r), None);
    assert_eq!(t("orders = '3'", &r), None);
    assert_eq!(t("orders", &r), None);
}
