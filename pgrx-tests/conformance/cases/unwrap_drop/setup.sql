-- ExtractNewRecordState dropping deletes and their tombstones, with transaction metadata
-- (whose END counts still include the dropped deletes) and add.fields.prefix.
\ir ../shared/unwrap_setup.sql
