-- xinli store schema v2: the batch analysis written back into the store (`xinli analyze --db`,
-- `xinli serve --refresh-every`). Per-customer rows hold the latest successful run only and are
-- replaced by the next one; `analysis_runs` keeps every run with its status.
CREATE TABLE analysis_runs (
    run_id {ID},
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    as_of TEXT,
    source TEXT NOT NULL,
    customers BIGINT,
    status TEXT NOT NULL,
    error TEXT
);
CREATE INDEX analysis_runs_status ON analysis_runs (status, run_id);

CREATE TABLE customer_scores (
    cid BIGINT PRIMARY KEY,
    run_id BIGINT NOT NULL,
    customer_id TEXT NOT NULL,
    persona TEXT,
    rfm_segment TEXT,
    rfm_r BIGINT,
    rfm_f BIGINT,
    rfm_m BIGINT,
    value_tier TEXT,
    journey_stage TEXT,
    clv {REAL},
    p_alive {REAL},
    churn_risk {REAL},
    expected_purchases {REAL},
    recency {REAL},
    frequency BIGINT,
    t {REAL},
    orders BIGINT,
    total_spend {REAL},
    first_purchase TEXT,
    last_purchase TEXT,
    trait_price_sensitivity {REAL},
    trait_info_seeking {REAL},
    trait_convenience {REAL},
    trait_trust_concern {REAL},
    trait_social_influence {REAL},
    trait_novelty_seeking {REAL},
    next_best_action TEXT,
    nba_reason TEXT,
    main_barrier TEXT,
    barrier_evidence TEXT,
    emotion TEXT,
    satisfaction {REAL},
    data TEXT NOT NULL
);
CREATE INDEX customer_scores_persona ON customer_scores (persona);
CREATE INDEX customer_scores_rfm_segment ON customer_scores (rfm_segment);
CREATE INDEX customer_scores_journey_stage ON customer_scores (journey_stage);
CREATE INDEX customer_scores_rfm ON customer_scores (rfm_r, rfm_f);
CREATE INDEX customer_scores_churn_risk ON customer_scores (churn_risk);
CREATE INDEX customer_scores_clv ON customer_scores (clv);

CREATE TABLE customer_evidence (
    cid BIGINT NOT NULL,
    trait TEXT NOT NULL,
    signal TEXT NOT NULL,
    value {REAL},
    shop_median {REAL},
    observations {REAL},
    percentile {REAL},
    text_en TEXT NOT NULL,
    text_zh TEXT NOT NULL
);
CREATE INDEX customer_evidence_cid ON customer_evidence (cid);

CREATE TABLE customer_recommendations (
    cid BIGINT NOT NULL,
    rank BIGINT NOT NULL,
    product_id TEXT NOT NULL,
    score {REAL},
    reason_en TEXT NOT NULL,
    reason_zh TEXT NOT NULL,
    PRIMARY KEY (cid, rank)
);

CREATE TABLE analysis_artifacts (
    run_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (run_id, name)
);
