-- On SQLite only `INTEGER PRIMARY KEY` makes the key the table's own B-tree key (the rowid);
-- 0001's `cid BIGINT PRIMARY KEY` gave profiles a rowid table plus a second B-tree for cid, so
-- every profile upsert of the writer (about one per ingested event) searched both. The KEY
-- placeholder is that integer key on SQLite and `BIGINT PRIMARY KEY` (as before) on PostgreSQL.
CREATE TABLE profiles_by_cid (
    cid {KEY},
    data TEXT NOT NULL,
    stage TEXT,
    orders BIGINT NOT NULL,
    revenue {REAL} NOT NULL,
    last_seen BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO profiles_by_cid (cid, data, stage, orders, revenue, last_seen, updated_at)
    SELECT cid, data, stage, orders, revenue, last_seen, updated_at FROM profiles;
DROP TABLE profiles;
ALTER TABLE profiles_by_cid RENAME TO profiles;
