//! `xinli segment`: a custom segment's members, or the tag tree's sizes, over a customers.csv.

use crate::cli::SegmentArgs;
use crate::commands::{stdout_result, Failure};
use std::io::Write;
use xinli_report::Lang;
use xinli_segment::{CsvTable, Segment, TagTree};

pub fn run(args: SegmentArgs, lang: Lang) -> Result<(), Failure> {
    let zh = lang == Lang::Zh;
    let table = CsvTable::from_path(&args.customers)
        .map_err(|e| Failure::input(format!("{}: {e}", args.customers.display())))?;
    match (&args.expression, &args.tags) {
        (Some(expression), _) => members(&table, expression, zh),
        (None, Some(tags)) => tag_sizes(&table, tags, zh),
        (None, None) => Err(Failure::input("give --where EXPRESSION or --tags")),
    }
}

/// The parser's rendered message without its own "error:" prefix (main adds one).
fn without_prefix(rendered: String) -> String {
    for prefix in ["error: ", "错误："] {
        if let Some(rest) = rendered.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    rendered
}

fn members(table: &CsvTable, expression: &str, zh: bool) -> Result<(), Failure> {
    let segment = Segment::new("segment", expression, "");
    let members = table
        .evaluate(&segment)
        .map_err(|e| Failure::input(without_prefix(if zh { e.render_zh() } else { e.render_en() })))?;
    stdout_result((|| {
        let mut out = std::io::stdout().lock();
        for id in &members.customer_ids {
            writeln!(out, "{id}")?;
        }
        out.flush()
    })())?;
    if zh {
        eprintln!("{} / {} 位客户（{} 位因字段为空而未知）", members.size, members.total, members.unknown);
    } else {
        eprintln!("{} of {} customers ({} unknown because of empty cells)", members.size, members.total, members.unknown);
    }
    Ok(())
}

fn tag_sizes(table: &CsvTable, tags: &str, zh: bool) -> Result<(), Failure> {
    let tree = if tags.is_empty() { Ok(TagTree::default_tree()) } else { TagTree::from_path(tags) };
    let (compiled, sizes) = tree
        .and_then(|tree| table.tag_sizes(&tree))
        .map_err(|e| Failure::input(if zh { e.message_zh() } else { e.message_en() }))?;
    let name = |en: &str, zh_name: &str| if zh { zh_name.to_string() } else { en.to_string() };
    stdout_result((|| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{} {}", sizes.total, if zh { "位客户" } else { "customers" })?;
        for (gi, group) in compiled.tree().groups.iter().enumerate() {
            writeln!(out, "{} ({})", name(&group.name_en, &group.name_zh), sizes.groups[gi])?;
            for (ci, category) in group.categories.iter().enumerate() {
                writeln!(out, "  {} ({})", name(&category.name_en, &category.name_zh), sizes.categories[gi][ci])?;
                for tag in &category.tags {
                    let i = compiled.find(&tag.id).expect("a compiled tree has every tag");
                    writeln!(out, "    {:<40} {:>8}", name(&tag.name_en, &tag.name_zh), sizes.tags[i])?;
                }
            }
        }
        out.flush()
    })())?;
    Ok(())
}
