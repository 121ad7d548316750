-- The lineitem table with REPLICA IDENTITY FULL: every update and delete carries the old row.
\ir ../demo/lineitem_schema.sql
ALTER TABLE lineitem REPLICA IDENTITY FULL;
