use xinli_segment::*;

fn table() -> CsvTable {
    CsvTable::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/customers.csv"
    ))
    .unwrap()
}

#[test]
fn csv_types_and_nulls() {
    let t = table();
    assert_eq!(t.len(), 6);
    let s = t.schema();
    assert_eq!(
        s.get("customer_id"),
        Some(Type::Text),
        "contract text column stays text"
    );
    assert_eq!(s.get("clv"), Some(Type::Number));
    assert_eq!(s.get("rfm_segment"), Some(Type::Text));
    assert_eq!(s.get("first_purchase"), Some(Type::Text));
    assert_eq!(t.row(0).get("customer_id"), Value::Text("00017"));
    assert_eq!(t.row(0).get("clv"), Value::Number(1500.5));
    assert_eq!(t.row(1).get("monetary"), Value::Null, "empty cell is null");
    assert_eq!(t.row(0).get("no_such_column"), Value::Null);
    assert_eq!(t.row(0).get("city"), Value::Text("上海"));
}

#[test]
fn segments_over_csv() {
    let t = table();
    let seg = Segment::new(
        "price-sensitive at risk",
        r#"trait_price_sensitivity > 0.7 and churn_risk > 0.5 and rfm_segment in ["At risk", "Can't lose"]"#,
        "win back with a coupon",
    );
    let m = t.evaluate(&seg).unwrap();
    assert_eq!(m.customer_ids, vec!["00019", "00022"]);
    assert_eq!(m.size, 2);
    assert_eq!(m.total, 6);
    // Null semantics: the customer without purchases is unknown, not a member of either side.
    let a = t.evaluate(&Segment::new("a", "clv >= 100", "")).unwrap();
    let b = t
        .evaluate(&Segment::new("b", "not clv >= 100", ""))
        .unwrap();
    assert_eq!(a.size + b.size + a.unknown, 6);
    assert_eq!(a.unknown, 1);
    assert_eq!(b.unknown, 1);
    let n = t.evaluate(&Segment::new("n", "clv is null", "")).unwrap();
    assert_eq!(n.customer_ids, vec!["00021"]);
    // Dates are ISO text: ordered comparisons work.
    let d = t
        .evaluate(&Segment::new("d", "last_purchase >= '2020-05-01'", ""))
        .unwrap();
    assert_eq!(d.customer_ids, vec!["00017", "00020"]);
    // Compile errors against the file's header.
    let e = t.evaluate(&Segment::new("e", "clvv > 1", "")).unwrap_err();
    assert_eq!(
        e.message_en(),
        "unknown field 'clvv' at column 1; did you mean 'clv'?"
    );
    let e = t
        .evaluate(&Segment::new("e", "rfm_segment > 3", ""))
        .unwrap_err();
    assert!(
        e.message_en().starts_with("type mismatch at column 15"),
        "{}",
        e.message_en()
    );
    // Store-agnostic evaluate over plain records.
    let recs: Vec<MapRecord> = (0..5)
        .map(|i| {
            [("x".to_string(), Scalar::Number(i as f64))]
                .into_iter()
                .collect()
        })
        .collect();
    let m = evaluate(&Segment::new("x", "x between 1 and 3", ""), &recs).unwrap();
    assert_eq!((m.members, m.size, m.total), (vec![1, 2, 3], 3, 5));
}

#[test]
fn default_tree_compiles_against_the_contract() {
    let tree = TagTree::default_tree();
    let ids: Vec<&str> = tree.groups.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(ids, ["demographic", "value", "behaviour", "psychology"]);
    for g in &tree.groups {
        assert!(!g.name_zh.is_empty() && !g.name_en.is_empty());
        for c in &g.categories {
            assert!(!c.tags.is_empty(), "{}", c.id);
        }
    }
    let compiled = tree.compile(Some(&Schema::customers())).unwrap();
    assert!(compiled.len() > 50);
    // Every trait has a high and a low tag.
    for t in TRAITS {
        assert!(compiled.find(&format!("{t}_high")).is_some(), "{t}");
        assert!(compiled.find(&format!("{t}_low")).is_some(), "{t}");
    }
}

#[test]
fn tag_tree_on_a_small_csv() {
    let t = table();
    let (compiled, sizes) = t.tag_sizes(&TagTree::default_tree()).unwrap();
    let size = |id: &str| sizes.tags[compiled.find(id).unwrap_or_else(|| panic!("{id}"))];
    assert_eq!(sizes.total, 6);
    // The table's bound fast path (column positions) agrees with evaluation by name.
    assert_eq!(sizes, compiled.sizes(t.rows()));
    assert_eq!(size("gender_female"), 2); // 女, F
    assert_eq!(size("gender_male"), 2); // male, 男
    assert_eq!(size("age_25_34"), 1);
    assert_eq!(size("age_under_25"), 1);
    assert_eq!(size("age_55_plus"), 1);
    assert_eq!(size("city_tier1"), 3);
    assert_eq!(size("city_other"), 1);
    assert_eq!(size("rfm_champions"), 1);
    assert_eq!(size("rfm_cant_lose"), 1);
    assert_eq!(size("tier_high"), 2);
    assert_eq!(size("clv_high"), 1);
    assert_eq!(size("clv_mid"), 2);
    assert_eq!(size("clv_low"), 2);
    assert_eq!(size("orders_one"), 1);
    assert_eq!(size("orders_5_plus"), 1);
    assert_eq!(size("stage_dormant"), 2);
    assert_eq!(size("persona_price_sensitive"), 3);
    assert_eq!(size("price_sensitivity_high"), 3);
    assert_eq!(size("price_sensitivity_low"), 1);
    // Columns this file lacks: the tags compile and match nobody.
    assert_eq!(size("channel_organic"), 0);
    assert_eq!(size("novelty_seeking_high"), 0);
    let missing = compiled.missing_fields(&t.schema());
    assert!(missing
        .iter()
        .any(|(id, f)| id == "channel_ads" && f == &["acquisition_channel"]));
    // Per-record tags.
    let ids = compiled.tag_ids_of(&t.row(0));
    for want in [
        "gender_female",
        "age_25_34",
        "city_tier1",
        "rfm_champions",
        "tier_high",
        "clv_high",
        "orders_5_plus",
        "recent",
        "stage_purchase",
        "persona_price_sensitive",
        "price_sensitivity_high",
    ] {
        assert!(ids.contains(&want), "{want} not in {ids:?}");
    }
    // The customer without purchases carries only tags that do not read empty cells.
    assert_eq!(compiled.tag_ids_of(&t.row(4)), Vec::<&str>::new());
    // Category and group sizes count customers with at least one tag.
    let value = compiled
        .tree()
        .groups
        .iter()
        .position(|g| g.id == "value")
        .unwrap();
    assert_eq!(sizes.groups[value], 5);
    let r = compiled.get(compiled.find("rfm_at_risk").unwrap());
    assert_eq!(r.path(), "value/rfm_segment/rfm_at_risk");
    assert_eq!(r.tag.name_zh, "流失风险客户");
}

#[test]
fn shop_edited_tree_and_its_errors() {
    let text = r#"
[[group]]
id = "mine"
name_en = "Mine"
name_zh = "自定义"
[[group.category]]
id = "vip"
name_en = "VIP"
name_zh = "贵宾"
[[group.category.tag]]
id = "big_spender"
name_en = "Big spender"
name_zh = "高消费"
expr = "total_spend >= 200 且 city in ['上海', '深圳']"
"#;
    let tree = TagTree::from_toml_str(text).unwrap();
    let t = table();
    let (compiled, sizes) = t.tag_sizes(&tree).unwrap();
    assert_eq!(sizes.tags, vec![2]);
    assert_eq!(compiled.tag_ids_of(&t.row(0)), vec!["big_spender"]);

    let bad = text.replace("total_spend >= 200", "total_spnd >= ");
    let err = TagTree::from_toml_str(&bad)
        .unwrap()
        .compile(Some(&Schema::customers()))
        .unwrap_err();
    assert_eq!(
        err.message_en(),
        "tag 'big_spender': error: unknown field 'total_spnd' at column 1; did you mean 'total_spend'?\n\
         1 | total_spnd >=  且 city in ['上海', '深圳']\n  | ^^^^^^^^^^"
    );
    assert!(err
        .message_zh()
        .starts_with("标签 'big_spender'：错误：第 1 列：未知字段 'total_spnd'"));

    let dup = format!("{text}\n[[group.category.tag]]\nid = \"big_spender\"\nname_en = \"x\"\nname_zh = \"x\"\nexpr = \"true\"\n");
    assert_eq!(
        TagTree::from_toml_str(&dup).unwrap_err(),
        TagError::DuplicateId("big_spender".into())
    );
    assert!(matches!(
        TagTree::from_toml_str("[[group]]\nid = 1").unwrap_err(),
        TagError::Toml(_)
    ));
}

#[test]
fn segments_from_a_toml_list() {
    let text = r#"
[[segment]]
name = "price-sensitive at risk"
expression = '''trait_price_sensitivity > 0.7 and churn_risk > 0.5 and rfm_segment in ["At risk", "Can't lose"]'''
description = "win back with a coupon"

[[segment]]
name = "no purchase yet"
expression = "first_purchase is null"
"#;
    let segments = segments_from_toml(text).unwrap();
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[1].description, "");
    let results = table().evaluate_all(&segments).unwrap();
    assert_eq!(results[0].customer_ids, ["00019", "00022"]);
    assert_eq!(results[1].customer_ids, ["00021"]);
    let dup = format!("{text}\n[[segment]]\nname = \"no purchase yet\"\nexpression = \"true\"\n");
    assert!(segments_from_toml(&dup)
        .unwrap_err()
        .contains("more than once"));
    assert!(segments_from_toml("[[segment]]\nname = \"x\"\nexpr = \"true\"\n").is_err());
}

#[test]
fn an_odd_column_disables_only_its_tags_in_lenient_mode() {
    let csv = "customer_id,age,gender,orders\na,25-34,女,1\nb,55+,male,6\n";
    let t = CsvTable::from_reader(csv.as_bytes()).unwrap();
    assert_eq!(t.schema().get("age"), Some(Type::Text));
    let tree = TagTree::default_tree();
    let err = t.tag_sizes(&tree).unwrap_err();
    let TagError::Expressions(errors) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(errors.len(), 5, "the five age bands");
    assert!(
        err.message_en()
            .contains("cannot use '<' between age (text) and 25 (number)"),
        "{}",
        err.message_en()
    );
    let (compiled, errors) = tree.compile_lenient(Some(&t.contract_schema()));
    assert_eq!(errors.len(), 5);
    assert_eq!(compiled.len(), tree.tags().count());
    assert_eq!(
        compiled.tag_ids_of(&t.row(0)),
        ["gender_female", "orders_one"]
    );
    assert_eq!(
        compiled.tag_ids_of(&t.row(1)),
        ["gender_male", "orders_5_plus"]
    );
}

/// The first 40 rows of the `customers.csv` that `xinli demo` writes (CDNOW sample).
#[test]
fn real_pipeline_output() {
    let t = CsvTable::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/cdnow_customers.csv"
    ))
    .unwrap();
    assert_eq!(t.len(), 40);
    let s = t.schema();
    for (col, ty) in Schema::customers().fields().take(19) {
        assert_eq!(s.get(col), Some(ty), "{col}");
    }
    let (compiled, sizes) = t.tag_sizes(&TagTree::default_tree()).unwrap();
    let value = compiled
        .tree()
        .groups
        .iter()
        .position(|g| g.id == "value")
        .unwrap();
    let rfm = compiled.tree().groups[value]
        .categories
        .iter()
        .position(|c| c.id == "rfm_segment")
        .unwrap();
    // Every customer is in exactly one RFM segment and one value tier.
    let rfm_total: usize = (0..compiled.len())
        .filter(|&i| compiled.get(i).category.id == "rfm_segment")
        .map(|i| sizes.tags[i])
        .sum();
    let tier_total: usize = (0..compiled.len())
        .filter(|&i| compiled.get(i).category.id == "value_tier")
        .map(|i| sizes.tags[i])
        .sum();
    assert_eq!(
        (rfm_total, tier_total, sizes.categories[value][rfm]),
        (40, 40, 40)
    );
    let cant_lose = t
        .evaluate(&Segment::new("c", r#"rfm_segment = "Can't lose""#, ""))
        .unwrap();
    assert_eq!(
        cant_lose.size,
        sizes.tags[compiled.find("rfm_cant_lose").unwrap()]
    );
    assert!(cant_lose.size > 0);
    // customer_id stays text although every id is numeric.
    assert_eq!(t.row(0).get("customer_id"), Value::Text("1"));
    assert!(
        t.evaluate(&Segment::new("one", "customer_id = '1'", ""))
            .unwrap()
            .size
            == 1
    );
}
