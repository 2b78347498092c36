//! The write path: identity resolution, events stored once per messageId, orders, reviews,
//! traits, and the incremental profile and segment updates — all in the caller's transaction.

use std::collections::VecDeque;

use crate::model::{Message, MessageKind, OrderInput, OrderState, OrderUpdate, Pii, Traits};
use crate::profile::{Activity, Profile, RECENT_ACTIVITIES};
use crate::sql::{Backend, Row, Val};
use crate::stored_ids::StoredIds;
use crate::{now_ms, FastMap, FastSet, IngestOutcome, Store, StoreError, WriteCache};

/// A customer's PII (opened), consent and other traits.
pub(crate) type Details = (Pii, crate::Consent, Option<serde_json::Map<String, serde_json::Value>>);

/// The `customers c` columns [`Store::details_of`] reads, in its order.
pub(crate) const DETAIL_COLUMNS: &str = "c.pii, c.consent_email, c.consent_sms, c.consent_push, c.traits";

/// The latest canonical events of customer `$1`, `$2` of them, newest first.
pub(crate) const RECENT_ACTIVITIES_SQL: &str =
    "SELECT ts, event_type, session_id FROM events WHERE cid = $1 AND event_type IS NOT NULL ORDER BY ts DESC, id DESC LIMIT $2";

/// The activities of [`RECENT_ACTIVITIES_SQL`]'s rows, oldest first.
pub(crate) fn activities(rows: &[Row]) -> VecDeque<Activity> {
    rows.iter()
        .rev()
        .filter_map(|r| Some(Activity { ts_ms: r.int(0), event_type: xinli_core::EventType::parse(&r.text(1))?, session: xinli_journey::session_key(r.opt_text(2).as_deref()) }))
        .collect()
}

const USER: &str = "user";
const ANON: &str = "anon";

/// What one ingest call gathers and writes in few statements: the touched profiles (once each,
/// at the end), the new event and order rows, and the stored orders its messages name.
#[derive(Default)]
pub(crate) struct Touched {
    pub profiles: FastMap<i64, Profile>,
    /// Each customer's external id (user id, else anonymous id) for segment records.
    pub labels: FastMap<i64, String>,
    /// Event rows not inserted yet, [`EVENT_COLUMNS`] values each.
    events: Vec<Val>,
    /// Order line rows not inserted yet, [`ORDER_COLUMNS`] values each.
    order_lines: Vec<Val>,
    /// The orders of the call's messages that are stored (or pending in `order_lines`).
    orders: FastMap<String, KnownOrder>,
    /// Orders not stored yet that have updates waiting in `order_updates`.
    awaited: FastSet<String>,
}

/// What a later message about a stored order needs of it.
struct KnownOrder {
    owner: i64,
    amount: f64,
    /// Every line still completed: only then does a cancellation or return change a profile.
    completed: bool,
}

/// The call's messages that are not stored yet.
fn new_messages<'m>(groups: &'m [&'m [Message]], stored: &'m FastSet<String>) -> impl Iterator<Item = &'m Message> {
    groups.iter().flat_map(|g| g.iter()).filter(|m| !stored.contains(&m.message_id))
}

/// The orders those messages carry.
fn new_orders<'m>(groups: &'m [&'m [Message]], stored: &'m FastSet<String>) -> impl Iterator<Item = &'m OrderInput> {
    new_messages(groups, stored).filter_map(|m| m.order.as_ref())
}

const EVENT_COLUMNS: usize = 17;
const ORDER_COLUMNS: usize = 17;

impl Store {
    /// Stores `messages` in one transaction and returns what happened. Either every message is
    /// durable when this returns Ok, or none is.
    pub fn ingest(&mut self, messages: &[Message]) -> Result<IngestOutcome, StoreError> {
        let (mut outcomes, membership_changes) = self.ingest_groups(&[messages])?;
        let mut outcome = outcomes.pop().unwrap_or_default();
        outcome.membership_changes = membership_changes;
        Ok(outcome)
    }

    /// Group commit: the messages of several requests in one transaction. Returns each group's
    /// outcome (a messageId repeated across groups counts as a duplicate in the later one) and
    /// the segment membership changes of the whole call.
    pub fn ingest_groups(&mut self, groups: &[&[Message]]) -> Result<(Vec<IngestOutcome>, u64), StoreError> {
        // Without the writer's cache (an import, a test) identities and profiles are still kept
        // for the call: inside its transaction they change only through it.
        let call_cache = self.cache.is_none();
        if call_cache {
            self.cache = Some(WriteCache::for_one_call());
        }
        let result = self.ingest_in_transaction(groups);
        if call_cache {
            self.cache = None;
        }
        result
    }

    fn ingest_in_transaction(&mut self, groups: &[&[Message]]) -> Result<(Vec<IngestOutcome>, u64), StoreError> {
        let (outcomes, changes, newly_stored) = self.transaction(|s| {
            let now = now_ms();
            let stored = s.stored_message_ids(groups)?;
            s.create_first_seen_users(groups, &stored, now)?;
            let mut seen = FastSet::default();
            let orders = s.known_orders(groups, &stored)?;
            let awaited = s.awaited_orders(groups, &stored, &orders)?;
            let messages = groups.iter().map(|g| g.len()).sum::<usize>();
            let events = Vec::with_capacity(messages * EVENT_COLUMNS);
            let profiles = s.cache.as_mut().map(|c| std::mem::take(&mut c.profile_room)).unwrap_or_default();
            let mut touched = Touched { profiles, orders, awaited, events, ..Touched::default() };
            let mut outcomes = Vec::with_capacity(groups.len());
            for group in groups {
                let mut outcome = IngestOutcome::default();
                for m in group.iter() {
                    let id = m.message_id.as_str();
                    if stored.contains(id) || !seen.insert(id) {
                        outcome.duplicates += 1;
                    } else {
                        s.ingest_message(m, now, &mut outcome, &mut touched)?;
                    }
                }
                outcomes.push(outcome);
            }
            s.flush_rows(&mut touched)?;
            let changes = s.write_profiles(touched, now)?;
            // SQLite: the fingerprints of the ids stored now, and the last events row, for
            // the in-memory check once this commits.
            let newly_stored = match &s.stored_ids {
                Some(known) => {
                    let through = s.conn.query_one("SELECT MAX(id) FROM events", &[])?.and_then(|r| r.opt_int(0)).unwrap_or(0);
                    Some((seen.into_iter().map(|id| known.fingerprint(id)).collect(), through))
                }
                None => None,
            };
            Ok((outcomes, changes, newly_stored))
        })?;
        if let (Some(known), Some((fingerprints, through))) = (&mut self.stored_ids, newly_stored) {
            known.committed(fingerprints, through);
        }
        Ok((outcomes, changes))
    }

    /// The message ids of `groups` already stored: on SQLite from memory ([`StoredIds`], caught
    /// up first), on PostgreSQL from its unique index, one query per few hundred ids.
    fn stored_message_ids(&mut self, groups: &[&[Message]]) -> Result<FastSet<String>, StoreError> {
        let ids = groups.iter().flat_map(|g| g.iter()).map(|m| m.message_id.as_str());
        if self.conn.backend() == Backend::Sqlite {
            let known = self.stored_ids.get_or_insert_with(StoredIds::new);
            known.catch_up(self.conn.as_mut())?;
            return Ok(known.stored(ids));
        }
        let ids: FastSet<&str> = ids.collect();
        let ids: Vec<Val> = ids.into_iter().map(Val::from).collect();
        let found = self.look_up_each("(SELECT 1 FROM events e WHERE e.message_id = v.column1)", "", &ids)?;
        Ok(found.into_iter().map(|(id, _)| id).collect())
    }

    /// The stored orders that the call's new messages name, one lookup for all.
    fn known_orders(&mut self, groups: &[&[Message]], stored: &FastSet<String>) -> Result<FastMap<String, KnownOrder>, StoreError> {
        let ids: FastSet<&str> = new_orders(groups, stored).map(|o| o.order_id.as_str()).collect();
        if ids.is_empty() {
            return Ok(FastMap::default());
        }
        let ids: Vec<Val> = ids.into_iter().map(Val::from).collect();
        let lines = "FROM orders o WHERE o.order_id = v.column1";
        let found = self.look_up_each(
            &format!("(SELECT MIN(o.cid) {lines})"),
            &format!(", (SELECT SUM(o.quantity * o.unit_price) {lines}), (SELECT MIN(CASE WHEN o.status = 'completed' THEN 1 ELSE 0 END) {lines})"),
            &ids,
        )?;
        Ok(found
            .into_iter()
            .map(|(id, r)| (id, KnownOrder { owner: r.int(1), amount: r.opt_real(2).unwrap_or(0.0), completed: r.int(3) == 1 }))
            .collect())
    }

    /// The orders the call's new messages bring that updates sent before them are waiting for.
    fn awaited_orders(&mut self, groups: &[&[Message]], stored: &FastSet<String>, known: &FastMap<String, KnownOrder>) -> Result<FastSet<String>, StoreError> {
        let ids: FastSet<&str> = new_orders(groups, stored)
            .filter(|o| !o.lines.is_empty() && !known.contains_key(&o.order_id))
            .map(|o| o.order_id.as_str())
            .collect();
        if ids.is_empty() {
            return Ok(FastSet::default());
        }
        let ids: Vec<Val> = ids.into_iter().map(Val::from).collect();
        let found = self.look_up_each("(SELECT MIN(u.message_id) FROM order_updates u WHERE u.order_id = v.column1)", "", &ids)?;
        Ok(found.into_iter().map(|(id, _)| id).collect())
    }

    /// (value, row) for each of `values` that `probe` — a scalar subquery on `v.column1` —
    /// answers: the row holds the value, the probe's answer and the `more` columns. Only found
    /// values come back (rows cost more than probes; most ids are new). The subquery runs once
    /// per value, as an index probe on both backends: PostgreSQL planned `column IN (…256
    /// values…)` as a scan of the whole table while its statistics were missing or stale (a
    /// growing table between autovacuum runs), 70 ms a lookup instead of 0.4 ms.
    fn look_up_each(&mut self, probe: &str, more: &str, values: &[Val]) -> Result<Vec<(String, Row)>, StoreError> {
        let sql = format!("SELECT v.column1, {probe}{more} FROM (VALUES {{rows}}) v WHERE {probe} IS NOT NULL");
        let rows = self.conn.query_rows(&sql, 1, values)?;
        Ok(rows.into_iter().map(|r| (r.text(0), r)).collect())
    }

    /// The customers of the call's user ids that are not known yet, created together (a few
    /// statements instead of a lookup and two inserts per first-seen user); known ones go into
    /// the write cache. A user id that an alias of the call names as `previousId` is left to
    /// [`Store::resolve`]: whether it exists when the alias comes decides a merge.
    fn create_first_seen_users(&mut self, groups: &[&[Message]], stored: &FastSet<String>, now: i64) -> Result<(), StoreError> {
        let messages = || new_messages(groups, stored);
        let aliased: FastSet<&str> = messages().filter_map(|m| m.previous_id.as_deref()).collect();
        let users: FastSet<&str> = messages()
            .filter_map(|m| m.user_id.as_deref())
            .filter(|u| !aliased.contains(u) && self.cache.as_ref().is_none_or(|c| c.identity(USER, u).is_none()))
            .collect();
        if users.is_empty() {
            return Ok(());
        }
        let values: Vec<Val> = users.iter().map(|u| Val::from(*u)).collect();
        let mut known: FastMap<String, i64> = self
            .look_up_each("(SELECT i.cid FROM identities i WHERE i.kind = 'user' AND i.value = v.column1)", "", &values)?
            .into_iter()
            .map(|(user, r)| (user, r.int(1)))
            .collect();
        let new: Vec<Val> = users.iter().filter(|u| !known.contains_key(**u)).flat_map(|u| [Val::from(*u), now.into(), now.into()]).collect();
        let insert = self.conn.insert_undone_with_transaction();
        let created = self.conn.query_rows(&format!("{insert} INTO customers (user_id, created_at, updated_at) VALUES {{rows}} RETURNING user_id, cid"), 3, &new)?;
        let links: Vec<Val> = created.iter().flat_map(|r| [USER.into(), Val::from(r.text(0)), r.int(1).into(), now.into()]).collect();
        self.conn.exec_rows(&format!("{insert} INTO identities (kind, value, cid, created_at) VALUES {{rows}}"), 4, &links)?;
        known.extend(created.iter().map(|r| (r.text(0), r.int(1))));
        if let Some(cache) = self.cache.as_mut() {
            for (user, cid) in &known {
                cache.remember_identity(USER, user, *cid);
            }
            for r in &created {
                cache.remember_profile(r.int(1), Profile::default());
            }
        }
        Ok(())
    }

    /// Inserts the pending event and order rows. No `ON CONFLICT`: the ids were checked at the
    /// start of the transaction, so a conflict means another connection stored one meanwhile —
    /// the transaction fails (nothing acknowledged) rather than count an event twice.
    fn flush_rows(&mut self, touched: &mut Touched) -> Result<(), StoreError> {
        let insert = self.conn.insert_undone_with_transaction();
        self.conn.exec_rows(
            &format!(
                "{insert} INTO events (message_id, cid, kind, name, event_type, ts, received_at, user_id, anonymous_id, \
                 session_id, product_id, category, query, value, properties, context, extra) VALUES {{rows}}"
            ),
            EVENT_COLUMNS,
            &touched.events,
        )?;
        touched.events.clear();
        self.conn.exec_rows(
            &format!(
                "{insert} INTO orders (order_id, line, cid, ordered_at, product_id, category, quantity, unit_price, coupon_code, status, \
                 message_id, list_price, payment_method, channel, promised_delivery_at, delivered_at, extra) VALUES {{rows}}"
            ),
            ORDER_COLUMNS,
            &touched.order_lines,
        )?;
        touched.order_lines.clear();
        Ok(())
    }

    /// A new message (not a duplicate): its customer, event row, profile, traits, order, review.
    fn ingest_message(&mut self, m: &Message, now: i64, outcome: &mut IngestOutcome, touched: &mut Touched) -> Result<(), StoreError> {
        let cid = self.resolve(m, now, outcome, touched)?;
        touched.events.extend([
            m.message_id.as_str().into(),
            cid.into(),
            m.kind.name().into(),
            m.name.clone().into(),
            m.event_type.map(|t| t.name()).into(),
            m.ts_ms.into(),
            now.into(),
            m.user_id.clone().into(),
            m.anonymous_id.clone().into(),
            m.session_id.clone().into(),
            m.product_id.clone().into(),
            m.category.clone().into(),
            m.query.clone().into(),
            m.value.into(),
            m.properties.clone().into(),
            m.context.clone().into(),
            m.extra.clone().into(),
        ]);
        outcome.stored += 1;
        self.profile_mut(touched, cid)?.record_event(m.ts_ms, m.event_type, m.session_id.as_deref());
        if let Some(traits) = &m.traits {
            self.update_traits(cid, traits, now)?;
        }
        if let Some(order) = &m.order {
            self.apply_order(cid, m, order, touched)?;
        }
        if let Some(update) = &m.order_update {
            self.apply_order_update(cid, m, update, touched)?;
        }
        if let Some(r) = &m.review {
            let added = self.conn.exec(
                "INSERT INTO reviews (review_id, cid, product_id, ts, rating, text, language, extra) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (review_id) DO NOTHING",
                &[
                    r.review_id.as_str().into(),
                    cid.into(),
                    r.product_id.clone().into(),
                    m.ts_ms.into(),
                    r.rating.into(),
                    r.text.as_str().into(),
                    r.language.clone().into(),
                    r.extra.clone().into(),
                ],
            )?;
            if added > 0 {
                self.profile_mut(touched, cid)?.record_review(r.rating);
            }
        }
        if let Some(a) = &m.survey {
            self.conn.exec(
                "INSERT INTO surveys (message_id, cid, ts, score, scale, comment, product_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[m.message_id.as_str().into(), cid.into(), m.ts_ms.into(), a.score.into(), a.scale.into(), a.comment.clone().into(), a.product_id.clone().into()],
            )?;
        }
        if let Some(c) = &m.campaign {
            self.conn.exec(
                "INSERT INTO campaign_touches (message_id, campaign_id, cid, ts, channel, variant, opened, clicked, converted, revenue, extra) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                &[
                    m.message_id.as_str().into(),
                    c.campaign_id.as_str().into(),
                    cid.into(),
                    m.ts_ms.into(),
                    c.channel.clone().into(),
                    c.variant.clone().into(),
                    c.opened.into(),
                    c.clicked.into(),
                    c.converted.into(),
                    c.revenue.into(),
                    c.extra.clone().into(),
                ],
            )?;
        }
        Ok(())
    }

    pub(crate) fn profile_mut<'t>(&mut self, touched: &'t mut Touched, cid: i64) -> Result<&'t mut Profile, StoreError> {
        if !touched.profiles.contains_key(&cid) {
            let cached = self.cache.as_mut().and_then(|c| c.profiles.remove(&cid));
            let profile = match cached {
                Some(p) => p,
                None => self.load_profile(cid)?.unwrap_or_default(),
            };
            touched.profiles.insert(cid, profile);
        }
        Ok(touched.profiles.get_mut(&cid).expect("inserted above"))
    }

    pub(crate) fn load_profile(&mut self, cid: i64) -> Result<Option<Profile>, StoreError> {
        if let Some(p) = self.cache.as_ref().and_then(|c| c.profiles.get(&cid)) {
            return Ok(Some(p.clone()));
        }
        let Some(row) = self.conn.query_one("SELECT data FROM profiles WHERE cid = $1", &[cid.into()])? else { return Ok(None) };
        let mut profile: Profile =
            serde_json::from_str(&row.text(0)).map_err(|e| StoreError::Corrupt(format!("profile of customer {cid}: {e}")))?;
        profile.recent = self.recent_activities(cid)?;
        Ok(Some(profile))
    }

    /// The activities a profile keeps: the customer's latest canonical events, oldest first.
    pub(crate) fn recent_activities(&mut self, cid: i64) -> Result<VecDeque<Activity>, StoreError> {
        Ok(activities(&self.conn.query(RECENT_ACTIVITIES_SQL, &[cid.into(), (RECENT_ACTIVITIES as i64).into()])?))
    }

    fn identity(&mut self, kind: &'static str, value: &str) -> Result<Option<i64>, StoreError> {
        if let Some(cid) = self.cache.as_ref().and_then(|c| c.identity(kind, value)) {
            return Ok(Some(cid));
        }
        let cid = self.conn.query_one("SELECT cid FROM identities WHERE kind = $1 AND value = $2", &[kind.into(), value.into()])?.map(|r| r.int(0));
        if let (Some(cid), Some(cache)) = (cid, self.cache.as_mut()) {
            cache.remember_identity(kind, value, cid);
        }
        Ok(cid)
    }

    fn link(&mut self, kind: &'static str, value: &str, cid: i64, now: i64) -> Result<(), StoreError> {
        self.conn.exec(
            "INSERT INTO identities (kind, value, cid, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, value) DO UPDATE SET cid = excluded.cid",
            &[kind.into(), value.into(), cid.into(), now.into()],
        )?;
        if let Some(cache) = self.cache.as_mut() {
            cache.remember_identity(kind, value, cid);
        }
        Ok(())
    }

    fn new_customer(&mut self, user_id: Option<&str>, now: i64) -> Result<i64, StoreError> {
        let row = self
            .conn
            .query_one(
                "INSERT INTO customers (user_id, created_at, updated_at) VALUES ($1, $2, $3) RETURNING cid",
                &[user_id.into(), now.into(), now.into()],
            )?
            .ok_or_else(|| StoreError::Corrupt("INSERT … RETURNING gave no row".into()))?;
        let cid = row.int(0);
        if let Some(cache) = self.cache.as_mut() {
            cache.remember_profile(cid, Profile::default());
        }
        Ok(cid)
    }

    fn customer_for_user(&mut self, user_id: &str, now: i64) -> Result<i64, StoreError> {
        if let Some(cid) = self.identity(USER, user_id)? {
            return Ok(cid);
        }
        let cid = self.new_customer(Some(user_id), now)?;
        self.link(USER, user_id, cid, now)?;
        Ok(cid)
    }

    fn has_user_id(&mut self, cid: i64) -> Result<bool, StoreError> {
        Ok(self.conn.query_one("SELECT user_id FROM customers WHERE cid = $1", &[cid.into()])?.and_then(|r| r.opt_text(0)).is_some())
    }

    /// The customer a message belongs to, creating and merging as identify/alias say.
    fn resolve(&mut self, m: &Message, now: i64, outcome: &mut IngestOutcome, touched: &mut Touched) -> Result<i64, StoreError> {
        let cid = match (&m.user_id, &m.anonymous_id) {
            (Some(user), anon) => {
                let cid = self.customer_for_user(user, now)?;
                if let Some(anon) = anon {
                    match self.identity(ANON, anon)? {
                        None => self.link(ANON, anon, cid, now)?,
                        // An anonymous history joins the known customer; a device shared with
                        // another known customer stays with the first.
                        Some(other) if other != cid && !self.has_user_id(other)? => {
                            self.merge(other, cid, now, touched)?;
                            outcome.merges += 1;
                        }
                        Some(_) => {}
                    }
                }
                touched.labels.insert(cid, user.clone());
                cid
            }
            (None, Some(anon)) => {
                let cid = match self.identity(ANON, anon)? {
                    Some(cid) => cid,
                    None => {
                        let cid = self.new_customer(None, now)?;
                        self.link(ANON, anon, cid, now)?;
                        cid
                    }
                };
                touched.labels.entry(cid).or_insert_with(|| anon.clone());
                cid
            }
            (None, None) => return Err(StoreError::Corrupt(format!("message {} has neither userId nor anonymousId", m.message_id))),
        };
        if m.kind == MessageKind::Alias {
            if let Some(previous) = &m.previous_id {
                let earlier = match self.identity(USER, previous)? {
                    Some(c) => Some(c),
                    None => self.identity(ANON, previous)?,
                };
                match earlier {
                    Some(other) if other != cid => {
                        self.merge(other, cid, now, touched)?;
                        outcome.merges += 1;
                    }
                    Some(_) => {}
                    None => self.link(ANON, previous, cid, now)?,
                }
            }
        }
        Ok(cid)
    }

    /// Moves everything of customer `from` to `into` (identity resolution), then rebuilds
    /// `into`'s profile from its full history so no event is lost or counted twice.
    fn merge(&mut self, from: i64, into: i64, now: i64, touched: &mut Touched) -> Result<(), StoreError> {
        // The pending events and orders of this call move too and count in the rebuilt profile.
        self.flush_rows(touched)?;
        for sql in [
            "UPDATE events SET cid = $2 WHERE cid = $1",
            "UPDATE orders SET cid = $2 WHERE cid = $1",
            "UPDATE reviews SET cid = $2 WHERE cid = $1",
            "UPDATE surveys SET cid = $2 WHERE cid = $1",
            "UPDATE campaign_touches SET cid = $2 WHERE cid = $1",
            "UPDATE order_updates SET cid = $2 WHERE cid = $1",
            "UPDATE identities SET cid = $2 WHERE cid = $1",
        ] {
            self.conn.exec(sql, &[from.into(), into.into()])?;
        }
        // The merged-away customer leaves its segments; its history moves with the person.
        self.conn.exec("UPDATE segment_members SET left_at = $2 WHERE cid = $1 AND left_at IS NULL", &[from.into(), now.into()])?;
        self.conn.exec("UPDATE segment_members SET cid = $2 WHERE cid = $1", &[from.into(), into.into()])?;
        let (pii, consent, traits) = self.customer_details(from)?;
        self.update_traits(into, &Traits { pii, consent, other: traits }, now)?;
        self.conn.exec("DELETE FROM profiles WHERE cid = $1", &[from.into()])?;
        self.conn.exec("DELETE FROM customers WHERE cid = $1", &[from.into()])?;
        // The merged-away id's analysis rows describe half a person; the next run scores the whole.
        self.forget_analysis(from)?;
        if let Some(cache) = self.cache.as_mut() {
            cache.forget_customer(from);
        }
        touched.profiles.remove(&from);
        for order in touched.orders.values_mut().filter(|o| o.owner == from) {
            order.owner = into;
        }
        if let Some(label) = touched.labels.remove(&from) {
            touched.labels.entry(into).or_insert(label);
        }
        let rebuilt = self.rebuild_profile(into)?;
        touched.profiles.insert(into, rebuilt);
        Ok(())
    }

    /// A profile recomputed from every stored event, order and review of the customer.
    pub(crate) fn rebuild_profile(&mut self, cid: i64) -> Result<Profile, StoreError> {
        let mut p = Profile::default();
        for r in self.conn.query("SELECT ts, event_type, session_id FROM events WHERE cid = $1 ORDER BY ts, id", &[cid.into()])? {
            let t = r.opt_text(1).and_then(|t| xinli_core::EventType::parse(&t));
            p.record_event(r.int(0), t, r.opt_text(2).as_deref());
        }
        for r in self.conn.query(
            "SELECT MIN(ordered_at), SUM(quantity * unit_price), MAX(CASE WHEN coupon_code IS NULL THEN 0 ELSE 1 END), MIN(status) \
             FROM orders WHERE cid = $1 GROUP BY order_id",
            &[cid.into()],
        )? {
            let amount = r.opt_real(1).unwrap_or(0.0);
            p.record_order(r.int(0), amount, r.int(2) > 0);
            match r.text(3).as_str() {
                "completed" => {}
                state => p.record_order_reversal(amount, state == "returned"),
            }
        }
        for r in self.conn.query("SELECT rating FROM reviews WHERE cid = $1", &[cid.into()])? {
            p.record_review(r.opt_int(0));
        }
        Ok(p)
    }

    fn apply_order(&mut self, cid: i64, m: &Message, order: &OrderInput, touched: &mut Touched) -> Result<(), StoreError> {
        let Some(known) = touched.orders.get_mut(&order.order_id) else {
            if order.lines.is_empty() {
                return Ok(());
            }
            let update = match touched.awaited.remove(&order.order_id) {
                true => self.take_awaiting_updates(&order.order_id)?,
                false => OrderUpdate::default(),
            };
            for (line, l) in order.lines.iter().enumerate() {
                let details = update.applied_to(&l.details);
                touched.order_lines.extend([
                    order.order_id.as_str().into(),
                    (line as i64).into(),
                    cid.into(),
                    m.ts_ms.into(),
                    l.product_id.clone().into(),
                    l.category.clone().into(),
                    l.quantity.into(),
                    l.unit_price.into(),
                    l.coupon_code.clone().into(),
                    order.state.name().into(),
                    m.message_id.as_str().into(),
                    details.list_price.into(),
                    details.payment_method.into(),
                    details.channel.into(),
                    details.promised_delivery_ms.into(),
                    details.delivered_ms.into(),
                    details.extra.into(),
                ]);
            }
            // Counted as rebuild_profile counts it: placed, then reversed unless completed.
            let amount = order.lines.iter().map(|l| l.quantity * l.unit_price).sum();
            let coupon = order.lines.iter().any(|l| l.coupon_code.is_some());
            let completed = order.state == OrderState::Completed;
            touched.orders.insert(order.order_id.clone(), KnownOrder { owner: cid, amount, completed });
            let p = self.profile_mut(touched, cid)?;
            p.record_order(m.ts_ms, amount, coupon);
            if !completed {
                p.record_order_reversal(amount, order.state == OrderState::Returned);
            }
            return Ok(());
        };
        // A known order: only a move away from completed changes anything.
        if order.state == OrderState::Completed || !known.completed {
            return Ok(());
        }
        known.completed = false;
        let (owner, amount) = (known.owner, known.amount);
        // The order's lines may still be pending.
        self.flush_rows(touched)?;
        self.conn.exec("UPDATE orders SET status = $2 WHERE order_id = $1", &[order.order_id.as_str().into(), order.state.name().into()])?;
        self.profile_mut(touched, owner)?.record_order_reversal(amount, order.state == OrderState::Returned);
        Ok(())
    }

    /// Sets what an update states on every line of its order. An order not stored yet keeps the
    /// update in `order_updates` until it arrives ([`Store::take_awaiting_updates`]): updates
    /// may reach the server before the order they follow.
    fn apply_order_update(&mut self, cid: i64, m: &Message, update: &OrderUpdate, touched: &mut Touched) -> Result<(), StoreError> {
        if update.is_empty() {
            return Ok(());
        }
        // The order's lines may still be pending.
        self.flush_rows(touched)?;
        let stated = [update.payment_method.clone().into(), update.channel.clone().into(), update.promised_delivery_ms.into(), update.delivered_ms.into()];
        let mut params = vec![update.order_id.as_str().into()];
        params.extend(stated.iter().cloned());
        let changed = self.conn.exec(
            "UPDATE orders SET payment_method = COALESCE($2, payment_method), channel = COALESCE($3, channel), \
             promised_delivery_at = COALESCE($4, promised_delivery_at), delivered_at = COALESCE($5, delivered_at) WHERE order_id = $1",
            &params,
        )?;
        if changed == 0 {
            let mut row = vec![m.message_id.as_str().into(), update.order_id.as_str().into(), cid.into(), m.ts_ms.into()];
            row.extend(stated);
            self.conn.exec(
                "INSERT INTO order_updates (message_id, order_id, cid, ts, payment_method, channel, promised_delivery_at, delivered_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &row,
            )?;
            touched.awaited.insert(update.order_id.clone());
        }
        Ok(())
    }

    /// The updates waiting for an order that is arriving, oldest first folded into one (a later
    /// update's stated field wins), and removed: from now on they live on the order's lines.
    fn take_awaiting_updates(&mut self, order_id: &str) -> Result<OrderUpdate, StoreError> {
        let rows = self.conn.query(
            "SELECT payment_method, channel, promised_delivery_at, delivered_at FROM order_updates WHERE order_id = $1 ORDER BY ts, message_id",
            &[order_id.into()],
        )?;
        self.conn.exec("DELETE FROM order_updates WHERE order_id = $1", &[order_id.into()])?;
        let none = OrderUpdate { order_id: order_id.to_string(), ..OrderUpdate::default() };
        Ok(rows.iter().fold(none, |earlier, r| {
            earlier.followed_by(OrderUpdate {
                order_id: order_id.to_string(),
                payment_method: r.opt_text(0),
                channel: r.opt_text(1),
                promised_delivery_ms: r.opt_int(2),
                delivered_ms: r.opt_int(3),
            })
        }))
    }

    /// PII (sealed), consent and other traits of a customer.
    pub(crate) fn customer_details(&mut self, cid: i64) -> Result<Details, StoreError> {
        match self.conn.query_one(&format!("SELECT {DETAIL_COLUMNS} FROM customers c WHERE c.cid = $1"), &[cid.into()])? {
            Some(r) => self.details_of(cid, &r, 0),
            None => Ok(Default::default()),
        }
    }

    /// [`Store::customer_details`] from a row whose columns from `start` on are [`DETAIL_COLUMNS`].
    pub(crate) fn details_of(&self, cid: i64, r: &Row, start: usize) -> Result<Details, StoreError> {
        let pii = match r.opt_blob(start) {
            Some(sealed) => serde_json::from_slice(&self.cipher.open(&sealed)?).map_err(|e| StoreError::Corrupt(format!("PII of {cid}: {e}")))?,
            None => Pii::default(),
        };
        let consent = crate::Consent { email: r.opt_bool(start + 1), sms: r.opt_bool(start + 2), push: r.opt_bool(start + 3) };
        let traits = r.opt_text(start + 4).and_then(|t| serde_json::from_str(&t).ok());
        Ok((pii, consent, traits))
    }

    /// Merges identify traits into the customer: PII sealed, consent where stated, the rest
    /// as JSON (newer keys win).
    pub(crate) fn update_traits(&mut self, cid: i64, traits: &Traits, now: i64) -> Result<(), StoreError> {
        if traits.pii.is_empty() && traits.consent.is_empty() && traits.other.as_ref().map_or(true, |o| o.is_empty()) {
            return Ok(());
        }
        let (mut pii, consent, other) = self.customer_details(cid)?;
        pii.merge(traits.pii.clone());
        let sealed = (!pii.is_empty()).then(|| self.cipher.seal(&serde_json::to_vec(&pii).expect("PII serialises")));
        let email_index = pii.email.as_deref().map(|e| self.cipher.email_index(e));
        let phone_index = pii.phone.as_deref().and_then(|p| self.cipher.phone_index(p));
        let mut merged = other.unwrap_or_default();
        if let Some(newer) = &traits.other {
            merged.extend(newer.clone());
        }
        let c = traits.consent;
        self.conn.exec(
            "UPDATE customers SET pii = $2, email_index = $3, consent_email = $4, consent_sms = $5, consent_push = $6, traits = $7, updated_at = $8, phone_index = $9 WHERE cid = $1",
            &[
                cid.into(),
                sealed.into(),
                email_index.into(),
                c.email.or(consent.email).into(),
                c.sms.or(consent.sms).into(),
                c.push.or(consent.push).into(),
                (!merged.is_empty()).then(|| serde_json::Value::Object(merged).to_string()).into(),
                now.into(),
                phone_index.into(),
            ],
        )?;
        Ok(())
    }

    /// Key rotation: re-seals every PII value under the current key and recomputes the email
    /// and phone blind indexes (and fills the phone index of customers stored before it
    /// existed). Returns the customers rewritten. Run with the old key among the previous keys
    /// (`XINLI_PII_PREVIOUS_KEYS`); afterwards the old key can be dropped.
    pub fn rotate_pii(&mut self) -> Result<u64, StoreError> {
        self.transaction(|s| {
            let rows = s.conn.query("SELECT cid, pii FROM customers WHERE pii IS NOT NULL ORDER BY cid", &[])?;
            let mut rewritten = 0;
            for r in rows {
                let (cid, sealed) = (r.int(0), r.opt_blob(1).unwrap_or_default());
                let plain = s.cipher.open(&sealed)?;
                let pii: Pii = serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(format!("PII of {cid}: {e}")))?;
                let email = pii.email.as_deref().map(|e| s.cipher.email_index(e));
                let phone = pii.phone.as_deref().and_then(|p| s.cipher.phone_index(p));
                s.conn.exec(
                    "UPDATE customers SET pii = $2, email_index = $3, phone_index = $4 WHERE cid = $1",
                    &[cid.into(), s.cipher.seal(&plain).into(), email.into(), phone.into()],
                )?;
                rewritten += 1;
            }
            Ok(rewritten)
        })
    }

    /// Sets consent flags of a customer (an external id); false when there is no such customer.
    pub fn set_consent(&mut self, external: &str, consent: crate::Consent) -> Result<bool, StoreError> {
        self.transaction(|s| {
            let Some(cid) = s.find_customer(external)? else { return Ok(false) };
            s.update_traits(cid, &Traits { consent, ..Traits::default() }, now_ms())?;
            Ok(true)
        })
    }

    /// Writes every touched profile (one multi-row upsert) and re-evaluates its segments;
    /// returns membership changes.
    fn write_profiles(&mut self, mut touched: Touched, now: i64) -> Result<u64, StoreError> {
        // In customer order (the upsert walks its B-tree in order), sorted by reference: moving
        // the profiles themselves cost more than the sort (callgrind).
        let mut profiles: Vec<(i64, &Profile)> = touched.profiles.iter().map(|(cid, p)| (*cid, p)).collect();
        profiles.sort_unstable_by_key(|(cid, _)| *cid);
        let mut labels = Vec::with_capacity(profiles.len());
        for (cid, _) in &profiles {
            labels.push(match touched.labels.get(cid) {
                Some(l) => l.clone(),
                None => self.label(*cid)?,
            });
        }
        let records: Vec<_> = profiles.iter().zip(&labels).map(|((cid, p), label)| (*cid, p.record(label, now))).collect();
        let mut rows = Vec::with_capacity(records.len() * 7);
        for ((cid, p), (_, record)) in profiles.iter().zip(&records) {
            // Sized for a typical profile (~300 bytes) instead of grown from empty.
            let mut data = Vec::with_capacity(512);
            p.write_json(&mut data);
            rows.extend([
                (*cid).into(),
                String::from_utf8(data).expect("JSON is UTF-8").into(),
                record.journey_stage().into(),
                (p.orders as i64).into(),
                p.total_spend.into(),
                p.last_seen_ms.into(),
                now.into(),
            ]);
        }
        self.conn.exec_rows(
            &format!(
                "{} INTO profiles (cid, data, stage, orders, revenue, last_seen, updated_at) VALUES {{rows}} \
                 ON CONFLICT (cid) DO UPDATE SET data = excluded.data, stage = excluded.stage, orders = excluded.orders, \
                 revenue = excluded.revenue, last_seen = excluded.last_seen, updated_at = excluded.updated_at",
                self.conn.insert_undone_with_transaction()
            ),
            7,
            &rows,
        )?;
        let changes = self.update_memberships(&records, now)?;
        if let Some(cache) = self.cache.as_mut() {
            for (cid, p) in touched.profiles.drain() {
                cache.remember_profile(cid, p);
            }
            // The emptied map goes back for the next call: growing a new one each call, page
            // by fresh page, was ~4 % of the writer (perf: rehashes and their page faults).
            cache.profile_room = touched.profiles;
        }
        Ok(changes)
    }

    /// The external id of a customer: its user id, else an anonymous id.
    pub(crate) fn label(&mut self, cid: i64) -> Result<String, StoreError> {
        let row = self.conn.query_one(
            "SELECT c.user_id, (SELECT MIN(value) FROM identities i WHERE i.cid = c.cid AND i.kind = 'anon') FROM customers c WHERE c.cid = $1",
            &[cid.into()],
        )?;
        Ok(row.and_then(|r| r.opt_text(0).or(r.opt_text(1))).unwrap_or_default())
    }

    /// The customer an external id (user id first, then anonymous id) names.
    pub(crate) fn find_customer(&mut self, external: &str) -> Result<Option<i64>, StoreError> {
        match self.identity(USER, external)? {
            Some(cid) => Ok(Some(cid)),
            None => self.identity(ANON, external),
        }
    }
}
