-- Subscriber side: this database subscribes natively to a "source" database of the same
-- cluster (standing in for a managed primary) and Debezium and cedar_cdc both decode the
-- applied changes, including the initial table copy, with their replication origins.
\ir ../../../demo/lineitem_schema.sql
-- Full before images, except from 18: there an UPDATE or DELETE of a table whose replica
-- identity holds a generated column (total_amount) that the publication does not publish is an
-- error, and Debezium's publication publishes none, so the apply worker would stop.
SELECT current_setting('server_version_num')::int < 180000 AS full_identity \gset
\if :full_identity
ALTER TABLE lineitem REPLICA IDENTITY FULL;
\endif
CREATE TABLE local_note (id int PRIMARY KEY, note text);
CREATE EXTENSION dblink;
SELECT format('host=127.0.0.1 port=%s dbname=conf_subscriber_src user=postgres',
              current_setting('port')) AS src \gset
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
  WHERE database = 'conf_subscriber_src' AND NOT active;
DROP DATABASE IF EXISTS conf_subscriber_src WITH (FORCE);
CREATE DATABASE conf_subscriber_src;
SELECT dblink_exec(:'src', $sql$
  CREATE TABLE lineitem (
    lineitem_id BIGINT PRIMARY KEY, transaction_id BIGINT NOT NULL, product_id BIGINT NOT NULL,
    quantity NUMERIC(10, 2) NOT NULL, unit_price NUMERIC(15, 4) NOT NULL,
    discount NUMERIC(5, 2) DEFAULT 0.00, tax_rate NUMERIC(5, 2) DEFAULT 0.00,
    total_amount NUMERIC(20, 4) GENERATED ALWAYS AS (quantity * unit_price * (1 - discount / 100) * (1 + tax_rate / 100)) STORED,
    created_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP, transaction_date DATE NOT NULL,
    status VARCHAR(50) DEFAULT 'active', notes TEXT);
  INSERT INTO lineitem (lineitem_id, transaction_id, product_id, quantity, unit_price, discount,
                        tax_rate, created_at, transaction_date, status, notes)
    SELECT g, 1000 + g / 4, 2000 + g % 50, 1 + g % 7, 9.99 + g, g % 3, 8.25,
           '2024-10-15 09:30:00+00'::timestamptz + g * interval '1 minute', '2024-10-15',
           'active', 'seed ' || g
    FROM generate_series(1, 20) g;
  CREATE PUBLICATION src_pub FOR TABLE lineitem;
$sql$);
-- The subscription's slot on the source, made here: CREATE SUBSCRIPTION cannot create a slot
-- in its own cluster.
SELECT * FROM dblink(:'src', $$SELECT slot_name::text FROM pg_create_logical_replication_slot('conf_sub_slot', 'pgoutput')$$)
  AS t(slot_name text);
-- Waits (up to 60 s) until a query returns true.
CREATE PROCEDURE wait_until(q text) LANGUAGE plpgsql AS $$
DECLARE ok boolean;
BEGIN
  FOR i IN 1..600 LOOP
    EXECUTE q INTO ok;
    IF ok THEN RETURN; END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RAISE EXCEPTION 'timed out waiting for: %', q;
END $$;
