//! `xinli segment` over the customers.csv that `xinli analyze` writes.

mod common;
use common::*;
use std::process::{Command, Stdio};

fn demo_customers(name: &str) -> std::path::PathBuf {
    let out = temp_dir(name);
    xinli_ok(&["demo", "--out", out.to_str().unwrap(), "--quiet", "--no-serve"]);
    out.join("customers.csv")
}

#[test]
fn a_segment_lists_exactly_the_matching_customers() {
    let customers = demo_customers("segment-members");
    let path = customers.to_str().unwrap();
    let listed = xinli_ok(&["segment", path, "--where", r#"churn_risk > 0.5 and rfm_segment in ["Lost", "Hibernating"]"#]);
    let (header, rows) = customers_csv(customers.parent().unwrap());
    let (risk, segment) = (column(&header, "churn_risk"), column(&header, "rfm_segment"));
    let expected: Vec<&str> = rows
        .iter()
        .filter(|r| r[risk].parse::<f64>().is_ok_and(|v| v > 0.5) && ["Lost", "Hibernating"].contains(&r[segment].as_str()))
        .map(|r| r[0].as_str())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(listed.lines().collect::<Vec<_>>(), expected);

    let tags = xinli_ok(&["segment", path, "--tags", "--lang", "zh"]);
    assert!(tags.starts_with("2357 位客户"), "{tags}");
}

#[test]
fn a_bad_expression_is_a_clear_error_and_a_closed_pipe_is_not_a_crash() {
    let customers = demo_customers("segment-errors");
    let path = customers.to_str().unwrap();
    let typo = xinli(&["segment", path, "--where", "churn_rsk > 0.5"]);
    assert_eq!(typo.status.code(), Some(2));
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(err.contains("did you mean 'churn_risk'") && err.contains('^'), "{err}");

    // A reader that stops after the first line (like `| head -1`).
    let mut child = Command::new(env!("CARGO_BIN_EXE_xinli"))
        .args(["segment", path, "--where", "clv >= 0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
}
