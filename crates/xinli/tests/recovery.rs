//! Parameter recovery the way a user would check it: draw a 1,000,000-customer shop with
//! `gen-transactions` (BG/NBD r=0.25, α=4, a=0.8, b=2.5 per week; Gamma-Gamma p=6, q=4, v=15),
//! analyse it, and read `models.json`. Every parameter must come back within 2 %.
//! (Standard errors at this size are 0.2–1 % of each parameter; see models.json's std_errors.)

mod common;
use common::*;

#[test]
fn a_generated_million_customer_shop_gives_its_parameters_back() {
    let dir = temp_dir("recovery");
    let orders = dir.join("shop/orders.csv");
    std::fs::create_dir_all(orders.parent().unwrap()).unwrap();
    xinli_ok(&["gen-transactions", "--customers", "1000000", "--seed", "5", "--out", orders.to_str().unwrap()]);
    let out = dir.join("out");
    xinli_ok(&["analyze", orders.to_str().unwrap(), "--time-unit", "weeks", "--model", "bgnbd", "--out", out.to_str().unwrap(), "--quiet"]);
    let models = json(&out.join("models.json"));
    let truth = [
        ("bgnbd", "r", 0.25), ("bgnbd", "alpha", 4.0), ("bgnbd", "a", 0.8), ("bgnbd", "b", 2.5),
        ("gamma_gamma", "p", 6.0), ("gamma_gamma", "q", 4.0), ("gamma_gamma", "v", 15.0),
    ];
    for (model, name, expected) in truth {
        let got = models[model][name].as_f64().unwrap();
        assert!(within(got, expected, 0.02), "{model} {name}: {got} vs {expected}");
    }
    assert_eq!(models["bgnbd"]["n_customers"], 1_000_000);
    assert_eq!(models["bgnbd"]["converged"], true);
    std::fs::remove_dir_all(&dir).unwrap();
}
