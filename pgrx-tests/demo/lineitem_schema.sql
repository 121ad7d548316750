-- The lineitem table of the CedarDB + Debezium replication guide (from the benchmark workload).
-- regress/sql/lineitem.sql repeats it on purpose: a pg_regress test echoes its input, so it stays self-contained.
DROP TABLE IF EXISTS lineitem;
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
