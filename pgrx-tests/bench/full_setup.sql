-- The lineitem table with REPLICA IDENTITY FULL: every update and delete carries the old row.
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
ALTER TABLE lineitem REPLICA IDENTITY FULL;
