-- ExtractNewRecordState (the "unwrap") in its default delete.tombstone.handling.mode=tombstone:
-- DEFAULT, FULL and NOTHING-like identities, a key change, a keyless table, a truncate (which
-- the transform drops), TOAST and a logical message (passed through).
\ir ../shared/unwrap_setup.sql
