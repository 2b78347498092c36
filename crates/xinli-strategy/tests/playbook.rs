//! The default playbook picks the expected actions, and bad playbooks fail with positions.

use xinli_segment::{MapRecord, Scalar};
use xinli_strategy::{lifecycle, Lang, Playbook, PlaybookError, DEFAULT_PLAYBOOK_TOML};

fn customer(fields: &[(&str, Scalar)]) -> MapRecord {
    fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn default() -> Playbook {
    Playbook::default_with(&lifecycle::schema()).expect("the built-in playbook compiles")
}

#[test]
fn the_default_playbook_picks_the_expected_actions() {
    let p = default();
    let t = |s: &str| Scalar::Text(s.into());
    let n = Scalar::Number;
    let cases: Vec<(MapRecord, &str, &str)> = vec![
        (
            customer(&[("value_tier", t("high")), ("churn_risk", n(0.7)), ("clv", n(1234.4)), ("lifecycle", t("at_risk")), ("persona", t("price_sensitive"))]),
            "vip_care",
            "high-value customer (CLV 1234) with 70% churn risk: personal VIP care",
        ),
        (
            customer(&[("value_tier", t("mid")), ("main_barrier", t("logistics")), ("lifecycle", t("lapsed")),
                ("barrier_evidence_en", t("3 of 4 orders delivered after the promised date")), ("barrier_evidence_zh", t("4 单中 3 单晚于承诺送达"))]),
            "delivery_guarantee",
            "3 of 4 orders delivered after the promised date: apologise and promise on-time delivery",
        ),
        (customer(&[("main_barrier", t("trust")), ("lifecycle", t("active"))]), "trust_reassurance", ""),
        (customer(&[("main_barrier", t("price"))]), "price_drop_alert", ""),
        (customer(&[("main_barrier", t("quality"))]), "quality_assurance", ""),
        (customer(&[("main_barrier", t("service"))]), "service_recovery", ""),
        (customer(&[("main_barrier", t("range"))]), "range_suggestions", ""),
        (
            customer(&[("lifecycle", t("lapsed")), ("persona", t("price_sensitive")), ("days_since_last_purchase", n(120.0)), ("signal_discount_line_share", n(0.71))]),
            "win_back",
            "no purchase for 120 days, 71% of items bought on discount: win back with a coupon",
        ),
        (customer(&[("lifecycle", t("lapsed")), ("persona", t("info_seeker")), ("days_since_last_purchase", n(95.0)), ("orders", n(2.0))]), "win_back", "no purchase for 95 days after 2 orders: send a win-back message"),
        (customer(&[("lifecycle", t("new")), ("persona", t("novelty_seeker")), ("days_since_first_purchase", n(3.0))]), "onboarding", "first purchase 3 days ago: onboard and suggest a second order"),
        (customer(&[("lifecycle", t("prospect")), ("sessions", n(4.0))]), "first_purchase_offer", "4 visits without a purchase: first-purchase offer"),
        (customer(&[("lifecycle", t("active")), ("persona", t("info_seeker")), ("signal_research_per_session", n(2.345))]), "detailed_content", "2.3 review reads and comparisons per visit: send detailed content and comparisons"),
        (customer(&[("lifecycle", t("active")), ("persona", t("convenience_seeker")), ("orders", n(5.0))]), "subscription", ""),
        (customer(&[("lifecycle", t("active")), ("persona", t("convenience_seeker")), ("orders", n(1.0))]), "one_click_reorder", ""),
        (customer(&[("lifecycle", t("at_risk")), ("persona", t("trust_seeker"))]), "trust_reassurance", ""),
        (customer(&[("lifecycle", t("active")), ("persona", t("socially_influenced"))]), "referral_invite", ""),
        (customer(&[("lifecycle", t("active")), ("persona", t("novelty_seeker"))]), "new_arrival_picks", ""),
        (customer(&[("lifecycle", t("active")), ("persona", t("balanced"))]), "nurture", "no stand-out need (active): regular newsletter"),
        // A missing value is unknown, not a match: a customer with no CLV tier is not a VIP.
        (customer(&[("churn_risk", n(0.9)), ("lifecycle", t("at_risk")), ("persona", t("balanced"))]), "nurture", ""),
    ];
    for (record, action, reason) in &cases {
        let d = p.decide(record, Lang::En).expect("the default rule matches everyone");
        assert_eq!(d.action.id, *action, "{record:?} → rule {}", d.rule);
        if !reason.is_empty() {
            assert_eq!(d.reason, *reason);
        }
        let zh = p.decide(record, Lang::Zh).unwrap();
        assert_eq!(zh.action.id, *action);
        assert!(zh.reason.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{}", zh.reason);
    }
    // The example line.
    let price = customer(&[("lifecycle", t("active")), ("persona", t("price_sensitive")), ("orders", n(5.0)), ("signal_discount_line_share", n(0.71))]);
    assert_eq!(p.decide(&price, Lang::Zh).unwrap().reason, "买过 5 次、71% 在折扣时购买：推送降价提醒");
    assert_eq!(p.decide(&price, Lang::En).unwrap().reason, "bought 5 times, 71% of items on discount: send price-drop alerts");
    // Every action the rules name is described in both languages.
    for a in &p.actions {
        assert!(!a.name_zh.is_empty() && !a.name_en.is_empty());
    }
    assert!(p.fields().contains(&"main_barrier".to_string()));
}

fn error(text: &str) -> PlaybookError {
    Playbook::parse(text, "shop.toml", &lifecycle::schema()).expect_err("must fail")
}

const ACTION: &str = "[[action]]\nid = \"coupon\"\nname_zh = \"优惠券\"\nname_en = \"Coupon\"\n\n";

#[test]
fn bad_playbooks_name_file_line_and_column() {
    // A TOML syntax error: the parser's span.
    let e = error(&format!("{ACTION}[[rule]]\nid = \"a\"\nwhen = \"churn_risk > 0.5\nfoo"));
    assert_eq!((e.file.as_str(), e.line), ("shop.toml", 8), "{e}");
    // An unknown key.
    let e = error(&format!("{ACTION}[[rule]]\nid = \"a\"\nwhen = \"true\"\naction = \"coupon\"\nreason_zh = \"x\"\nreason_en = \"x\"\nprio = 3\n"));
    assert_eq!(e.line, 12, "{e}");
    assert!(e.message_en.contains("prio"), "{e}");
    // A bad expression: the exact character inside the `when` string.
    let e = error(&format!("{ACTION}[[rule]]\nid = \"vip\"\nwhen = \"value_tier = 'high' and churn_risk >\"\naction = \"coupon\"\nreason_zh = \"x\"\nreason_en = \"x\"\n"));
    assert_eq!((e.line, e.column), (8, 45), "{e}");
    assert!(e.to_string().starts_with("shop.toml, line 8, column 45: rule 'vip': expected a value"), "{e}");
    assert!(e.render_zh().starts_with("shop.toml，第 8 行第 45 列：规则 'vip'："), "{}", e.render_zh());
    // An unknown field, with a suggestion from the schema.
    let e = error(&format!("{ACTION}[[rule]]\nid = \"r\"\nwhen = '''churn_risk > 0.5 and persna = \"balanced\"'''\naction = \"coupon\"\nreason_zh = \"x\"\nreason_en = \"x\"\n"));
    assert_eq!((e.line, e.column), (8, 32), "{e}");
    assert!(e.message_en.contains("persona"), "{e}");
    // An unknown action, with a suggestion.
    let e = error(&format!("{ACTION}[[rule]]\nid = \"r\"\nwhen = \"true\"\naction = \"cupon\"\nreason_zh = \"x\"\nreason_en = \"x\"\n"));
    assert_eq!((e.line, e.column), (9, 10), "{e}");
    assert!(e.message_en.contains("did you mean 'coupon'"), "{e}");
    // An unknown placeholder in a reason, at the placeholder.
    let e = error(&format!("{ACTION}[[rule]]\nid = \"r\"\nwhen = \"true\"\naction = \"coupon\"\nreason_zh = \"买过 {{ordres}} 次\"\nreason_en = \"x\"\n"));
    assert_eq!((e.line, e.column), (10, 18), "{e}");
    assert!(e.message_zh.contains("ordres"));
    // Duplicates and an empty playbook.
    let e = error(&format!("{ACTION}{ACTION}[[rule]]\nid = \"r\"\nwhen = \"true\"\naction = \"coupon\"\nreason_zh = \"x\"\nreason_en = \"x\"\n"));
    assert_eq!(e.line, 7, "{e}");
    assert!(error(ACTION).message_en.contains("no [[rule]]"));
    let missing = Playbook::from_path(std::path::Path::new("/nonexistent/playbook.toml"), &lifecycle::schema()).unwrap_err();
    assert!(missing.to_string().contains("/nonexistent/playbook.toml"), "{missing}");
}

#[test]
fn a_shop_can_edit_the_default_playbook() {
    // Raising a rule's priority changes who gets what.
    let edited = DEFAULT_PLAYBOOK_TOML.replace("id = \"price_sensitive\"\npriority = 50", "id = \"price_sensitive\"\npriority = 5");
    let p = Playbook::parse(&edited, "edited.toml", &lifecycle::schema()).unwrap();
    let vip_and_price = customer(&[
        ("value_tier", Scalar::Text("high".into())),
        ("churn_risk", Scalar::Number(0.8)),
        ("persona", Scalar::Text("price_sensitive".into())),
    ]);
    assert_eq!(p.decide(&vip_and_price, Lang::En).unwrap().action.id, "price_drop_alert");
    assert_eq!(default().decide(&vip_and_price, Lang::En).unwrap().action.id, "vip_care");
}
