//! The ordered funnel engine.
//!
//! # Semantics (the exact rules; `docs/journey.md` repeats them)
//!
//! * **User** = one [`Subject`]: a known customer, or an anonymous visitor (its own user; no
//!   identity stitching — `Customer("7")` and `Anonymous("7")` are two users).
//! * **Attempt**: an occurrence of step 1 (an *anchor*) followed by occurrences of steps
//!   2, 3, … in that order, each **strictly later** than the previous one
//!   (`ts₁ < ts₂ < … < tsₖ`; events in the same second are not ordered, so they cannot follow
//!   each other), with the last one **inside the window, inclusive**: `tsₖ − ts₁ ≤ window`.
//!   Other events between the steps do not matter (no strict sequence).
//! * **A user counts at step k** when *some* attempt reaches step k — any occurrence of step 1
//!   may start it, not only the first (PostHog/ClickHouse `windowFunnel` semantics). So a user
//!   counts at step k only if they also count at steps 1 … k−1, and the per-step counts never
//!   rise. A user enters the funnel by doing step 1 at all.
//! * **The user's attempt** (the one whose step-1 event is handed to the breakdown function) is
//!   the attempt that reaches the user's furthest step **earliest in time**; if several reach it
//!   at that same second, the one with the **latest step-1 event** (the shortest of them; on a
//!   tie in that second too, the step-1 event first in the input slice).
//! * **Repeated steps** (`[product_view, product_view, purchase]`) need distinct, strictly
//!   later events: one event never fills two steps.
//! * A negative window is treated as 0; with a window of 0 no step after step 1 can be reached
//!   (later steps must be strictly later).
//!
//! # Speed
//!
//! Events of the funnel's types are sorted once by (user, time, input position); each user's
//! events are then read **once**, keeping for each step the latest anchor whose attempt has
//! reached it (a later anchor always leaves more of the window, so it dominates). The cost is
//! O(n log n) for the sort plus O(n × s) for the pass, with s the number of steps an event
//! type fills (usually 1).

use std::collections::BTreeMap;

use xinli_core::{CustomerId, Event, EventType, OrderLine, OrderStatus, Subject};

/// One step's figures.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepStat {
    /// 1-based position in the funnel.
    pub step: usize,
    pub event_type: EventType,
    /// Users whose attempt reached this step.
    pub users: u64,
    /// `users / users at the previous step` (1 for step 1; 0 when the previous step is 0).
    pub conversion_from_previous: f64,
    /// `users / users at step 1` (0 when nobody entered).
    pub conversion_from_first: f64,
    /// Users at the previous step who did not reach this one (0 for step 1).
    pub drop_off: u64,
    /// `drop_off / users at the previous step` (0 for step 1 and when the previous step is 0).
    pub drop_off_rate: f64,
}

/// The funnel of one breakdown group.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunnelGroup {
    pub key: String,
    pub steps: Vec<StepStat>,
}

/// What [`funnel`] returns.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunnelReport {
    pub window_seconds: i64,
    /// Every user who did step 1 (= `steps[0].users`).
    pub users_entered: u64,
    pub steps: Vec<StepStat>,
    /// One group per distinct breakdown key, sorted by key. Users whose key is `None` are in
    /// the totals only (`users_without_key` of them).
    pub breakdown: Vec<FunnelGroup>,
    pub users_without_key: u64,
}

/// One user's result.
#[derive(Clone, Debug, PartialEq)]
pub struct UserFunnel {
    pub subject: Subject,
    /// Furthest step reached, 1-based (1 = did step 1 only).
    pub reached: usize,
    /// Index into the input slice of the step-1 event of the user's attempt (see the module
    /// docs).
    pub anchor: usize,
}

/// Runs an ordered funnel: `steps` in order, each step strictly after the previous, all within
/// `window_seconds` (inclusive) of the attempt's step-1 event. `breakdown` is called once per
/// entering user with the user and the step-1 event of the user's attempt; `|_, _| None` for no
/// breakdown. See the module docs for the exact rules.
pub fn funnel(
    events: &[Event],
    steps: &[EventType],
    window_seconds: i64,
    breakdown: impl Fn(&Subject, &Event) -> Option<String>,
) -> FunnelReport {
    let users = funnel_users(events, steps, window_seconds);
    FunnelReport::from_users(steps, window_seconds, users.iter().map(|u| (u.reached, breakdown(&u.subject, &events[u.anchor]))))
}

impl FunnelReport {
    /// Totals and the breakdown from each entering user's furthest step and breakdown key.
    pub fn from_users(steps: &[EventType], window_seconds: i64, users: impl Iterator<Item = (usize, Option<String>)>) -> FunnelReport {
        let n = steps.len();
        let mut totals = vec![0u64; n];
        let mut groups: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let mut users_without_key = 0u64;
        for (reached, key) in users {
            for c in totals.iter_mut().take(reached) {
                *c += 1;
            }
            match key {
                Some(key) => {
                    let counts = groups.entry(key).or_insert_with(|| vec![0; n]);
                    for c in counts.iter_mut().take(reached) {
                        *c += 1;
                    }
                }
                None => users_without_key += 1,
            }
        }
        FunnelReport {
            window_seconds: window_seconds.max(0),
            users_entered: totals.first().copied().unwrap_or(0),
            steps: step_stats(steps, &totals),
            breakdown: groups.into_iter().map(|(key, counts)| FunnelGroup { key, steps: step_stats(steps, &counts) }).collect(),
            users_without_key,
        }
    }
}

/// Per-step figures from per-step user counts.
pub fn step_stats(steps: &[EventType], counts: &[u64]) -> Vec<StepStat> {
    let first = counts.first().copied().unwrap_or(0);
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    steps
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(i, (&event_type, &users))| {
            let prev = if i == 0 { users } else { counts[i - 1] };
            let drop_off = prev - users;
            StepStat {
                step: i + 1,
                event_type,
                users,
                conversion_from_previous: if i == 0 { 1.0 } else { ratio(users, prev) },
                conversion_from_first: ratio(users, first),
                drop_off,
                drop_off_rate: if i == 0 { 0.0 } else { ratio(drop_off, prev) },
            }
        })
        .collect()
}

/// Every user who did step 1, with the furthest step reached and the attempt's step-1 event,
/// in order of each user's first event of a step type in `events`.
pub fn funnel_users(events: &[Event], steps: &[EventType], window_seconds: i64) -> Vec<UserFunnel> {
    let mut fold = FunnelFold::new(steps, window_seconds);
    for e in events {
        fold.observe(e);
    }
    let (subjects, reached) = fold.finish();
    reached
        .into_iter()
        .map(|r| UserFunnel { subject: subjects[r.user as usize].clone(), reached: r.reached, anchor: r.anchor as usize })
        .collect()
}

/// One user's result in a [`FunnelFold`]: `anchor` is the position of the attempt's step-1
/// event among the events the fold was given (all of them, not only the funnel's types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reached {
    pub user: u32,
    pub reached: usize,
    pub anchor: u64,
}

/// The steps of a funnel and its window, and the per-user pass of the engine (see "Speed").
pub struct FunnelSteps {
    steps: Vec<EventType>,
    window: i64,
    /// Which steps each event type fills.
    fills: Vec<Vec<usize>>,
}

impl FunnelSteps {
    pub fn new(steps: &[EventType], window_seconds: i64) -> FunnelSteps {
        let mut fills: Vec<Vec<usize>> = vec![Vec::new(); EventType::ALL.len()];
        for (j, t) in steps.iter().enumerate() {
            fills[type_index(*t)].push(j);
        }
        FunnelSteps { steps: steps.to_vec(), window: window_seconds.max(0), fills }
    }

    pub fn steps(&self) -> &[EventType] {
        &self.steps
    }

    pub fn window_seconds(&self) -> i64 {
        self.window
    }

    /// Whether events of this type fill some step.
    pub fn is_step(&self, t: EventType) -> bool {
        !self.fills[type_index(t)].is_empty()
    }

    /// One user's furthest step (1-based) and the position of the attempt's step-1 event, from
    /// the user's events as (time, type, position) sorted by time (ties in input order; events
    /// of other types are skipped). `None` when the user never did step 1.
    pub fn reach(&self, events: impl IntoIterator<Item = (i64, EventType, u64)>) -> Option<(usize, u64)> {
        let n = self.steps.len();
        // best[j]: (anchor ts, anchor position) of the latest anchor whose attempt reached step j
        // using events strictly before the current second. first[j]: the anchor position of the
        // attempt that reached step j first.
        let mut best: Vec<Option<(i64, u64)>> = vec![None; n];
        let mut first: Vec<Option<u64>> = vec![None; n];
        let mut updates: Vec<(usize, (i64, u64))> = Vec::new();
        let mut events = events.into_iter().filter(|e| self.is_step(e.1)).peekable();
        while let Some(&(ts, _, _)) = events.peek() {
            // One second of this user: updates read the state before the second (strict order).
            updates.clear();
            while let Some((_, t, pos)) = events.next_if(|e| e.0 == ts) {
                for &j in &self.fills[type_index(t)] {
                    if j == 0 {
                        updates.push((0, (ts, pos)));
                    } else if let Some(a) = best[j - 1] {
                        if ts - a.0 <= self.window {
                            updates.push((j, a));
                        }
                    }
                }
            }
            for &(j, a) in &updates {
                // Later anchors dominate; on a tie keep the one set first (earlier position).
                if best[j].is_none_or(|b| a.0 > b.0) {
                    best[j] = Some(a);
                }
                if first[j].is_none() {
                    first[j] = Some(a.1);
                }
            }
        }
        let reached = first.iter().rposition(|f| f.is_some())?;
        Some((reached + 1, first[reached].expect("set")))
    }
}

/// The funnel engine fed one event at a time: keeps 16 bytes per event of a step type, so a
/// funnel over 10⁸ events needs no event list. [`funnel_users`] is this fold over a slice.
/// (`JourneyFold::finish_with_funnel` gives the same reach from the journey's own event log.)
pub struct FunnelFold {
    steps: FunnelSteps,
    user_of: foldhash::HashMap<Subject, u32>,
    subjects: Vec<Subject>,
    /// (user, seconds after `base`, position, type)
    keys: Vec<(u32, i32, u32, EventType)>,
    /// The first event's time: times are kept relative to it (±68 years fit).
    base: Option<i64>,
    seen: u64,
}

impl FunnelFold {
    pub fn new(steps: &[EventType], window_seconds: i64) -> FunnelFold {
        FunnelFold {
            steps: FunnelSteps::new(steps, window_seconds),
            user_of: foldhash::HashMap::default(),
            subjects: Vec::new(),
            keys: Vec::new(),
            base: None,
            seen: 0,
        }
    }

    pub fn steps(&self) -> &[EventType] {
        self.steps.steps()
    }

    /// Takes the next event; returns its position when it is of the funnel's step-1 type (the
    /// caller keeps what a breakdown needs of it under that position).
    pub fn observe(&mut self, e: &Event) -> Option<u64> {
        let pos = self.seen;
        self.seen += 1;
        if !self.steps.is_step(e.event_type) {
            return None;
        }
        let u = match self.user_of.get(&e.subject) {
            Some(&u) => u,
            None => {
                self.subjects.push(e.subject.clone());
                let u = (self.subjects.len() - 1) as u32;
                self.user_of.insert(e.subject.clone(), u);
                u
            }
        };
        let ts = e.ts.unix_seconds();
        let base = *self.base.get_or_insert(ts);
        let offset = (ts - base).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        let position = u32::try_from(pos).expect("a funnel over at most 2³² events");
        self.keys.push((u, offset, position, e.event_type));
        (self.steps.steps.first() == Some(&e.event_type)).then_some(pos)
    }

    /// The users (dense numbers into the returned subjects) and how far each got.
    pub fn finish(mut self) -> (Vec<Subject>, Vec<Reached>) {
        if self.steps.steps.is_empty() {
            return (self.subjects, Vec::new());
        }
        self.keys.sort_unstable_by_key(|k| (k.0, k.1, k.2));
        let out = self
            .keys
            .chunk_by(|a, b| a.0 == b.0)
            .filter_map(|run| {
                let events = run.iter().map(|k| (i64::from(k.1), k.3, u64::from(k.2)));
                self.steps.reach(events).map(|(reached, anchor)| Reached { user: run[0].0, reached, anchor })
            })
            .collect();
        (self.subjects, out)
    }
}

fn type_index(t: EventType) -> usize {
    t as usize
}

#[test]
fn type_index_is_the_position_in_all() {
    for (i, t) in EventType::ALL.iter().enumerate() {
        assert_eq!(type_index(*t), i);
    }
}

/// Breakdown by the `via` property (`properties.via`, a string) of the attempt's step-1 event —
/// the arrival channel in data contract v1. Events without it give `None`.
pub fn by_via(_: &Subject, event: &Event) -> Option<String> {
    let props = event.properties.as_deref()?;
    let value: serde_json::Value = serde_json::from_str(props).ok()?;
    match value.get("via")? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

/// Breakdown by a key per known customer (a persona, a segment, an order channel…).
/// Anonymous visitors and customers missing from the map give `None`.
pub fn by_customer<'m>(
    keys: &'m std::collections::HashMap<CustomerId, String>,
) -> impl Fn(&Subject, &Event) -> Option<String> + 'm {
    move |subject, _| match subject {
        Subject::Customer(id) => keys.get(id).cloned(),
        Subject::Anonymous(_) => None,
    }
}

/// Each customer's order channel: the `channel` of their earliest completed order line that has
/// one (ties: first in the slice). For [`by_customer`].
pub fn first_order_channel(orders: &[OrderLine]) -> std::collections::HashMap<CustomerId, String> {
    let mut best: std::collections::HashMap<CustomerId, (i64, String)> = std::collections::HashMap::new();
    for line in orders.iter().filter(|l| l.status == OrderStatus::Completed) {
        let Some(channel) = line.channel.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
            continue;
        };
        let at = line.ordered_at.unix_seconds();
        match best.get(&line.customer_id) {
            Some((t, _)) if *t <= at => {}
            _ => {
                best.insert(line.customer_id.clone(), (at, channel.to_string()));
            }
        }
    }
    best.into_iter().map(|(k, (_, c))| (k, c)).collect()
}
