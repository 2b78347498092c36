-- xinli store schema v1, written once for both backends; migrate::render replaces
-- {ID} (auto-incrementing integer primary key), {REAL} (a double) and {BLOB} (bytes).
CREATE TABLE customers (
    cid {ID},
    user_id TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    pii {BLOB},
    email_index TEXT,
    consent_email BIGINT,
    consent_sms BIGINT,
    consent_push BIGINT,
    traits TEXT
);
CREATE INDEX customers_email_index ON customers (email_index);

CREATE TABLE identities (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    cid BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX identities_cid ON identities (cid);

CREATE TABLE events (
    id {ID},
    message_id TEXT NOT NULL UNIQUE,
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
    value {REAL},
    properties TEXT,
    context TEXT
);
CREATE INDEX events_cid_ts ON events (cid, ts);

CREATE TABLE orders (
    order_id TEXT NOT NULL,
    line BIGINT NOT NULL,
    cid BIGINT NOT NULL,
    ordered_at BIGINT NOT NULL,
    product_id TEXT,
    category TEXT,
    quantity {REAL} NOT NULL,
    unit_price {REAL} NOT NULL,
    coupon_code TEXT,
    status TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (order_id, line)
);
CREATE INDEX orders_cid ON orders (cid);

CREATE TABLE reviews (
    review_id TEXT PRIMARY KEY,
    cid BIGINT NOT NULL,
    product_id TEXT,
    ts BIGINT NOT NULL,
    rating BIGINT,
    text TEXT NOT NULL,
    language TEXT
);
CREATE INDEX reviews_cid ON reviews (cid);

CREATE TABLE profiles (
    cid BIGINT PRIMARY KEY,
    data TEXT NOT NULL,
    stage TEXT,
    orders BIGINT NOT NULL,
    revenue {REAL} NOT NULL,
    last_seen BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE segments (
    id {ID},
    name TEXT NOT NULL UNIQUE,
    expression TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE segment_members (
    segment_id BIGINT NOT NULL,
    cid BIGINT NOT NULL,
    entered_at BIGINT NOT NULL,
    left_at BIGINT
);
CREATE INDEX segment_members_current ON segment_members (segment_id, left_at);
CREATE INDEX segment_members_cid ON segment_members (cid);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE audit_log (
    id {ID},
    at BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE TABLE erasures (
    receipt_id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    subject_digest TEXT NOT NULL,
    counts TEXT NOT NULL
);
