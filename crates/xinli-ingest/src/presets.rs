//! Presets for real exports: UCI Online Retail, CDNOW, Taobao UserBehavior.

use crate::canonical::{quarantine_misshapen, RowError};
use crate::input::{classify_csv, Opened, RecordStream};
use crate::run::{Builder, FileRun};
use crate::text::{decode, parse_quantity, Enc, TsFormat};
use crate::{ImportError, Session};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use xinli_core::{
    Customer, CustomerId, Event, EventType, Money, OrderId, OrderLine, OrderStatus, Product, ProductId,
    Quantity, Subject, Timestamp,
};

/// A known export layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// UCI Online Retail (and Online Retail II): InvoiceNo, StockCode, Description, Quantity,
    /// InvoiceDate, UnitPrice, CustomerID, Country.
    OnlineRetail,
    /// CDNOW master (`customer_id date cds dollars`, header) or sample
    /// (`master_id sample_id date cds dollars`, no header), whitespace-separated.
    Cdnow,
    /// Tianchi Taobao UserBehavior: `user,item,category,behavior,unix_ts`, no header.
    Taobao,
}

impl Preset {
    pub const ALL: [Preset; 3] = [Preset::OnlineRetail, Preset::Cdnow, Preset::Taobao];
    pub fn name(self) -> &'static str {
        match self {
            Preset::OnlineRetail => "online-retail",
            Preset::Cdnow => "cdnow",
            Preset::Taobao => "taobao",
        }
    }
    /// Files of a directory this preset reads.
    fn wants(self, file_name: &str) -> bool {
        let lower = file_name.to_ascii_lowercase();
        let base = lower.strip_suffix(".gz").unwrap_or(&lower);
        match self {
            Preset::OnlineRetail | Preset::Taobao => base.ends_with(".csv") || base.ends_with(".tsv"),
            Preset::Cdnow => base.starts_with("cdnow_master") || base.starts_with("cdnow_sample"),
        }
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "online-retail" | "onlineretail" | "uci-online-retail" | "online-retail-ii" => Ok(Preset::OnlineRetail),
            "cdnow" => Ok(Preset::Cdnow),
            "taobao" | "tianchi" | "userbehavior" => Ok(Preset::Taobao),
            other => Err(format!("unknown preset {other:?} (use online-retail, cdnow or taobao)")),
        }
    }
}

pub(crate) fn expand<P: AsRef<Path>>(preset: Preset, paths: &[P]) -> Result<Vec<PathBuf>, ImportError> {
    let mut out = Vec::new();
    for p in paths {
        let p = p.as_ref();
        let name = p.display().to_string();
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| ImportError::io(&name, e))?
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .filter(|e| preset.wants(&e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect();
            if found.is_empty() {
                return Err(ImportError::NoShopFiles { path: name });
            }
            found.sort();
            out.extend(found);
        } else if !p.exists() {
            return Err(ImportError::NotFound { path: name });
        } else {
            out.push(p.to_path_buf());
        }
    }
    if out.is_empty() {
        return Err(ImportError::NoShopFiles { path: "(no paths given)".into() });
    }
    Ok(out)
}

pub(crate) fn read(session: &mut Session<'_>, preset: Preset, path: &Path) -> Result<(), ImportError> {
    let kind = match preset {
        Preset::Taobao => "events",
        _ => "orders",
    };
    session.run_file(path, kind, preset.name(), None, |run, b, opened| read_opened(run, b, opened, preset))
}

pub(crate) fn read_opened(run: &mut FileRun<'_>, b: &mut Builder, opened: Opened, preset: Preset) -> Result<(), ImportError> {
    match preset {
        Preset::OnlineRetail => online_retail(run, b, opened),
        Preset::Cdnow => cdnow(run, b, opened),
        Preset::Taobao => taobao(run, b, opened),
    }
}

/// After all files: warnings that concern the whole preset import.
pub(crate) fn finish(session: &mut Session<'_>, preset: Preset) {
    if preset == Preset::Taobao {
        // The data set documents 2017-11-25 .. 2017-12-03 (China time); say how many fall outside.
        let lo = Timestamp::parse("2017-11-24 16:00:00").unwrap();
        let hi = Timestamp::parse("2017-12-03 16:00:00").unwrap();
        let outside = session.builder.shop.events.iter().filter(|e| e.ts < lo || e.ts >= hi).count();
        if outside > 0 {
            session.summary.warnings.push(format!(
                "taobao: {outside} events fall outside the data set's documented window 2017-11-25..2017-12-03 (kept)"
            ));
        }
    }
}

/// Tracks derived customer records (one per id, first region seen), indexed by the customer
/// interner's dense index.
#[derive(Default)]
struct DerivedCustomers {
    slots: Vec<u32>,
    conflicting_region: u64,
}

impl DerivedCustomers {
    fn new(_b: &Builder) -> Self {
        DerivedCustomers::default()
    }
    /// Returns true when the customer is new.
    #[inline]
    fn see(&mut self, b: &mut Builder, id: &CustomerId, idx: u32, region: Option<&str>) -> bool {
        if idx == u32::MAX {
            // Interner full (hostile input): no derived record.
            return false;
        }
        let idx = idx as usize;
        if idx >= self.slots.len() {
            self.slots.resize(idx + 1, u32::MAX);
        }
        let slot = self.slots[idx];
        if slot != u32::MAX {
            if let Some(r) = region {
                let c = &mut b.shop.customers[slot as usize];
                if c.region.as_deref().is_some_and(|have| have != r)
                    && !c.extra.iter().any(|(k, v)| k == "other_region" && v == r)
                {
                    c.extra.push(("other_region".into(), r.to_string()));
                    self.conflicting_region += 1;
                }
            }
            return false;
        }
        self.slots[idx] = b.shop.customers.len() as u32;
        b.shop.customers.push(bare_customer(id.clone(), region.map(str::to_string)));
        true
    }
}

/// Which interned products already have a product record.
#[derive(Default)]
struct SeenProducts(Vec<bool>);

impl SeenProducts {
    #[inline]
    fn first_time(&mut self, idx: u32) -> bool {
        if idx == u32::MAX {
            return false;
        }
        let idx = idx as usize;
        if idx >= self.0.len() {
            self.0.resize(idx + 1, false);
        }
        !std::mem::replace(&mut self.0[idx], true)
    }
}

fn bare_customer(customer_id: CustomerId, region: Option<String>) -> Customer {
    Customer {
        customer_id,
        signup_at: None,
        gender: None,
        birth_date: None,
        city: None,
        region,
        acquisition_channel: None,
        consent_email: None,
        consent_sms: None,
        consent_push: None,
        email: None,
        phone: None,
        name: None,
        extra: Vec::new(),
    }
}

fn bare_product(product_id: ProductId, category: Option<xinli_core::Category>, extra: Vec<(String, String)>) -> Product {
    Product { product_id, category, list_price: None, launched_at: None, brand: None, avg_rating: None, extra }
}

#[allow(clippy::too_many_arguments)]
fn order_line(
    order_id: OrderId,
    customer_id: CustomerId,
    ordered_at: Timestamp,
    product_id: Option<ProductId>,
    quantity: Quantity,
    unit_price: Money,
    status: OrderStatus,
    extra: Vec<(String, String)>,
) -> OrderLine {
    OrderLine { product_id, status, extra, ..OrderLine::new(order_id, customer_id, ordered_at, quantity, unit_price) }
}

/// `17850.0` → `17850` (the float-formatted ids of pandas exports).
fn strip_float_suffix(s: &str) -> &str {
    match s.split_once('.') {
        Some((int, frac)) if !int.is_empty() && frac.bytes().all(|c| c == b'0') && int.bytes().all(|c| c.is_ascii_digit()) => int,
        _ => s,
    }
}

fn normalise_header(s: &str) -> String {
    s.trim().trim_start_matches('\u{feff}').chars().filter(|c| !matches!(c, ' ' | '_' | '-')).collect::<String>().to_lowercase()
}

const OR_COLUMNS: [(&str, &[&str], bool); 8] = [
    ("InvoiceNo", &["invoiceno", "invoice"], true),
    ("StockCode", &["stockcode"], true),
    ("Description", &["description"], false),
    ("Quantity", &["quantity"], true),
    ("InvoiceDate", &["invoicedate"], true),
    ("UnitPrice", &["unitprice", "price"], true),
    ("CustomerID", &["customerid"], true),
    ("Country", &["country"], false),
];

/// UCI Online Retail. Rules, in order: empty CustomerID → `missing_customer_id`; malformed
/// values → quarantine; negative UnitPrice → `negative_unit_price`; quantity ≤ 0 on an invoice
/// not starting with `C` → `non_positive_quantity`. `C` invoices are accepted as cancelled lines
/// (quantity made positive).
fn online_retail(run: &mut FileRun<'_>, b: &mut Builder, opened: Opened) -> Result<(), ImportError> {
    let path = run.summary.path.clone();
    let enc = opened.enc;
    let (compressed, bytes) = (opened.compressed, opened.bytes);
    let mut records = RecordStream::new(opened, b',');
    let header = match records.next().map_err(|e| classify_csv(&path, e))? {
        Some(h) => h.clone(),
        None => return Err(ImportError::Empty { path }),
    };
    let names: Vec<String> = header.iter().map(|f| normalise_header(&String::from_utf8_lossy(f))).collect();
    let mut idx = [usize::MAX; 8];
    let mut missing = Vec::new();
    for (k, (canon, aliases, required)) in OR_COLUMNS.iter().enumerate() {
        match names.iter().position(|n| aliases.contains(&n.as_str())) {
            Some(i) => idx[k] = i,
            None if *required => missing.push(canon.to_string()),
            None => {}
        }
    }
    if !missing.is_empty() {
        let found = header.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        return Err(ImportError::MissingColumns { path, missing, found });
    }
    let [i_inv, i_stock, i_desc, i_qty, i_date, i_price, i_cust, i_country] = idx;
    // About 90 bytes per row, gzip about 6:1: reserve once instead of growing many times.
    let estimate = if compressed { bytes * 6 } else { bytes } / 90;
    b.shop.orders.reserve(estimate.min(50_000_000) as usize);
    let n_fields = header.len();
    let mut customers = DerivedCustomers::new(b);
    let mut products = SeenProducts::default();
    let us_date = TsFormat::Chrono("%m/%d/%Y %H:%M".into());
    let mut last_date: (Vec<u8>, Option<Timestamp>) = (Vec::new(), None);
    let (mut new_customers, mut new_products) = (0u64, 0u64);
    while let Some((rec, line)) = records.next_line(&path)? {
        run.summary.rows_read += 1;
        if quarantine_misshapen(run, line, rec, Some(&header), Some(n_fields))? {
            continue;
        }
        let record_is_utf8 = enc == Enc::Utf8 && std::str::from_utf8(rec.as_slice()).is_ok();
        let field = |i: usize| -> Result<Cow<'_, str>, RowError> {
            let bytes = rec.get(i).unwrap_or(b"");
            if record_is_utf8 {
                return Ok(Cow::Borrowed(crate::text::field_of_valid_record(bytes)));
            }
            decode(enc, bytes).map(|(s, _)| s).map_err(|_| {
                RowError::new("", &String::from_utf8_lossy(bytes), "not valid text in the file's encoding")
            })
        };
        let result = (|| -> Result<Option<&'static str>, RowError> {
            let cust_raw = field(i_cust).map_err(|e| RowError { column: "CustomerID".into(), ..e })?;
            let cust_trim = cust_raw.trim();
            if cust_trim.is_empty() {
                return Ok(Some("missing_customer_id"));
            }
            let (customer_id, cust_idx) = b
                .customers
                .get_indexed(strip_float_suffix(cust_trim), CustomerId::parse)
                .map_err(|e| RowError::new("CustomerID", cust_trim, format!("bad id: {e}")))?;
            let inv_raw = field(i_inv).map_err(|e| RowError { column: "InvoiceNo".into(), ..e })?;
            let inv = inv_raw.trim();
            let order_id = b.orders.get(inv, OrderId::parse).map_err(|e| RowError::new("InvoiceNo", inv, format!("bad id: {e}")))?;
            let cancelled = inv.starts_with(['C', 'c']);
            let q_raw = field(i_qty).map_err(|e| RowError { column: "Quantity".into(), ..e })?;
            let quantity = parse_quantity(&q_raw).map_err(|e| RowError::new("Quantity", &q_raw, crate::text::number_reason(&e)))?;
            let p_raw = field(i_price).map_err(|e| RowError { column: "UnitPrice".into(), ..e })?;
            let price = crate::text::parse_f64(&p_raw).ok_or_else(|| RowError::new("UnitPrice", &p_raw, "bad number"))?;
            let date_bytes = rec.get(i_date).unwrap_or(b"");
            let ordered_at = match last_date.1 {
                Some(ts) if last_date.0 == date_bytes => ts,
                _ => {
                    let d_raw = field(i_date).map_err(|e| RowError { column: "InvoiceDate".into(), ..e })?;
                    let ts = TsFormat::Contract
                        .parse(&d_raw)
                        .or_else(|_| us_date.parse(&d_raw))
                        .map_err(|_| RowError::new("InvoiceDate", &d_raw, "bad date"))?;
                    last_date = (date_bytes.to_vec(), Some(ts));
                    ts
                }
            };
            if price < 0.0 {
                return Ok(Some("negative_unit_price"));
            }
            if !cancelled && quantity.get() <= 0.0 {
                return Ok(Some("non_positive_quantity"));
            }
            let stock = field(i_stock).map_err(|e| RowError { column: "StockCode".into(), ..e })?;
            let stock = stock.trim();
            let product_id = if stock.is_empty() {
                None
            } else {
                Some(b.products.get_indexed(stock, ProductId::parse).map_err(|e| RowError::new("StockCode", stock, format!("bad id: {e}")))?)
            };
            let mut country = None;
            if i_country != usize::MAX {
                let c = field(i_country).map_err(|e| RowError { column: "Country".into(), ..e })?;
                let c = c.trim();
                if !c.is_empty() {
                    country = Some(c.to_string());
                }
            }
            let (status, quantity) = if cancelled {
                (OrderStatus::Cancelled, Quantity::new(quantity.get().abs()).expect("finite"))
            } else {
                (OrderStatus::Completed, quantity)
            };
            if customers.see(b, &customer_id, cust_idx, country.as_deref()) {
                new_customers += 1;
            }
            let product_id = product_id.map(|(pid, pidx)| {
                if products.first_time(pidx) {
                    let mut extra = Vec::new();
                    if i_desc != usize::MAX {
                        if let Ok(d) = field(i_desc) {
                            if !d.trim().is_empty() {
                                extra.push(("description".to_string(), d.trim().to_string()));
                            }
                        }
                    }
                    b.shop.products.push(bare_product(pid.clone(), None, extra));
                    new_products += 1;
                }
                pid
            });
            let unit_price = Money::new(price).expect("checked non-negative and finite");
            b.shop.orders.push(order_line(order_id, customer_id, ordered_at, product_id, quantity, unit_price, status, Vec::new()));
            Ok(None)
        })();
        match result {
            Ok(None) => run.accept(),
            Ok(Some(rule)) => run.filter(rule),
            Err(e) => run.quarantine(line, &e.column, &e.value, &e.reason)?,
        }
    }
    run.summary.derived.insert("customers".into(), new_customers);
    run.summary.derived.insert("products".into(), new_products);
    if customers.conflicting_region > 0 {
        run.summary.derived.insert("customers_with_several_countries".into(), customers.conflicting_region);
    }
    Ok(())
}

/// Strips leading zeros, keeping one digit: `0001` → `1`, `0000` → `0`.
fn strip_zeros(s: &str) -> &str {
    let t = s.trim_start_matches('0');
    if t.is_empty() && !s.is_empty() {
        "0"
    } else {
        t
    }
}

/// CDNOW master / sample files (whitespace-separated). Each row is one order:
/// order_id = `{customer}-{YYYYMMDD}-{row}`, quantity = cds and unit_price = dollars / cds; a row
/// with 0 CDs (a few such rows exist) is quantity 1 at unit price = dollars.
fn cdnow(run: &mut FileRun<'_>, b: &mut Builder, opened: Opened) -> Result<(), ImportError> {
    let path = run.summary.path.clone();
    let enc = opened.enc;
    let mut lines = opened.into_lines();
    let mut layout: Option<usize> = None; // number of fields: 4 master, 5 sample
    let mut header_seen = false;
    let mut customers = DerivedCustomers::new(b);
    let mut new_customers = 0u64;
    while let Some((buf, line_no)) = lines.next_line(&path)? {
        let text = match decode(enc, buf.trim_ascii()) {
            Ok((s, _)) => s,
            Err(()) => {
                run.summary.rows_read += 1;
                run.quarantine(line_no, "", &String::from_utf8_lossy(&buf), "not valid text in the file's encoding")?;
                continue;
            }
        };
        let fields: Vec<&str> = text.split_ascii_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let looks_header = !fields[0].bytes().all(|c| c.is_ascii_digit());
        if layout.is_none() {
            if looks_header && !header_seen {
                // CDNOW_master's header: `customer_id date number_of_cds dollar_value`.
                header_seen = true;
                continue;
            }
            if fields.len() != 4 && fields.len() != 5 {
                return Err(ImportError::Unrecognised {
                    path,
                    reason: format!(
                        "line {line_no}: not a CDNOW file: expected 4 fields (master) or 5 (sample), found {}",
                        fields.len()
                    ),
                });
            }
            layout = Some(fields.len());
        }
        run.summary.rows_read += 1;
        let n_fields = layout.unwrap();
        if fields.len() != n_fields {
            let reason = if looks_header { "repeated header line".to_string() } else {
                format!("wrong field count: expected {n_fields}, found {}", fields.len())
            };
            run.quarantine(line_no, "", &text, &reason)?;
            continue;
        }
        let off = n_fields - 4;
        let result = (|| -> Result<(), RowError> {
            let (cust_col, cust_raw) = if off == 1 { ("sample_id", fields[1]) } else { ("customer_id", fields[0]) };
            if !cust_raw.bytes().all(|c| c.is_ascii_digit()) {
                return Err(RowError::new(cust_col, cust_raw, "bad id: not a number"));
            }
            let cust = strip_zeros(cust_raw);
            let (customer_id, cust_idx) = b.customers.get_indexed(cust, CustomerId::parse).map_err(|e| RowError::new(cust_col, cust_raw, format!("bad id: {e}")))?;
            let date = fields[off + 1];
            let ordered_at = Timestamp::parse_compact_date(date).map_err(|_| RowError::new("date", date, "bad date (YYYYMMDD)"))?;
            let cds_raw = fields[off + 2];
            let cds: f64 = crate::text::parse_f64(cds_raw).ok_or_else(|| RowError::new("cds", cds_raw, "bad number"))?;
            if cds < 0.0 || cds.fract() != 0.0 {
                return Err(RowError::new("cds", cds_raw, "number of CDs must be a whole number ≥ 0"));
            }
            let dollars_raw = fields[off + 3];
            let dollars = crate::text::parse_money(dollars_raw).map_err(|e| RowError::new("dollars", dollars_raw, crate::text::number_reason(&e)))?;
            let (quantity, unit_price) = if cds == 0.0 {
                (1.0, dollars.get())
            } else {
                (cds, dollars.get() / cds)
            };
            let order_id = OrderId::parse(&format!("{cust}-{date}-{line_no}")).map_err(|e| RowError::new("", date, e.to_string()))?;
            let extra = if off == 1 { vec![("master_id".to_string(), fields[0].to_string())] } else { Vec::new() };
            if customers.see(b, &customer_id, cust_idx, None) {
                new_customers += 1;
            }
            b.shop.orders.push(order_line(
                order_id,
                customer_id,
                ordered_at,
                None,
                Quantity::new(quantity).expect("finite"),
                Money::new(unit_price).expect("finite, non-negative"),
                OrderStatus::Completed,
                extra,
            ));
            Ok(())
        })();
        match result {
            Ok(()) => run.accept(),
            Err(e) => run.quarantine(line_no, &e.column, &e.value, &e.reason)?,
        }
    }
    if layout.is_none() && !header_seen {
        return Err(ImportError::Empty { path });
    }
    run.summary.derived.insert("customers".into(), new_customers);
    Ok(())
}

/// Taobao UserBehavior: `user,item,category,behavior,ts` without header. pv → product_view,
/// cart → add_to_cart, fav → wishlist, buy → purchase; every buy is also an order line
/// (order_id = `user:ts:item`, quantity 1, unit_price 0, extra `price_known=false`).
fn taobao(run: &mut FileRun<'_>, b: &mut Builder, opened: Opened) -> Result<(), ImportError> {
    let path = run.summary.path.clone();
    let enc: Enc = opened.enc;
    let mut records = RecordStream::new(opened, b',');
    let mut customers = DerivedCustomers::new(b);
    let mut products = SeenProducts::default();
    let (mut new_customers, mut new_products, mut orders) = (0u64, 0u64, 0u64);
    let mut first = true;
    while let Some((rec, line)) = records.next_line(&path)? {
        let is_header = rec.len() == 5
            && rec.get(4).is_some_and(|f| !f.trim_ascii().is_empty() && !f.trim_ascii().iter().all(|c| c.is_ascii_digit()))
            && rec.get(0).is_some_and(|f| f.iter().any(|c| c.is_ascii_alphabetic()));
        if first {
            first = false;
            if is_header {
                continue;
            }
        }
        run.summary.rows_read += 1;
        if is_header {
            run.quarantine(line, "", &String::from_utf8_lossy(rec.as_slice()), "repeated header line")?;
            continue;
        }
        if quarantine_misshapen(run, line, rec, None, Some(5))? {
            continue;
        }
        let result = (|| -> Result<(), RowError> {
            let get = |i: usize, col: &str| -> Result<Cow<'_, str>, RowError> {
                let bytes = rec.get(i).unwrap_or(b"");
                decode(enc, bytes).map(|(s, _)| s).map_err(|_| RowError::new(col, &String::from_utf8_lossy(bytes), "not valid text"))
            };
            let user = get(0, "user_id")?;
            let (customer_id, cust_idx) = b.customers.get_indexed(user.trim(), CustomerId::parse).map_err(|e| RowError::new("user_id", &user, format!("bad id: {e}")))?;
            let item = get(1, "item_id")?;
            let (product_id, prod_idx) = b.products.get_indexed(item.trim(), ProductId::parse).map_err(|e| RowError::new("item_id", &item, format!("bad id: {e}")))?;
            let cat = get(2, "category_id")?;
            let category = b.categories.get(cat.trim(), xinli_core::Category::parse).map_err(|e| RowError::new("category_id", &cat, format!("bad id: {e}")))?;
            let behavior = get(3, "behavior_type")?;
            let event_type = match behavior.trim() {
                "pv" => EventType::ProductView,
                "cart" => EventType::AddToCart,
                "fav" => EventType::Wishlist,
                "buy" => EventType::Purchase,
                other => return Err(RowError::new("behavior_type", other, "unknown behavior (pv|cart|fav|buy)")),
            };
            let ts_raw = get(4, "timestamp")?;
            let ts = TsFormat::Unix.parse(&ts_raw).map_err(|e| RowError::new("timestamp", &ts_raw, format!("bad date: {e}")))?;
            if customers.see(b, &customer_id, cust_idx, None) {
                new_customers += 1;
            }
            if products.first_time(prod_idx) {
                b.shop.products.push(bare_product(product_id.clone(), Some(category.clone()), Vec::new()));
                new_products += 1;
            }
            if event_type == EventType::Purchase {
                let order_id = OrderId::parse(&format!("{}:{}:{}", customer_id, ts.unix_seconds(), product_id))
                    .map_err(|e| RowError::new("", &ts_raw, e.to_string()))?;
                let mut line = order_line(
                    order_id,
                    customer_id.clone(),
                    ts,
                    Some(product_id.clone()),
                    Quantity::new(1.0).expect("finite"),
                    Money::ZERO,
                    OrderStatus::Completed,
                    vec![("price_known".to_string(), "false".to_string())],
                );
                line.category = Some(category.clone());
                b.shop.orders.push(line);
                orders += 1;
            }
            b.shop.events.push(Event {
                ts,
                subject: Subject::Customer(customer_id),
                session_id: None,
                event_type,
                product_id: Some(product_id),
                category: Some(category),
                query: None,
                value: None,
                properties: None,
                extra: Vec::new(),
            });
            Ok(())
        })();
        match result {
            Ok(()) => run.accept(),
            Err(e) => run.quarantine(line, &e.column, &e.value, &e.reason)?,
        }
    }
    if first {
        return Err(ImportError::Empty { path });
    }
    run.summary.derived.insert("customers".into(), new_customers);
    run.summary.derived.insert("products".into(), new_products);
    run.summary.derived.insert("orders".into(), orders);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn id_normalisation() {
        assert_eq!(strip_float_suffix("17850.0"), "17850");
        assert_eq!(strip_float_suffix("17850"), "17850");
        assert_eq!(strip_float_suffix("A.0"), "A.0");
        assert_eq!(strip_float_suffix("12.5"), "12.5");
        assert_eq!(strip_zeros("0001"), "1");
        assert_eq!(strip_zeros("0000"), "0");
        assert_eq!(strip_zeros("2357"), "2357");
    }
}
