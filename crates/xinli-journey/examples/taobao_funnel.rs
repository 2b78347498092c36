//! The Taobao funnel with timings: `cargo run --release -p xinli-journey --example taobao_funnel [CSV…]`.

use xinli_core::EventType::{AddToCart, ProductView, Purchase};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let paths = if args.is_empty() {
        vec!["/work/shared/data/taobao_user_behavior/UserBehavior_20171126_0100-0310_slice.csv".to_string()]
    } else {
        args
    };
    let started = std::time::Instant::now();
    let shop = xinli_ingest::import_preset(xinli_ingest::Preset::Taobao, &paths, &Default::default()).expect("import").shop;
    println!("imported {} events in {:.0} ms", shop.events.len(), started.elapsed().as_secs_f64() * 1e3);
    let steps = [ProductView, AddToCart, Purchase];
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let users = xinli_journey::funnel_users(&shop.events, &steps, 3600);
        let t_users = started.elapsed().as_secs_f64() * 1e3;
        let started = std::time::Instant::now();
        let report = xinli_journey::funnel(&shop.events, &steps, 3600, xinli_journey::by_via);
        let t_report = started.elapsed().as_secs_f64() * 1e3;
        println!("funnel_users: {} users in {t_users:.1} ms; funnel: {t_report:.1} ms", users.len());
        if t_report > 0.0 {
            println!("{}", serde_json::to_string(&report.steps).unwrap());
        }
    }
}
