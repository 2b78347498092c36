//! Live segments: expressions of `xinli-segment` over profiles, membership re-evaluated for a
//! customer whenever its profile changes, every entry and exit kept with its time.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::{Map, Value as Json};
use xinli_segment::{Expression, Record, Value};

use crate::profile::{is_live_field, live_schema, ProfileRecord};
use crate::segment_sql::{self, Compiled, Condition};
use crate::sql::{Row, Val};
use crate::{now_ms, Store, StoreError};

pub(crate) struct LiveSegment {
    id: i64,
    expr: Expression,
    /// Reads a field of the batch analysis (`clv`, `persona`, …), not only live ones.
    needs_scores: bool,
}

/// A profile's record with the latest analysis behind it: a live field answers from the
/// profile, a model output (null live) from the customer's `customers.csv` row.
struct Scored<'a, 'p> {
    live: &'a ProfileRecord<'p>,
    scores: Option<&'a Map<String, Json>>,
}

impl Record for Scored<'_, '_> {
    fn get(&self, field: &str) -> Value<'_> {
        match self.live.get(field) {
            Value::Null => match self.scores.and_then(|m| m.get(field)) {
                Some(Json::Number(n)) => n.as_f64().map_or(Value::Null, Value::Number),
                Some(Json::String(s)) => Value::Text(s),
                Some(Json::Bool(b)) => Value::Bool(*b),
                _ => Value::Null,
            },
            live => live,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentDef {
    pub id: i64,
    pub name: String,
    pub expression: String,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Current members.
    pub size: i64,
}

/// An unsaved expression's size and first members ([`Store::preview_segment`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SegmentPreview {
    /// Members, or their estimate when not `exact`.
    pub size: i64,
    /// Profiles the expression was applied to (all of them).
    pub scanned: i64,
    pub members: Vec<String>,
    pub method: PreviewMethod,
    pub exact: bool,
    /// Profiles the Rust evaluator looked at (0 when the database answered).
    pub evaluated: i64,
}

/// How a preview was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PreviewMethod {
    /// By the database, from the expression compiled to SQL: exact.
    Sql,
    /// By the Rust evaluator over every candidate: exact.
    Scan,
    /// By the Rust evaluator over a sample of the candidates: an estimate.
    Sample,
}

/// One point of a segment's size over time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SizePoint {
    pub at: i64,
    pub size: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The expression does not compile: English and Chinese messages with the caret excerpt.
    #[error("{en}")]
    Invalid { en: String, zh: String },
    #[error("a segment named {0:?} exists already / 已有同名分群")]
    NameTaken(String),
    #[error("no such segment / 没有这个分群")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether an expression reads a model output (from the latest scores), not only live fields.
fn needs_scores(expr: &Expression) -> bool {
    expr.fields().iter().any(|f| !is_live_field(f))
}

fn compile(expression: &str) -> Result<Expression, SegmentError> {
    Expression::compile(expression, Some(&live_schema())).map_err(|e| SegmentError::Invalid { en: e.render_en(), zh: e.render_zh() })
}

const SEGMENT_COLUMNS: &str = "s.id, s.name, s.expression, s.description, s.created_at, s.updated_at, \
     (SELECT COUNT(*) FROM segment_members m WHERE m.segment_id = s.id AND m.left_at IS NULL)";

fn segment_def(r: &Row) -> SegmentDef {
    SegmentDef {
        id: r.int(0),
        name: r.text(1),
        expression: r.text(2),
        description: r.text(3),
        created_at: r.int(4),
        updated_at: r.int(5),
        size: r.int(6),
    }
}

impl Store {
    /// Recompiles the stored segments (at open and after a rollback).
    pub(crate) fn reload_segments(&mut self) -> Result<(), StoreError> {
        let rows = self.conn.query("SELECT id, expression FROM segments ORDER BY id", &[])?;
        self.segments = rows
            .iter()
            .filter_map(|r| {
                // A stored expression always compiled when saved; a later schema change that
                // breaks one leaves that segment unevaluated rather than stopping the server.
                compile(&r.text(1)).ok().map(|expr| {
                    let needs_scores = needs_scores(&expr);
                    LiveSegment { id: r.int(0), expr, needs_scores }
                })
            })
            .collect();
        Ok(())
    }

    /// Applies each customer's record to every segment; records entries and exits. One query
    /// reads the current memberships of all the customers, one statement per few hundred
    /// entries writes the new ones.
    pub(crate) fn update_memberships(&mut self, records: &[(i64, ProfileRecord<'_>)], now: i64) -> Result<u64, StoreError> {
        if self.segments.is_empty() || records.is_empty() {
            return Ok(0);
        }
        let cids: Vec<Val> = records.iter().map(|(cid, _)| Val::Int(*cid)).collect();
        // An index probe per customer, as in `Store::look_up_each`: PostgreSQL planned
        // `cid IN (…256 ids…)` as a scan of the whole table, or of the other index, while its
        // statistics were missing (108 ms, or 4.3 s as a generic plan, at 10^6 rows; 7 ms so).
        let mut current: HashSet<(i64, i64)> = HashSet::new();
        let found = self.conn.query_rows(
            "SELECT CAST(v.column1 AS BIGINT), (SELECT string_agg(CAST(m.segment_id AS TEXT), ',') FROM segment_members m \
             WHERE m.cid = CAST(v.column1 AS BIGINT) AND m.left_at IS NULL) FROM (VALUES {rows}) v",
            1,
            &cids,
        )?;
        for r in &found {
            current.extend(r.text(1).split(',').filter_map(|id| id.parse().ok()).map(|id| (r.int(0), id)));
        }
        let needs_scores = self.segments.iter().any(|s| s.needs_scores);
        let mut entries = Vec::new();
        for (cid, live) in records {
            let scores = if needs_scores { self.score_row(*cid)? } else { None };
            let record = Scored { live, scores: scores.as_ref() };
            for s in &self.segments {
                match (current.remove(&(*cid, s.id)), s.expr.matches(&record)) {
                    (false, true) => entries.extend([Val::Int(s.id), Val::Int(*cid), Val::Int(now)]),
                    (true, false) => {
                        current.insert((*cid, s.id));
                    }
                    _ => {}
                }
            }
        }
        // What is left of `current` no longer matches (or its segment no longer compiles).
        let mut exits: Vec<(i64, i64)> = current.into_iter().collect();
        exits.sort_unstable();
        for (cid, id) in &exits {
            self.conn.exec(
                "UPDATE segment_members SET left_at = $3 WHERE segment_id = $1 AND cid = $2 AND left_at IS NULL",
                &[(*id).into(), (*cid).into(), now.into()],
            )?;
        }
        self.conn.exec_rows("INSERT INTO segment_members (segment_id, cid, entered_at) VALUES {rows}", 3, &entries)?;
        Ok((entries.len() / 3 + exits.len()) as u64)
    }

    /// Creates a segment and evaluates it over every profile at once.
    pub fn create_segment(&mut self, name: &str, expression: &str, description: &str) -> Result<SegmentDef, SegmentError> {
        compile(expression)?;
        let id = self.transaction(|s| {
            if s.conn.query_one("SELECT id FROM segments WHERE name = $1", &[name.into()])?.is_some() {
                return Ok(None);
            }
            let now = now_ms();
            let id = s
                .conn
                .query_one(
                    "INSERT INTO segments (name, expression, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[name.into(), expression.into(), description.into(), now.into(), now.into()],
                )?
                .map(|r| r.int(0));
            s.reload_segments()?;
            s.reevaluate_all(now)?;
            Ok(id)
        })?;
        let id = id.ok_or_else(|| SegmentError::NameTaken(name.to_string()))?;
        self.segment(id)?.ok_or(SegmentError::NotFound)
    }

    /// Changes a segment's name, expression or description; membership follows at once.
    pub fn update_segment(
        &mut self,
        id: i64,
        name: Option<&str>,
        expression: Option<&str>,
        description: Option<&str>,
    ) -> Result<SegmentDef, SegmentError> {
        if let Some(e) = expression {
            compile(e)?;
        }
        let old = self.segment(id)?.ok_or(SegmentError::NotFound)?;
        if let Some(n) = name.filter(|n| *n != old.name) {
            if self.conn.query_one("SELECT id FROM segments WHERE name = $1", &[n.into()]).map_err(SegmentError::Store)?.is_some() {
                return Err(SegmentError::NameTaken(n.to_string()));
            }
        }
        self.transaction(|s| {
            let now = now_ms();
            s.conn.exec(
                "UPDATE segments SET name = $2, expression = $3, description = $4, updated_at = $5 WHERE id = $1",
                &[
                    id.into(),
                    name.unwrap_or(&old.name).into(),
                    expression.unwrap_or(&old.expression).into(),
                    description.unwrap_or(&old.description).into(),
                    now.into(),
                ],
            )?;
            s.reload_segments()?;
            if expression.is_some() {
                s.reevaluate_all(now)?;
            }
            Ok(())
        })?;
        self.segment(id)?.ok_or(SegmentError::NotFound)
    }

    /// Deletes a segment with its membership history.
    pub fn delete_segment(&mut self, id: i64) -> Result<bool, StoreError> {
        self.transaction(|s| {
            let n = s.conn.exec("DELETE FROM segments WHERE id = $1", &[id.into()])?;
            s.conn.exec("DELETE FROM segment_members WHERE segment_id = $1", &[id.into()])?;
            s.reload_segments()?;
            Ok(n > 0)
        })
    }

    /// Re-evaluates every customer's memberships (a segment changed, or new scores).
    pub(crate) fn reevaluate_all(&mut self, now: i64) -> Result<(), StoreError> {
        if self.segments.is_empty() {
            return Ok(());
        }
        let cids = self.all_cids()?;
        self.for_each_record(cids, now, |s, cid, record| s.update_memberships(&[(cid, record)], now).map(|_| ()))
    }

    /// Calls `f` with each of `cids`' profile as a segment record, in the given order.
    fn for_each_record(
        &mut self,
        cids: Vec<i64>,
        now: i64,
        mut f: impl FnMut(&mut Store, i64, ProfileRecord<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for cid in cids {
            let Some(p) = self.load_profile(cid)? else { continue };
            let label = self.label(cid)?;
            f(self, cid, p.record(&label, now))?;
        }
        Ok(())
    }

    fn all_cids(&mut self) -> Result<Vec<i64>, StoreError> {
        Ok(self.conn.query("SELECT cid FROM profiles ORDER BY cid", &[])?.iter().map(|r| r.int(0)).collect())
    }

    /// What saving `expr` as a segment would give now, without saving it: the number of
    /// customers it matches, out of how many, and the first `limit` of them (external ids, in
    /// customer order). Computed by the database when the expression compiles to SQL
    /// ([`crate::segment_sql`]); otherwise the Rust evaluator decides among the candidates the
    /// compiled conjuncts leave — all of them without a `sample` or when they are at most
    /// `sample`, else an evenly spread sample of about `sample`, and the size is an estimate
    /// (`exact` false).
    pub fn preview_segment(&mut self, expr: &Expression, limit: usize, sample: Option<usize>) -> Result<SegmentPreview, StoreError> {
        let now = now_ms();
        let scanned = self.conn.query_one("SELECT COUNT(*) FROM profiles", &[])?.map_or(0, |r| r.int(0));
        let with_scores = needs_scores(expr);
        let prefilter = match segment_sql::compile(expr.ast(), self.backend(), now, with_scores) {
            Compiled::Exact(c) => {
                let size = self.count_matching(&c)?;
                let cids = self.matching_cids(&c, &format!("ORDER BY p.cid LIMIT {limit}"))?;
                let members = cids.into_iter().map(|cid| self.label(cid)).collect::<Result<_, _>>()?;
                return Ok(SegmentPreview { size, scanned, members, method: PreviewMethod::Sql, exact: true, evaluated: 0 });
            }
            Compiled::Prefilter(c) => Some(c),
            Compiled::Nothing => None,
        };
        let candidates = match &prefilter {
            Some(c) => self.count_matching(c)?,
            None => scanned,
        };
        // Every `stride`-th customer id: spread over the whole history, not its oldest part.
        let stride = sample.map_or(1, |n| (candidates as usize).div_ceil(n.max(1)).max(1)) as i64;
        let filter = prefilter.unwrap_or(Condition { sql: "(1 = 1)".into(), params: Vec::new(), scores: false, customers: false });
        let cids = self.matching_cids(&filter, &format!("AND p.cid % {stride} = 0 ORDER BY p.cid"))?;
        let mut preview = SegmentPreview { size: 0, scanned, members: Vec::new(), method: PreviewMethod::Sample, exact: stride == 1, evaluated: 0 };
        self.evaluate_into(expr, cids, now, limit, &mut preview)?;
        if stride == 1 {
            preview.method = PreviewMethod::Scan;
        } else if preview.evaluated > 0 {
            preview.size = (preview.size as f64 * candidates as f64 / preview.evaluated as f64).round() as i64;
        }
        Ok(preview)
    }

    /// The preview by the Rust evaluator over every profile, without SQL (minutes at a million
    /// customers): what [`Store::preview_segment`] must agree with.
    pub fn scan_segment(&mut self, expr: &Expression, limit: usize) -> Result<SegmentPreview, StoreError> {
        let cids = self.all_cids()?;
        let mut preview = SegmentPreview { size: 0, scanned: 0, members: Vec::new(), method: PreviewMethod::Scan, exact: true, evaluated: 0 };
        self.evaluate_into(expr, cids, now_ms(), limit, &mut preview)?;
        preview.scanned = preview.evaluated;
        Ok(preview)
    }

    fn count_matching(&mut self, c: &Condition) -> Result<i64, StoreError> {
        Ok(self.conn.query_one(&format!("SELECT COUNT(*) {} WHERE {}", c.from_clause(), c.sql), &c.params)?.map_or(0, |r| r.int(0)))
    }

    /// Ids of the profiles `c` holds for, `tail` appended (ordering, limit).
    fn matching_cids(&mut self, c: &Condition, tail: &str) -> Result<Vec<i64>, StoreError> {
        let rows = self.conn.query(&format!("SELECT p.cid {} WHERE {} {tail}", c.from_clause(), c.sql), &c.params)?;
        Ok(rows.iter().map(|r| r.int(0)).collect())
    }

    /// Evaluates `expr` on the profiles of `cids` (with their scores when it reads any) and
    /// counts the members into `preview`.
    fn evaluate_into(&mut self, expr: &Expression, cids: Vec<i64>, now: i64, limit: usize, preview: &mut SegmentPreview) -> Result<(), StoreError> {
        let with_scores = needs_scores(expr);
        self.for_each_record(cids, now, |s, cid, record| {
            let scores = if with_scores { s.score_row(cid)? } else { None };
            preview.evaluated += 1;
            if expr.matches(&Scored { live: &record, scores: scores.as_ref() }) {
                preview.size += 1;
                if preview.members.len() < limit {
                    preview.members.push(record.customer_id().to_string());
                }
            }
            Ok(())
        })
    }

    pub fn segment(&mut self, id: i64) -> Result<Option<SegmentDef>, StoreError> {
        Ok(self.conn.query_one(&format!("SELECT {SEGMENT_COLUMNS} FROM segments s WHERE s.id = $1"), &[id.into()])?.map(|r| segment_def(&r)))
    }

    pub fn segments(&mut self) -> Result<Vec<SegmentDef>, StoreError> {
        Ok(self.conn.query(&format!("SELECT {SEGMENT_COLUMNS} FROM segments s ORDER BY s.id"), &[])?.iter().map(segment_def).collect())
    }

    /// Current members (external ids) with the time they entered, newest first.
    pub fn segment_members(&mut self, id: i64, limit: i64, offset: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = self.conn.query(
            "SELECT m.cid, m.entered_at FROM segment_members m WHERE m.segment_id = $1 AND m.left_at IS NULL \
             ORDER BY m.entered_at DESC, m.cid LIMIT $2 OFFSET $3",
            &[id.into(), limit.into(), offset.into()],
        )?;
        rows.iter().map(|r| Ok((self.label(r.int(0))?, r.int(1)))).collect()
    }

    /// Entries and exits at or after `since_ms`: (external id, "entered" | "left", time).
    pub fn segment_changes(&mut self, id: i64, since_ms: i64, limit: i64) -> Result<Vec<(String, &'static str, i64)>, StoreError> {
        let rows = self.conn.query(
            "SELECT cid, 'entered', entered_at FROM segment_members WHERE segment_id = $1 AND entered_at >= $2 \
             UNION ALL SELECT cid, 'left', left_at FROM segment_members WHERE segment_id = $1 AND left_at >= $2 \
             ORDER BY 3, 1 LIMIT $3",
            &[id.into(), since_ms.into(), limit.into()],
        )?;
        rows.iter()
            .map(|r| Ok((self.label(r.int(0))?, if r.text(1) == "entered" { "entered" } else { "left" }, r.int(2))))
            .collect()
    }

    /// The segment's size at each of `points` evenly spaced times from `from_ms` to `to_ms`.
    pub fn segment_sizes(&mut self, id: i64, from_ms: i64, to_ms: i64, points: usize) -> Result<Vec<SizePoint>, StoreError> {
        let points = points.clamp(1, 1000);
        let step = if points == 1 { 0 } else { (to_ms - from_ms) / (points as i64 - 1) };
        (0..points)
            .map(|i| {
                let at = if i + 1 == points { to_ms } else { from_ms + step * i as i64 };
                let size = self
                    .conn
                    .query_one(
                        "SELECT COUNT(*) FROM segment_members WHERE segment_id = $1 AND entered_at <= $2 AND (left_at IS NULL OR left_at > $2)",
                        &[id.into(), Val::Int(at)],
                    )?
                    .map_or(0, |r| r.int(0));
                Ok(SizePoint { at, size })
            })
            .collect()
    }
}
