-- xinli store schema v7: the whole canonical shop (docs/data-contract.md), so `xinli analyze --db`
-- reads what `xinli analyze` reads from the files. Order lines keep their list price, payment
-- method, channel and delivery dates (barrier and trait evidence); `extra` holds a record's
-- columns beyond the contract as a JSON array of [name, value] pairs (a review's `title`, a
-- line's `price_known`, a product's `description`). Products are the shop's catalogue (no
-- customer); surveys and campaign touches belong to a customer and leave with it at erasure.
ALTER TABLE orders ADD COLUMN list_price {REAL};
ALTER TABLE orders ADD COLUMN payment_method TEXT;
ALTER TABLE orders ADD COLUMN channel TEXT;
ALTER TABLE orders ADD COLUMN promised_delivery_at BIGINT;
ALTER TABLE orders ADD COLUMN delivered_at BIGINT;
ALTER TABLE orders ADD COLUMN extra TEXT;
ALTER TABLE reviews ADD COLUMN extra TEXT;

CREATE TABLE products (
    product_id TEXT PRIMARY KEY,
    category TEXT,
    list_price {REAL},
    launched_at BIGINT,
    brand TEXT,
    avg_rating {REAL},
    extra TEXT,
    updated_at BIGINT NOT NULL
);

-- Surveys and campaign touches arrive as messages (`message_id`: the message that stored the
-- row, a digest of the record for an import, so importing a file twice stores it once).
CREATE TABLE surveys (
    message_id TEXT PRIMARY KEY,
    cid BIGINT NOT NULL,
    ts BIGINT NOT NULL,
    score BIGINT NOT NULL,
    scale BIGINT NOT NULL,
    comment TEXT,
    product_id TEXT
);
CREATE INDEX surveys_cid ON surveys (cid);

CREATE TABLE campaign_touches (
    message_id TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL,
    cid BIGINT NOT NULL,
    ts BIGINT NOT NULL,
    channel TEXT,
    variant TEXT,
    opened BIGINT,
    clicked BIGINT,
    converted BIGINT,
    revenue {REAL},
    extra TEXT
);
CREATE INDEX campaign_touches_cid ON campaign_touches (cid);
