//! The canonical kinds of data contract v1, their row parsers and the CSV / JSONL readers.

use crate::input::{classify_csv, Opened, RecordStream};
use crate::run::{Builder, FileRun};
use crate::text::{decode, parse_bool, parse_f64, parse_money, parse_quantity, TsFormat};
use crate::ImportError;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use xinli_core::{
    CampaignTouch, Customer, Event, EventType, Gender, Language, OrderLine, OrderStatus, Product,
    Review, Subject, Timestamp,
};

/// The canonical file kinds of data contract v1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Customers,
    Products,
    Orders,
    Events,
    Reviews,
    Campaigns,
}

const CUSTOMERS: &[&str] = &[
    "customer_id", "signup_at", "gender", "birth_date", "city", "region", "acquisition_channel",
    "consent_email", "consent_sms", "consent_push", "email", "phone", "name",
];
const PRODUCTS: &[&str] = &["product_id", "category", "list_price", "launched_at", "brand", "avg_rating"];
const ORDERS: &[&str] = &[
    "order_id", "customer_id", "ordered_at", "product_id", "category", "quantity", "unit_price",
    "list_price", "coupon_code", "payment_method", "channel", "status", "promised_delivery_at",
    "delivered_at",
];
const EVENTS: &[&str] = &[
    "ts", "customer_id", "anonymous_id", "session_id", "type", "product_id", "category", "query",
    "value", "properties",
];
const REVIEWS: &[&str] = &["review_id", "customer_id", "product_id", "ts", "rating", "text", "language"];
const CAMPAIGNS: &[&str] = &[
    "campaign_id", "customer_id", "ts", "channel", "variant", "opened", "clicked", "converted", "revenue",
];

/// The most columns any kind has.
pub(crate) const MAX_COLUMNS: usize = 14;

impl Kind {
    pub const ALL: [Kind; 6] =
        [Kind::Customers, Kind::Products, Kind::Orders, Kind::Events, Kind::Reviews, Kind::Campaigns];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Products => "products",
            Kind::Orders => "orders",
            Kind::Events => "events",
            Kind::Reviews => "reviews",
            Kind::Campaigns => "campaigns",
        }
    }

    pub fn parse(raw: &str) -> Option<Kind> {
        let s = raw.trim().to_ascii_lowercase();
        Kind::ALL.into_iter().find(|k| k.name() == s || k.name().trim_end_matches('s') == s)
    }

    /// The canonical column names, in contract order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Customers => CUSTOMERS,
            Kind::Products => PRODUCTS,
            Kind::Orders => ORDERS,
            Kind::Events => EVENTS,
            Kind::Reviews => REVIEWS,
            Kind::Campaigns => CAMPAIGNS,
        }
    }

    /// Columns a file must have. Events need `ts`, `type` and one of `customer_id` / `anonymous_id`.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Kind::Customers => &["customer_id"],
            Kind::Products => &["product_id"],
            Kind::Orders => &["order_id", "customer_id", "ordered_at", "quantity", "unit_price"],
            Kind::Events => &["ts", "type"],
            Kind::Reviews => &["review_id", "ts", "text"],
            Kind::Campaigns => &["campaign_id", "customer_id", "ts"],
        }
    }

    pub(crate) fn column_index(self, name: &str) -> Option<usize> {
        let n = name.trim().to_lowercase();
        self.columns().iter().position(|c| *c == n)
    }

    /// Header columns missing for this kind.
    pub(crate) fn missing(self, present: &[bool]) -> Vec<String> {
        let mut missing: Vec<String> = self
            .required()
            .iter()
            .filter(|c| !present[self.column_index(c).unwrap()])
            .map(|c| c.to_string())
            .collect();
        if self == Kind::Events && !present[1] && !present[2] {
            missing.push("customer_id or anonymous_id".into());
        }
        missing
    }
}

/// What was wrong with one row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RowError {
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl RowError {
    pub(crate) fn new(column: &str, value: &str, reason: impl Into<String>) -> Self {
        RowError { column: column.to_string(), value: value.to_string(), reason: reason.into() }
    }
}

/// One row in canonical terms: the value of each canonical column (`None` = absent or blank)
/// and the extra columns.
pub(crate) struct CanonRow<'a> {
    pub kind: Kind,
    pub vals: [Option<Cow<'a, str>>; MAX_COLUMNS],
    pub extra: Vec<(String, String)>,
}

impl<'a> CanonRow<'a> {
    pub(crate) fn new(kind: Kind) -> Self {
        CanonRow { kind, vals: Default::default(), extra: Vec::new() }
    }
    #[inline]
    fn name(&self, i: usize) -> &'static str {
        self.kind.columns()[i]
    }
    #[inline]
    fn opt(&self, i: usize) -> Option<&str> {
        self.vals[i].as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    #[inline]
    fn req(&self, i: usize) -> Result<&str, RowError> {
        self.opt(i).ok_or_else(|| RowError::new(self.name(i), "", "empty required field"))
    }
    fn string(&self, i: usize) -> Option<String> {
        self.opt(i).map(str::to_string)
    }
    fn ts(&self, i: usize, fmt: &TsFormat) -> Result<Timestamp, RowError> {
        let v = self.req(i)?;
        fmt.parse(v).map_err(|e| RowError::new(self.name(i), v, format!("bad date: {e}")))
    }
    fn ts_opt(&self, i: usize, fmt: &TsFormat) -> Result<Option<Timestamp>, RowError> {
        match self.opt(i) {
            None => Ok(None),
            Some(_) => self.ts(i, fmt).map(Some),
        }
    }
    fn money_opt(&self, i: usize) -> Result<Option<xinli_core::Money>, RowError> {
        match self.opt(i) {
            None => Ok(None),
            Some(v) => parse_money(v).map(Some).map_err(|e| RowError::new(self.name(i), v, crate::text::number_reason(&e))),
        }
    }
    fn f64_opt(&self, i: usize) -> Result<Option<f64>, RowError> {
        match self.opt(i) {
            None => Ok(None),
            Some(v) => parse_f64(v).map(Some).ok_or_else(|| RowError::new(self.name(i), v, "bad number")),
        }
    }
    fn bool_opt(&self, i: usize) -> Result<Option<bool>, RowError> {
        match self.opt(i) {
            None => Ok(None),
            Some(v) => parse_bool(v)
                .map(Some)
                .ok_or_else(|| RowError::new(self.name(i), v, "not a boolean (true/false/1/0/yes/no/是/否)")),
        }
    }
}

macro_rules! id {
    ($builder:expr, $row:expr, $interner:ident, $parse:path, $i:expr) => {{
        let v = $row.req($i)?;
        $builder.$interner.get(v, $parse).map_err(|e| RowError::new($row.name($i), v, format!("bad id: {e}")))?
    }};
}
macro_rules! id_opt {
    ($builder:expr, $row:expr, $interner:ident, $parse:path, $i:expr) => {{
        match $row.opt($i) {
            None => None,
            Some(v) => Some(
                $builder.$interner.get(v, $parse).map_err(|e| RowError::new($row.name($i), v, format!("bad id: {e}")))?,
            ),
        }
    }};
}

/// Parses one canonical row into the shop.
pub(crate) fn parse_row(b: &mut Builder, row: CanonRow<'_>, ts: &TsFormat) -> Result<(), RowError> {
    match row.kind {
        Kind::Customers => {
            let customer = Customer {
                customer_id: id!(b, row, customers, xinli_core::CustomerId::parse, 0),
                signup_at: row.ts_opt(1, ts)?,
                gender: row.opt(2).and_then(Gender::parse),
                birth_date: row.ts_opt(3, ts)?,
                city: row.string(4),
                region: row.string(5),
                acquisition_channel: row.string(6),
                consent_email: row.bool_opt(7)?,
                consent_sms: row.bool_opt(8)?,
                consent_push: row.bool_opt(9)?,
                email: row.string(10),
                phone: row.string(11),
                name: row.string(12),
                extra: row.extra,
            };
            b.shop.customers.push(customer);
        }
        Kind::Products => {
            let avg_rating = row.f64_opt(5)?;
            if let Some(r) = avg_rating {
                if !(0.0..=5.0).contains(&r) {
                    return Err(RowError::new("avg_rating", row.opt(5).unwrap_or(""), "rating outside 0–5"));
                }
            }
            let product = Product {
                product_id: id!(b, row, products, xinli_core::ProductId::parse, 0),
                category: id_opt!(b, row, categories, xinli_core::Category::parse, 1),
                list_price: row.money_opt(2)?,
                launched_at: row.ts_opt(3, ts)?,
                brand: row.string(4),
                avg_rating,
                extra: row.extra,
            };
            b.shop.products.push(product);
        }
        Kind::Orders => {
            let status = match row.opt(11) {
                None => OrderStatus::Completed,
                Some(v) => OrderStatus::parse(v)
                    .ok_or_else(|| RowError::new("status", v, "unknown status (completed|cancelled|returned)"))?,
            };
            let q = row.req(5)?;
            let quantity =
                parse_quantity(q).map_err(|e| RowError::new("quantity", q, crate::text::number_reason(&e)))?;
            let p = row.req(6)?;
            let unit_price =
                parse_money(p).map_err(|e| RowError::new("unit_price", p, crate::text::number_reason(&e)))?;
            let line = OrderLine {
                order_id: id!(b, row, orders, xinli_core::OrderId::parse, 0),
                customer_id: id!(b, row, customers, xinli_core::CustomerId::parse, 1),
                ordered_at: row.ts(2, ts)?,
                product_id: id_opt!(b, row, products, xinli_core::ProductId::parse, 3),
                category: id_opt!(b, row, categories, xinli_core::Category::parse, 4),
                quantity,
                unit_price,
                list_price: row.money_opt(7)?,
                coupon_code: row.string(8),
                payment_method: row.opt(9).map(|s| s.to_lowercase()),
                channel: row.opt(10).map(|s| s.to_lowercase()),
                status,
                promised_delivery_at: row.ts_opt(12, ts)?,
                delivered_at: row.ts_opt(13, ts)?,
                extra: row.extra,
            };
            b.shop.orders.push(line);
        }
        Kind::Events => {
            let when = row.ts(0, ts)?;
            let subject = match (row.opt(1), row.opt(2)) {
                (Some(_), _) => Subject::Customer(id!(b, row, customers, xinli_core::CustomerId::parse, 1)),
                (None, Some(_)) => Subject::Anonymous(id!(b, row, customers, xinli_core::CustomerId::parse, 2)),
                (None, None) => {
                    return Err(RowError::new("customer_id", "", "empty required field (customer_id or anonymous_id)"))
                }
            };
            let t = row.req(4)?;
            let event_type = EventType::parse(t).ok_or_else(|| RowError::new("type", t, "unknown event type"))?;
            let properties = match row.opt(9) {
                None => None,
                // Validated without building a value: events are the bulk of a shop.
                Some(p) => match serde_json::from_str::<serde::de::IgnoredAny>(p) {
                    Ok(_) if p.trim_start().starts_with('{') => Some(p.to_string()),
                    Ok(_) => return Err(RowError::new("properties", p, "properties is not a JSON object")),
                    Err(e) => return Err(RowError::new("properties", p, format!("invalid JSON properties: {e}"))),
                },
            };
            let event = Event {
                ts: when,
                subject,
                session_id: row.string(3),
                event_type,
                product_id: id_opt!(b, row, products, xinli_core::ProductId::parse, 5),
                category: id_opt!(b, row, categories, xinli_core::Category::parse, 6),
                query: row.string(7),
                value: row.f64_opt(8)?,
                properties,
                extra: row.extra,
            };
            b.push_event(event);
        }
        Kind::Reviews => {
            let rating = match row.opt(4) {
                None => None,
                Some(v) => {
                    let r = parse_f64(v).ok_or_else(|| RowError::new("rating", v, "bad number"))?;
                    if !(1.0..=5.0).contains(&r) || r.fract() != 0.0 {
                        return Err(RowError::new("rating", v, "rating outside 1–5"));
                    }
                    Some(r as u8)
                }
            };
            let language = match row.opt(6) {
                None => None,
                Some(v) => Some(Language::parse(v).ok_or_else(|| RowError::new("language", v, "unknown language (zh|en)"))?),
            };
            let review = Review {
                review_id: id!(b, row, reviews, xinli_core::ReviewId::parse, 0),
                customer_id: id_opt!(b, row, customers, xinli_core::CustomerId::parse, 1),
                product_id: id_opt!(b, row, products, xinli_core::ProductId::parse, 2),
                ts: row.ts(3, ts)?,
                rating,
                text: row.req(5)?.to_string(),
                language,
                extra: row.extra,
            };
            b.shop.reviews.push(review);
        }
        Kind::Campaigns => {
            let touch = CampaignTouch {
                campaign_id: id!(b, row, campaigns, xinli_core::CampaignId::parse, 0),
                customer_id: id!(b, row, customers, xinli_core::CustomerId::parse, 1),
                ts: row.ts(2, ts)?,
                channel: row.opt(3).map(|s| s.to_lowercase()),
                variant: row.string(4),
                opened: row.bool_opt(5)?,
                clicked: row.bool_opt(6)?,
                converted: row.bool_opt(7)?,
                revenue: row.money_opt(8)?,
                extra: row.extra,
            };
            b.shop.campaigns.push(touch);
        }
    }
    Ok(())
}

/// Where a canonical column's value comes from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Src {
    Absent,
    Column(usize),
    Const(String),
}

/// How the fields of a delimited file become canonical rows.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub kind: Kind,
    pub src: Vec<Src>,
    /// Source columns kept as extra: (name, index).
    pub extra: Vec<(String, usize)>,
    /// Per canonical column: source value → canonical value.
    pub value_maps: Vec<Option<HashMap<String, String>>>,
    pub ts: TsFormat,
}

impl Layout {
    /// The canonical layout from a header line: names matched case-insensitively, trimmed.
    pub(crate) fn from_header(kind: Kind, header: &[String]) -> Layout {
        let mut src = vec![Src::Absent; kind.columns().len()];
        let mut extra = Vec::new();
        for (i, name) in header.iter().enumerate() {
            match kind.column_index(name) {
                Some(c) if src[c] == Src::Absent => src[c] = Src::Column(i),
                _ => extra.push((name.trim().to_string(), i)),
            }
        }
        Layout { kind, value_maps: vec![None; src.len()], src, extra, ts: TsFormat::Contract }
    }

    pub(crate) fn present(&self) -> Vec<bool> {
        self.src.iter().map(|s| *s != Src::Absent).collect()
    }
}

/// Options of a delimited read.
pub(crate) struct Delimited {
    pub delimiter: u8,
    pub has_header: bool,
    /// For files without header: the layout, and how many fields a row must have (if known).
    pub layout: Option<Layout>,
    pub fields: Option<usize>,
}

fn decode_header(path: &str, enc: crate::text::Enc, rec: &csv::ByteRecord) -> Result<Vec<String>, ImportError> {
    rec.iter()
        .map(|f| {
            decode(enc, f)
                .map(|(s, _)| s.trim().trim_start_matches('\u{feff}').to_string())
                .map_err(|_| ImportError::Unrecognised {
                    path: path.to_string(),
                    reason: "header line is not text in the file's encoding".into(),
                })
        })
        .collect()
}

/// Quarantines a record that repeats the header line (the same fields up to ASCII white space) or
/// does not have `expected` fields; `true` when it did.
#[inline]
pub(crate) fn quarantine_misshapen(
    run: &mut FileRun<'_>,
    line: u64,
    rec: &csv::ByteRecord,
    header: Option<&csv::ByteRecord>,
    expected: Option<usize>,
) -> Result<bool, ImportError> {
    if let Some(h) = header {
        if rec.len() == h.len() && rec.iter().zip(h.iter()).all(|(a, b)| a.trim_ascii() == b.trim_ascii()) {
            run.quarantine(line, "", "", "repeated header line")?;
            return Ok(true);
        }
    }
    if let Some(n) = expected {
        if rec.len() != n {
            let raw = String::from_utf8_lossy(rec.as_slice()).into_owned();
            run.quarantine(line, "", &raw, &format!("wrong field count: expected {n}, found {}", rec.len()))?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// Reads a delimited (CSV/TSV) canonical or mapped file.
pub(crate) fn read_delimited(
    run: &mut FileRun<'_>,
    b: &mut Builder,
    opened: Opened,
    spec: Delimited,
    resolve: &dyn Fn(&[String]) -> Result<Layout, ImportError>,
) -> Result<(), ImportError> {
    let path = run.summary.path.clone();
    let enc = opened.enc;
    let mut records = RecordStream::new(opened, spec.delimiter);
    let mut header_rec: Option<csv::ByteRecord> = None;
    let layout = if spec.has_header {
        let Some(rec) = records.next().map_err(|e| classify_csv(&path, e))? else {
            return Err(ImportError::Empty { path });
        };
        let names = decode_header(&path, enc, rec)?;
        let layout = resolve(&names)?;
        let missing = layout.kind.missing(&layout.present());
        if !missing.is_empty() {
            return Err(ImportError::MissingColumns { path, missing, found: names });
        }
        header_rec = Some(rec.clone());
        layout
    } else {
        spec.layout.clone().expect("headerless reads carry a layout")
    };
    let expected = header_rec.as_ref().map(|h| h.len()).or(spec.fields);
    let kind = layout.kind;
    while let Some((rec, line)) = records.next_line(&path)? {
        run.summary.rows_read += 1;
        if quarantine_misshapen(run, line, rec, header_rec.as_ref(), expected)? {
            continue;
        }
        let mut row = CanonRow::new(kind);
        let mut fell_back = false;
        let mut bad: Option<RowError> = None;
        for (c, src) in layout.src.iter().enumerate() {
            let v: Cow<'_, str> = match src {
                Src::Absent => continue,
                Src::Const(s) => Cow::Borrowed(s.as_str()),
                Src::Column(i) => match rec.get(*i) {
                    None => continue,
                    Some(bytes) => match decode(enc, bytes) {
                        Ok((s, fb)) => {
                            fell_back |= fb;
                            s
                        }
                        Err(()) => {
                            bad = Some(RowError::new(
                                kind.columns()[c],
                                &String::from_utf8_lossy(bytes),
                                "not valid text in the file's encoding",
                            ));
                            break;
                        }
                    },
                },
            };
            let v = match &layout.value_maps[c] {
                Some(map) => match map.get(v.trim()) {
                    Some(mapped) => Cow::Owned(mapped.clone()),
                    None => v,
                },
                None => v,
            };
            row.vals[c] = Some(v);
        }
        if let Some(e) = bad {
            run.quarantine(line, &e.column, &e.value, &e.reason)?;
            continue;
        }
        for (name, i) in &layout.extra {
            if let Some(bytes) = rec.get(*i) {
                let (s, fb) = decode(enc, bytes).unwrap_or_else(|_| (String::from_utf8_lossy(bytes), false));
                fell_back |= fb;
                row.extra.push((name.clone(), s.into_owned()));
            }
        }
        if fell_back {
            run.summary.rows_decoded_as_gb18030 += 1;
        }
        match parse_row(b, row, &layout.ts) {
            Ok(()) => run.accept(),
            Err(e) => run.quarantine(line, &e.column, &e.value, &e.reason)?,
        }
    }
    Ok(())
}

fn json_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Reads a JSON-lines canonical file: one JSON object per line, keys are column names.
pub(crate) fn read_jsonl(run: &mut FileRun<'_>, b: &mut Builder, opened: Opened, kind: Kind) -> Result<(), ImportError> {
    let path = run.summary.path.clone();
    let enc = opened.enc;
    let mut lines = opened.into_lines();
    while let Some((buf, line_no)) = lines.next_line(&path)? {
        let trimmed = buf.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        run.summary.rows_read += 1;
        let text = match decode(enc, trimmed) {
            Ok((s, fb)) => {
                if fb {
                    run.summary.rows_decoded_as_gb18030 += 1;
                }
                s
            }
            Err(()) => {
                run.quarantine(line_no, "", &String::from_utf8_lossy(trimmed), "not valid text in the file's encoding")?;
                continue;
            }
        };
        let obj = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(m)) => m,
            Ok(_) => {
                run.quarantine(line_no, "", &text, "line is not a JSON object")?;
                continue;
            }
            Err(e) => {
                run.quarantine(line_no, "", &text, &format!("invalid JSON: {e}"))?;
                continue;
            }
        };
        let mut row = CanonRow::new(kind);
        for (key, value) in &obj {
            match kind.column_index(key) {
                Some(c) if row.vals[c].is_none() => {
                    row.vals[c] = json_text(value).map(Cow::Owned);
                }
                _ => {
                    if let Some(t) = json_text(value) {
                        row.extra.push((key.clone(), t));
                    }
                }
            }
        }
        match parse_row(b, row, &TsFormat::Contract) {
            Ok(()) => run.accept(),
            Err(e) => run.quarantine(line_no, &e.column, &e.value, &e.reason)?,
        }
    }
    if run.summary.rows_read == 0 {
        return Err(ImportError::Empty { path });
    }
    Ok(())
}
