-- TOAST-heavy rows: large text and jsonb stored out of line.
CREATE TABLE doc (id bigint PRIMARY KEY, small int, body text, meta jsonb);
ALTER TABLE doc ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE doc ALTER COLUMN meta SET STORAGE EXTERNAL;
