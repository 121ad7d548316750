-- Initial snapshot, then the stream: the lineitem table with its sample rows (after their
-- updates and deletes), an empty table and a keyless one exist before Debezium starts.
\ir ../../../demo/lineitem_schema.sql
\ir ../../../demo/lineitem_seed.sql
CREATE TABLE audit_log (id serial PRIMARY KEY, what text NOT NULL);
CREATE TABLE tags (tag text, weight int);
INSERT INTO tags VALUES ('a', 1), ('b', NULL), (NULL, 3);
-- Tables read over several cursor fetches (256 rows each): a multiple of the fetch size, and not.
CREATE TABLE many (id int PRIMARY KEY, v text);
INSERT INTO many SELECT g, 'row ' || g FROM generate_series(1, 512) g;
CREATE TABLE more (id int PRIMARY KEY);
INSERT INTO more SELECT generate_series(1, 300);
