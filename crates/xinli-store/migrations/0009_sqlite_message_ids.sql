-- SQLite only (migrate.rs): events without the unique index of message ids. Segment libraries
-- send random ids (UUIDs), so every new event wrote one random page of that index into the
-- WAL, 4 KB of disk writes an event on top of ~3 KB for everything else; the writer now knows
-- the stored ids from memory (stored_ids.rs). AUTOINCREMENT: an id is never reused, so a
-- connection catches up on other connections' events by `id > the last it saw`.
CREATE TABLE events_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    cid BIGINT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    event_type TEXT,
    ts BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    user_id TEXT,
    anonymous_id TEXT,
    session_id TEXT,
    product_id TEXT,
    category TEXT,
    query TEXT,
    value REAL,
    properties TEXT,
    context TEXT,
    extra TEXT
);
INSERT INTO events_rebuilt (id, message_id, cid, kind, name, event_type, ts, received_at, user_id, anonymous_id,
                            session_id, product_id, category, query, value, properties, context, extra)
    SELECT id, message_id, cid, kind, name, event_type, ts, received_at, user_id, anonymous_id,
           session_id, product_id, category, query, value, properties, context, extra FROM events;
DROP TABLE events;
ALTER TABLE events_rebuilt RENAME TO events;
CREATE INDEX events_cid_ts_id_activity ON events (cid, ts, id, event_type, session_id);
