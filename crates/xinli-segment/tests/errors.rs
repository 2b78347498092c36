use xinli_segment::*;

fn err(src: &str) -> ParseError {
    Expression::compile(src, Some(&Schema::customers())).expect_err(src)
}

fn err_noschema(src: &str) -> ParseError {
    Expression::parse(src).expect_err(src)
}

#[test]
fn missing_value_after_operator() {
    let e = err(r#"rfm_segment = "At risk" and churn_risk >"#);
    assert_eq!((e.line, e.column), (1, 41));
    assert_eq!(
        e.message_en(),
        "expected a value (field name, string, number, true, false or null) after '>' at column 41, \
         found the end of the expression"
    );
    assert_eq!(
        e.message_zh(),
        "第 41 列：'>' 后面应为一个值（字段名、字符串、数字、true、false 或 null），但表达式已结束"
    );
    assert_eq!(
        e.excerpt(),
        "1 | rfm_segment = \"At risk\" and churn_risk >\n  |                                         ^"
    );
    assert!(e.render_en().starts_with("error: expected a value"));
    assert!(e.render_zh().starts_with("错误：第 41 列"));
    assert_eq!(e.to_string(), e.render_en());
}

#[test]
fn unknown_fields_suggest_close_names() {
    let e = err("churn_rsk > 0.5");
    assert_eq!(
        e.message_en(),
        "unknown field 'churn_rsk' at column 1; did you mean 'churn_risk'?"
    );
    assert_eq!(
        e.message_zh(),
        "第 1 列：未知字段 'churn_rsk'；您是不是想输入 'churn_risk'？"
    );
    assert_eq!(e.excerpt(), "1 | churn_rsk > 0.5\n  | ^^^^^^^^^");
    let e = err("orders > 1 and price > 1");
    assert_eq!(
        e.message_en(),
        "unknown field 'price' at column 16; did you mean 'confidence_price_sensitivity' or 'trait_price_sensitivity'?"
    );
    let e = err("t > 3");
    assert_eq!(
        *e.kind,
        ErrorKind::UnknownField {
            name: "t".into(),
            suggestions: vec!["T".into()]
        }
    );
    let e = err("zzz_top = 1");
    assert_eq!(e.message_en(), "unknown field 'zzz_top' at column 1");
    assert!(
        suggest("persna", ["persona", "person_x", "city"].into_iter())
            .starts_with(&["persona".to_string()])
    );
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("城市", "城"), 1);
}

#[test]
fn type_errors_at_compile_time() {
    let e = err(r#"churn_risk > "high""#);
    assert_eq!(e.column, 14);
    assert_eq!(e.message_en(), "type mismatch at column 14: cannot use '>' between churn_risk (number) and \"high\" (text)");
    assert_eq!(
        e.message_zh(),
        "第 14 列：类型不匹配，不能对 churn_risk（数值）和 \"high\"（文本）使用 '>'"
    );
    let e = err(r#"rfm_segment in ["At risk", 3]"#);
    assert_eq!(e.column, 28);
    let e = err("orders between 1 and 'x'");
    assert!(matches!(*e.kind, ErrorKind::TypeMismatch { .. }));
    let e = err("city = orders");
    assert!(matches!(
        *e.kind,
        ErrorKind::TypeMismatch {
            left_type: Type::Text,
            right_type: Type::Number,
            ..
        }
    ));
    let e = err("churn_risk and orders > 1");
    assert_eq!(
        e.message_en(),
        "churn_risk at column 1 is a number and cannot be used as a condition on its own: compare it, e.g. churn_risk > 0"
    );
    let e = err_noschema("true < false");
    assert!(matches!(*e.kind, ErrorKind::NotOrderable { .. }));
    let e = err_noschema("1 = 'a'");
    assert!(matches!(*e.kind, ErrorKind::TypeMismatch { .. }));
    let e = err_noschema("orders = null");
    assert_eq!(
        e.message_en(),
        "'= null' at column 1 is never true: use 'is null'"
    );
    let e = err_noschema("orders != null");
    assert_eq!(
        e.message_zh(),
        "第 1 列：'!= null' 永远不成立，请使用 'is not null'"
    );
    // Without a schema any field and types are fine.
    assert!(Expression::parse("whatever > 'x' and churn_risk").is_ok());
}

#[test]
fn syntax_errors() {
    let cases: &[(&str, &str)] = &[
        ("", "the expression is empty: expected a condition such as churn_risk > 0.5"),
        ("   ", "the expression is empty: expected a condition such as churn_risk > 0.5"),
        ("a & b", "unexpected character '&' at column 3 (use 'and' or '&&')"),
        ("a | b", "unexpected character '|' at column 3 (use 'or' or '||')"),
        ("a = 1 # b", "unexpected character '#' at column 7"),
        ("x = \"abc", "string starting at column 5 is never closed: add the closing quote"),
        ("x = 'abc\\'", "string starting at column 5 is never closed: add the closing quote"),
        ("`x = 1", "field name starting at column 1 is never closed: add the closing '`'"),
        ("x = \"a\\qb\"", "unknown escape '\\q' at column 7: use \\\\, \\\", \\', \\n, \\t, \\r or \\u{…}"),
        ("x = \"\\u{zz}\"", "unknown escape '\\u{zz}' at column 6: use \\\\, \\\", \\', \\n, \\t, \\r or \\u{…}"),
        ("12ab > 3", "'12ab' at column 1 is not a valid number"),
        ("x > 1.2.3", "'1.2.3' at column 5 is not a valid number"),
        ("(x > 1", "expected ')' after '1' at column 7, found the end of the expression"),
        ("x > 1)", "expected 'and', 'or' or the end of the expression after '1' at column 6, found ')'"),
        ("x > 1 y", "expected 'and', 'or' or the end of the expression after '1' at column 7, found 'y'"),
        ("x 1", "expected a comparison ('=', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'between' or 'is') after 'x' at column 3, found '1'"),
        ("x > 1 and", "expected a condition (a field, '(' or 'not') after 'and' at column 10, found the end of the expression"),
        ("and x", "expected a condition (a field, '(' or 'not') at column 1, found 'and'"),
        ("x in 1", "expected '[' starting a list after 'in' at column 6, found '1'"),
        ("x in [1 2]", "expected ',' or ']' after '1' at column 9, found '2'"),
        ("x in [y]", "expected a list item (string, number or boolean) after '[' at column 7, found 'y'"),
        ("x in [1,", "expected a list item (string, number or boolean) after ',' at column 9, found the end of the expression"),
        ("x between 1 or 2", "expected 'and' between the two bounds after '1' at column 13, found 'or'"),
        ("x is 3", "expected 'null' after 'is' at column 6, found '3'"),
        ("x not like 'a'", "expected 'in' or 'between' after 'not' at column 7, found 'like'"),
        ("城市 = 1", "unexpected '城市' at column 1: quote text values (\"城市\") and backquote other field names (`城市`)"),
    ];
    for (src, want) in cases {
        assert_eq!(err_noschema(src).message_en(), *want, "{src}");
    }
}

#[test]
fn positions_on_later_lines_and_after_wide_characters() {
    let e = err("city = \"上海\"\n  and churn_risk >\n  and orders > 1");
    assert_eq!((e.line, e.column), (3, 3));
    assert_eq!(
        e.message_en(),
        "expected a value (field name, string, number, true, false or null) after '>' at line 3, column 3, found 'and'"
    );
    assert!(e
        .message_zh()
        .starts_with("第 3 行第 3 列：'>' 后面应为一个值"));
    assert_eq!(e.excerpt(), "3 |   and orders > 1\n  |   ^^^");
    // Columns count characters; the caret counts display width (CJK = 2).
    let e = err("city = '上海' and agee > 1");
    assert_eq!(e.column, 17);
    assert_eq!(
        e.excerpt(),
        "1 | city = '上海' and agee > 1\n  |                   ^^^^"
    );
    let e = err("city = '上海' 且 churn_risk > ");
    assert_eq!(
        e.message_zh(),
        "第 27 列：'>' 后面应为一个值（字段名、字符串、数字、true、false 或 null），但表达式已结束"
    );
}

#[test]
fn hostile_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}x = 1{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = err_noschema(&deep);
    assert_eq!(*e.kind, ErrorKind::TooDeep);
    assert!(
        e.message_en()
            .starts_with("the expression is nested too deeply at column 201"),
        "{}",
        e.message_en()
    );
    let nots = format!("{}x", "not ".repeat(100_000));
    assert_eq!(*err_noschema(&nots).kind, ErrorKind::TooDeep);
    let ok = format!("{}x = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(Expression::parse(&ok).is_ok());
}
