-- The lineitem table of the benchmark (a generated column, numerics, defaults) with the
-- demo's seed: four rows, updates, a delete and a key change.
SET client_min_messages = warning;
CREATE TABLE lineitem (
    lineitem_id BIGINT PRIMARY KEY,
    transaction_id BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    quantity NUMERIC(10, 2) NOT NULL,
    unit_price NUMERIC(15, 4) NOT NULL,
    discount NUMERIC(5, 2) DEFAULT 0.00,
    tax_rate NUMERIC(5, 2) DEFAULT 0.00,
    total_amount NUMERIC(20, 4) GENERATED ALWAYS AS (quantity * unit_price * (1 - discount / 100) * (1 + tax_rate / 100)) STORED,
    created_at TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
    transaction_date DATE NOT NULL,
    status VARCHAR(50) DEFAULT 'active',
    notes TEXT
);
SELECT 'init' FROM pg_create_logical_replication_slot('lineitem', 'cedar_cdc');
INSERT INTO lineitem (lineitem_id, transaction_id, product_id, quantity, unit_price, discount,
                      tax_rate, created_at, transaction_date, status, notes) VALUES
  (1, 1001, 2001, 2.00, 19.9900, 0.00, 8.25, '2024-10-15 09:30:00+00', '2024-10-15', 'active', 'first order'),
  (2, 1001, 2002, 1.50, 5.2500, 10.00, 8.25, '2024-10-15 09:30:00+00', '2024-10-15', 'pending', NULL),
  (3, 1002, 2003, 10.00, 0.9999, NULL, NULL, '2024-10-16 14:05:12.345678+00', '2024-10-16', NULL,
   'unicode: héllo "quoted" \ back'),
  (4, 1003, 2004, 0.25, 1234.5678, 5.50, 0.00, '2024-10-17 23:59:59.999999+00', '2024-10-17', 'void',
   E'tab\there\nnewline');
UPDATE lineitem SET status = 'void', quantity = quantity + 1 WHERE lineitem_id = 2;
DELETE FROM lineitem WHERE lineitem_id = 4;
UPDATE lineitem SET lineitem_id = 30 WHERE lineitem_id = 3;
-- the first event with its schema, as Kafka Connect's JsonConverter writes it
SELECT cdc_norm(data) FROM pg_logical_slot_peek_changes('lineitem', NULL, 1, 'topic.prefix', 'dbserver1') LIMIT 1;
SELECT * FROM cdcp('lineitem');
SELECT pg_drop_replication_slot('lineitem');
