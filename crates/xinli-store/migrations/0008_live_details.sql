-- xinli store schema v8: what live ingestion and the import keep for the analysis beyond v7.
--
-- Reviews may belong to no customer (a shop's file has anonymous reviews; the voice of the
-- customer reads them): `reviews.cid` becomes nullable. SQLite cannot drop a NOT NULL, so the
-- table is rebuilt, with the same text on both backends.
CREATE TABLE reviews_v8 (
    review_id TEXT PRIMARY KEY,
    cid BIGINT,
    product_id TEXT,
    ts BIGINT NOT NULL,
    rating BIGINT,
    text TEXT NOT NULL,
    language TEXT,
    extra TEXT
);
INSERT INTO reviews_v8 (review_id, cid, product_id, ts, rating, text, language, extra)
    SELECT review_id, cid, product_id, ts, rating, text, language, extra FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_v8 RENAME TO reviews;
CREATE INDEX reviews_cid ON reviews (cid);

-- An events file's columns beyond the contract, as orders' and reviews' `extra` (v7).
ALTER TABLE events ADD COLUMN extra TEXT;

-- "Order Updated" / "Order Shipped" / "Order Delivered" / "Payment Info Entered" naming an
-- order that is not stored yet: kept here (one row per message) and applied, oldest first,
-- when the order arrives; then removed. The events themselves are stored as any event.
CREATE TABLE order_updates (
    message_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    cid BIGINT NOT NULL,
    ts BIGINT NOT NULL,
    payment_method TEXT,
    channel TEXT,
    promised_delivery_at BIGINT,
    delivered_at BIGINT
);
CREATE INDEX order_updates_order ON order_updates (order_id);
CREATE INDEX order_updates_cid ON order_updates (cid);

-- Where each run wrote its files (`xinli analyze --db --out DIR`, the server's
-- `<data-dir>/analysis`), absolute: erasure scrubs every such directory that still exists.
ALTER TABLE analysis_runs ADD COLUMN out_dir TEXT;
