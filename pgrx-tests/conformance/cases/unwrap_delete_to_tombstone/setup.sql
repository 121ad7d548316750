-- ExtractNewRecordState turning deletes into tombstones (delete-to-tombstone), plain rewrite
-- fields off, and route.by.field: each row goes to the topic its name column holds.
\ir ../shared/unwrap_setup.sql
