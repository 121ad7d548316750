-- Snapshot records with transaction metadata on (snapshot records carry no transaction block
-- and no BEGIN/END records; the stream's do), and without tombstones.
\ir ../../../demo/lineitem_schema.sql
\ir ../../../demo/lineitem_seed.sql
