-- The customer index of events also carries what a profile's recent activities and a merge's
-- rebuild read (event type, session), so those reads come from the index alone instead of one
-- table row per event (callgrind: most of a customer 360's profile load). It serves every
-- query the (cid, ts) index served; one index replaces it, so a write still updates two.
CREATE INDEX events_cid_ts_activity ON events (cid, ts, event_type, session_id);
DROP INDEX events_cid_ts;
