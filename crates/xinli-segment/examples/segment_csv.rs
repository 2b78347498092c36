//! Evaluates a segment expression over a `customers.csv`, or prints the tag sizes.
//!
//! ```text
//! cargo run -p xinli-segment --example segment_csv -- out/customers.csv 'churn_risk > 0.5 and rfm_segment in ["At risk", "Can'\''t lose"]'
//! cargo run -p xinli-segment --example segment_csv -- out/customers.csv --tags [tags.toml]
//! ```
//! Add `--zh` for Chinese messages and names.

use std::process::ExitCode;
use xinli_segment::{CsvTable, Segment, TagTree};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let zh = args.iter().any(|a| a == "--zh");
    args.retain(|a| a != "--zh");
    if args.len() < 2 {
        eprintln!("usage: segment_csv CUSTOMERS.csv EXPRESSION | --tags [TAGS.toml]  [--zh]");
        return ExitCode::from(2);
    }
    let table = match CsvTable::from_path(&args[0]) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot read {}: {e}", args[0]);
            return ExitCode::from(2);
        }
    };
    if args[1] == "--tags" {
        let tree = match args.get(2) {
            Some(path) => TagTree::from_path(path),
            None => Ok(TagTree::default_tree()),
        };
        let result = tree.and_then(|tree| table.tag_sizes(&tree));
        let (compiled, sizes) = match result {
            Ok(x) => x,
            Err(e) => {
                eprintln!("{}", if zh { e.message_zh() } else { e.message_en() });
                return ExitCode::from(2);
            }
        };
        println!("{} customers", sizes.total);
        for (gi, g) in compiled.tree().groups.iter().enumerate() {
            println!(
                "{} ({})",
                if zh { &g.name_zh } else { &g.name_en },
                sizes.groups[gi]
            );
            for (ci, c) in g.categories.iter().enumerate() {
                println!(
                    "  {} ({})",
                    if zh { &c.name_zh } else { &c.name_en },
                    sizes.categories[gi][ci]
                );
                for t in &c.tags {
                    let i = compiled.find(&t.id).unwrap();
                    println!(
                        "    {:<40} {:>8}",
                        if zh { &t.name_zh } else { &t.name_en },
                        sizes.tags[i]
                    );
                }
            }
        }
        return ExitCode::SUCCESS;
    }
    let segment = Segment::new("segment", &args[1], "");
    match table.evaluate(&segment) {
        Ok(m) => {
            for id in &m.customer_ids {
                println!("{id}");
            }
            eprintln!(
                "{} of {} customers ({} unknown because of empty cells)",
                m.size, m.total, m.unknown
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}", if zh { e.render_zh() } else { e.render_en() });
            ExitCode::from(2)
        }
    }
}
