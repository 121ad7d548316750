-- Tables pgoutput sends no columns for: Debezium skips their inserts, updates and deletes (an
-- empty message) but not their truncates, and the transaction's END counts no events.
CREATE TABLE nocols ();
ALTER TABLE nocols REPLICA IDENTITY FULL;
CREATE TABLE only_generated (g int GENERATED ALWAYS AS (42) STORED);
ALTER TABLE only_generated REPLICA IDENTITY FULL;
CREATE TABLE normal (id int PRIMARY KEY, v text);
