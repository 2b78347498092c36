fn main() {
    let schema = xinli_segment::Schema::customers();
    for src in std::env::args().skip(1) {
        match xinli_segment::Expression::compile(&src, Some(&schema)) {
            Ok(e) => println!("ok: {:?}", e.ast()),
            Err(e) => println!("{}\n{}\n", e.render_en(), e.render_zh()),
        }
    }
}
