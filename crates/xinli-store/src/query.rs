//! Reads: the customer 360 and customer search.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Serialize;

use crate::analysis::{score_columns, scores_at, CustomerScores, Evidence, Recommendation, EVIDENCE_SQL, RECOMMENDATIONS_SQL};
use crate::ingest::{DETAIL_COLUMNS, RECENT_ACTIVITIES_SQL};
use crate::profile::{Field, Profile, RECENT_ACTIVITIES};
use crate::sql::{Row, Val};
use crate::{Consent, Pii, Store, StoreError};

#[derive(Clone, Debug, Serialize)]
pub struct EventView {
    pub message_id: String,
    pub kind: String,
    pub name: Option<String>,
    pub event_type: Option<String>,
    pub ts: i64,
    pub product_id: Option<String>,
    pub properties: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct OrderView {
    pub order_id: String,
    pub ordered_at: i64,
    pub status: String,
    pub lines: i64,
    pub amount: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReviewView {
    pub review_id: String,
    pub product_id: Option<String>,
    pub ts: i64,
    pub rating: Option<i64>,
    pub text: String,
}

/// Everything known about one customer.
#[derive(Clone, Debug, Serialize)]
pub struct Customer360 {
    pub customer_id: String,
    pub anonymous: bool,
    pub identities: Vec<(String, String)>,
    /// Clear for admins, masked for analysts.
    pub pii: Pii,
    pub consent: Consent,
    pub traits: Option<serde_json::Value>,
    /// The live profile as segment fields (RFM, counters, journey stage, trait signals).
    pub profile: BTreeMap<String, Field>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub segments: Vec<(i64, String, i64)>,
    pub recent_events: Vec<EventView>,
    pub orders: Vec<OrderView>,
    pub reviews: Vec<ReviewView>,
    /// The latest batch analysis (null until one has run): scores, the evidence behind the
    /// trait scores, and recommended products with reasons.
    pub scores: Option<CustomerScores>,
    pub evidence: Vec<Evidence>,
    pub recommendations: Vec<Recommendation>,
}

/// One search hit.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerSummary {
    pub customer_id: String,
    pub anonymous: bool,
    pub orders: i64,
    pub total_spend: f64,
    pub journey_stage: Option<String>,
    pub last_seen: i64,
}

/// Customer search filters (all optional, combined with AND).
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    /// Prefix of the user id or anonymous id.
    pub id_prefix: Option<String>,
    /// Exact email (found through the blind index).
    pub email: Option<String>,
    /// Phone number in any common format (found through the blind index of its digits).
    pub phone: Option<String>,
    pub journey_stage: Option<String>,
    pub min_orders: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// `LIKE` pattern matching a literal prefix (`%`, `_` and `\` escaped).
fn like_prefix(prefix: &str) -> String {
    let mut p = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Store {
    /// The customer 360 of an external id (user id or anonymous id), as of `now_ms`. Nine
    /// statements: the customer (by user id first) with its details, profile and scores; then
    /// one per list, starting with its ids. PostgreSQL runs them as one statement: one round
    /// trip instead of nine; SQLite runs them in one read transaction: one snapshot
    /// ([`crate::sql::Conn::query_row_with_lists`]).
    pub fn customer_360(&mut self, external: &str, reveal_pii: bool, now_ms: i64, recent: i64) -> Result<Option<Customer360>, StoreError> {
        static CUSTOMER: OnceLock<String> = OnceLock::new();
        let customer = CUSTOMER.get_or_init(|| {
            format!(
                "SELECT c.cid, {DETAIL_COLUMNS}, p.data, {} FROM customers c LEFT JOIN profiles p ON p.cid = c.cid \
                 LEFT JOIN customer_scores s ON s.cid = c.cid WHERE c.cid = COALESCE(\
                 (SELECT u.cid FROM identities u WHERE u.kind = 'user' AND u.value = $1), \
                 (SELECT a.cid FROM identities a WHERE a.kind = 'anon' AND a.value = $1))",
                score_columns()
            )
        });
        let (recent_activities, recommended) = (Val::Int(RECENT_ACTIVITIES as i64), Val::Int(10));
        let lists: [(&str, &[Val]); 8] = [
            ("SELECT kind, value FROM identities WHERE cid = $1 ORDER BY kind, value", &[]),
            (RECENT_ACTIVITIES_SQL, std::slice::from_ref(&recent_activities)),
            (
                "SELECT s.id, s.name, m.entered_at FROM segment_members m JOIN segments s ON s.id = m.segment_id \
                 WHERE m.cid = $1 AND m.left_at IS NULL ORDER BY s.id",
                &[],
            ),
            (
                "SELECT message_id, kind, name, event_type, ts, product_id, properties FROM events WHERE cid = $1 ORDER BY ts DESC, id DESC LIMIT $2",
                &[recent.into()],
            ),
            (
                "SELECT order_id, MIN(ordered_at), MIN(status), COUNT(*), SUM(quantity * unit_price) FROM orders WHERE cid = $1 \
                 GROUP BY order_id ORDER BY 2 DESC LIMIT $2",
                &[recent.into()],
            ),
            ("SELECT review_id, product_id, ts, rating, text FROM reviews WHERE cid = $1 ORDER BY ts DESC LIMIT $2", &[recent.into()]),
            (EVIDENCE_SQL, &[]),
            (RECOMMENDATIONS_SQL, std::slice::from_ref(&recommended)),
        ];
        let Some((row, lists)) = self.conn.query_row_with_lists(customer, &[external.into()], &lists)? else { return Ok(None) };
        let [identities, activities, segments, events, orders, reviews, evidence, recommendations]: [Vec<Row>; 8] =
            lists.try_into().expect("one list each");
        let cid = row.int(0);
        let identities: Vec<(String, String)> = identities.iter().map(|r| (r.text(0), r.text(1))).collect();
        // The label rule of `Store::label`: the user id, else the first anonymous id.
        let user_id = identities.iter().find(|(k, _)| k == "user").map(|(_, v)| v.clone());
        let label = user_id.clone().or_else(|| identities.first().map(|(_, v)| v.clone())).unwrap_or_default();
        let (pii, consent, traits) = self.details_of(cid, &row, 1)?;
        const PROFILE: usize = 6;
        let mut profile: Profile = match row.opt_text(PROFILE) {
            Some(data) => serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("profile of customer {cid}: {e}")))?,
            None => Profile::default(),
        };
        profile.recent = crate::ingest::activities(&activities);
        Ok(Some(Customer360 {
            customer_id: label.clone(),
            anonymous: user_id.is_none(),
            identities,
            pii: if reveal_pii { pii } else { pii.masked() },
            consent,
            traits: traits.map(serde_json::Value::Object),
            profile: profile.record(&label, now_ms).fields(),
            first_seen: profile.first_seen_ms,
            last_seen: profile.last_seen_ms,
            segments: segments.iter().map(|r| (r.int(0), r.text(1), r.int(2))).collect(),
            recent_events: events
                .iter()
                .map(|r| EventView {
                    message_id: r.text(0),
                    kind: r.text(1),
                    name: r.opt_text(2),
                    event_type: r.opt_text(3),
                    ts: r.int(4),
                    product_id: r.opt_text(5),
                    properties: r.opt_text(6).and_then(|p| serde_json::from_str(&p).ok()),
                })
                .collect(),
            orders: orders
                .iter()
                .map(|r| OrderView { order_id: r.text(0), ordered_at: r.int(1), status: r.text(2), lines: r.int(3), amount: r.opt_real(4).unwrap_or(0.0) })
                .collect(),
            reviews: reviews
                .iter()
                .map(|r| ReviewView { review_id: r.text(0), product_id: r.opt_text(1), ts: r.int(2), rating: r.opt_int(3), text: r.text(4) })
                .collect(),
            scores: scores_at(cid, &row, PROFILE + 1)?,
            evidence: crate::analysis::evidence(&evidence),
            recommendations: crate::analysis::recommendations(&recommendations),
        }))
    }

    /// Customers matching every given filter, most recently seen first.
    pub fn search_customers(&mut self, q: &SearchQuery) -> Result<Vec<CustomerSummary>, StoreError> {
        let mut sql = String::from(
            "SELECT c.cid, c.user_id, COALESCE(p.orders, 0), COALESCE(p.revenue, 0.0), p.stage, COALESCE(p.last_seen, 0) \
             FROM customers c LEFT JOIN profiles p ON p.cid = c.cid WHERE 1 = 1",
        );
        let mut params: Vec<Val> = Vec::new();
        let mut bind = |sql: &mut String, clause: &str, v: Val| {
            params.push(v);
            sql.push_str(&clause.replace("$?", &format!("${}", params.len())));
        };
        if let Some(prefix) = &q.id_prefix {
            bind(
                &mut sql,
                " AND EXISTS (SELECT 1 FROM identities i WHERE i.cid = c.cid AND i.value LIKE $? ESCAPE '\\')",
                like_prefix(prefix).into(),
            );
        }
        if let Some(email) = &q.email {
            bind(&mut sql, " AND c.email_index = $?", self.cipher.email_index(email).into());
        }
        if let Some(phone) = &q.phone {
            // Too few digits to index: nobody matches (NULL never equals).
            bind(&mut sql, " AND c.phone_index = $?", self.cipher.phone_index(phone).into());
        }
        if let Some(stage) = &q.journey_stage {
            bind(&mut sql, " AND p.stage = $?", stage.as_str().into());
        }
        if let Some(n) = q.min_orders {
            bind(&mut sql, " AND p.orders >= $?", n.into());
        }
        bind(&mut sql, " ORDER BY 6 DESC, c.cid LIMIT $?", q.limit.into());
        bind(&mut sql, " OFFSET $?", q.offset.into());
        let rows = self.conn.query(&sql, &params)?;
        rows.iter()
            .map(|r| {
                let user = r.opt_text(1);
                Ok(CustomerSummary {
                    customer_id: match &user {
                        Some(u) => u.clone(),
                        None => self.label(r.int(0))?,
                    },
                    anonymous: user.is_none(),
                    orders: r.int(2),
                    total_spend: r.opt_real(3).unwrap_or(0.0),
                    journey_stage: r.opt_text(4),
                    last_seen: r.int(5),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_prefix_escapes_wildcards() {
        assert_eq!(super::like_prefix("a%b_c\\"), "a\\%b\\_c\\\\%");
    }
}
