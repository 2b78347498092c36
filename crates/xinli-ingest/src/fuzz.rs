//! One entry point that feeds arbitrary bytes to every row/file parser (for cargo-fuzz and tests).

use crate::input::open_reader;
use crate::{read_canonical_opened, FileFormat, ImportError, ImportOptions, ImportOutcome, Kind, Mapping, Preset, Session};

/// The parsers [`parse_bytes_for_fuzzing`] can drive, by index.
pub const FUZZ_TARGETS: [&str; 22] = [
    "customers.csv", "products.csv", "orders.csv", "events.csv", "reviews.csv", "campaigns.csv",
    "customers.jsonl", "products.jsonl", "orders.jsonl", "events.jsonl", "reviews.jsonl", "campaigns.jsonl",
    "customers.tsv", "orders.tsv", "events.tsv",
    "preset:online-retail", "preset:cdnow", "preset:taobao",
    "mapping:orders-gbk-header", "mapping:events-headerless-unix", "strict:orders.csv", "strict:preset:online-retail",
];

const MAPPING_ORDERS: &str = r#"
kind = "orders"
encoding = "gbk"
timestamp_format = "%Y/%m/%d %H:%M"
[columns]
order_id = "订单号"
customer_id = "客户"
ordered_at = "下单时间"
quantity = "数量"
unit_price = "单价"
status = "状态"
[constants]
channel = "store"
[values.status]
"已付款" = "completed"
"已退款" = "returned"
"#;

const MAPPING_EVENTS: &str = r#"
kind = "events"
header = false
delimiter = ";"
timestamp_format = "unix"
[columns]
customer_id = 1
type = 2
ts = 3
properties = 4
"#;

/// Parses `bytes` as the file kind `FUZZ_TARGETS[target % FUZZ_TARGETS.len()]`, entirely in
/// memory (gzip detected from the bytes, as for files). Panics only on a broken invariant
/// (`read = accepted + quarantined + Σ filtered`), which is what a fuzzer should find.
pub fn parse_bytes_for_fuzzing(target: usize, bytes: &[u8]) -> Result<ImportOutcome, ImportError> {
    let name = FUZZ_TARGETS[target % FUZZ_TARGETS.len()];
    let (strict, name) = match name.strip_prefix("strict:") {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    let options = ImportOptions { strict, max_line_bytes: 1 << 20, max_quarantine_entries: 1000, ..ImportOptions::default() };
    let mut session = Session::new(&options, &[]);
    let opened = open_reader(name, Box::new(std::io::Cursor::new(bytes.to_vec())), bytes.len() as u64, &options, false)?;
    if let Some(preset) = name.strip_prefix("preset:") {
        let preset: Preset = preset.parse().expect("known preset");
        session.run_opened(name.into(), "orders", preset.name(), opened, |run, b, o| {
            crate::presets::read_opened(run, b, o, preset)
        })?;
    } else if let Some(m) = name.strip_prefix("mapping:") {
        let text = if m.starts_with("orders") { MAPPING_ORDERS } else { MAPPING_EVENTS };
        let mapping = Mapping::from_toml_str(text, m).expect("built-in mapping is valid");
        session.run_opened(name.into(), mapping.kind.name(), "mapping", opened, |run, b, o| mapping.read(run, b, o))?;
    } else {
        let (kind, ext) = name.split_once('.').expect("kind.ext");
        let kind = Kind::parse(kind).expect("known kind");
        let format = match ext {
            "jsonl" => FileFormat::Jsonl,
            "tsv" => FileFormat::Tsv,
            _ => FileFormat::Csv,
        };
        session.run_opened(name.into(), kind.name(), "canonical", opened, |run, b, o| {
            read_canonical_opened(run, b, o, kind, format)
        })?;
    }
    let outcome = session.finish();
    for f in &outcome.summary.files {
        assert!(f.balances(), "summary does not balance: {f:?}");
    }
    assert!(outcome.quarantine.len() as u64 <= outcome.summary.quarantined());
    Ok(outcome)
}
