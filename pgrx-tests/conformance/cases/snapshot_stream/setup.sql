-- Initial snapshot, then the stream: the lineitem table with its sample rows (after their
-- updates and deletes), an empty table and a keyless one exist before Debezium starts.
\ir ../../../demo/lineitem_schema.sql
\ir ../../../demo/lineitem_seed.sql
CREATE TABLE audit_log (id serial PRIMARY KEY, what text NOT NULL);
CREATE TABLE tags (tag text, weight int);
INSERT INTO tags VALUES ('a', 1), ('b', NULL), (NULL, 3);
