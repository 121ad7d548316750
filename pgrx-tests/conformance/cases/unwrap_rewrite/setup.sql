-- ExtractNewRecordState rewriting deletes (rewrite-with-tombstone): __deleted and add.fields from
-- the envelope, the source block (renamed, and snapshot, which copies no default) and the
-- transaction block; the rewritten delete of a DEFAULT-identity table has the fallbacks and defaults.
\ir ../shared/unwrap_setup.sql
