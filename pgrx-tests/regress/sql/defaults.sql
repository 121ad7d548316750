-- Column defaults in the schema, NULLs replaced by defaults (JsonConverter), NOT NULL
-- fallbacks when the old row lacks a column.
SET client_min_messages = warning;
CREATE SEQUENCE def_seq;
CREATE TABLE defs (
  id serial PRIMARY KEY,
  s smallserial,
  t text DEFAULT 'dflt',
  i int DEFAULT 42,
  neg int DEFAULT -7,
  big bigint DEFAULT 0,
  n numeric(6,2) DEFAULT 0,
  n2 numeric(6,2) DEFAULT 12.5,
  ts timestamptz DEFAULT now(),
  ts3 timestamptz(3) DEFAULT CURRENT_TIMESTAMP,
  d date DEFAULT '2020-02-29',
  b bool DEFAULT true,
  vc varchar(20) DEFAULT 'active',
  u uuid DEFAULT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  j jsonb DEFAULT '{}',
  f float8 DEFAULT 1.5,
  nulld text DEFAULT NULL,
  fromseq int DEFAULT nextval('def_seq'),
  nn_text text NOT NULL DEFAULT 'x',
  nn_int int NOT NULL,
  nn_num numeric(5,1) NOT NULL,
  nn_date date NOT NULL,
  nn_ts timestamptz NOT NULL,
  nn_bool bool NOT NULL,
  nn_bytes bytea NOT NULL,
  nn_uuid uuid NOT NULL
);
SELECT 'init' FROM pg_create_logical_replication_slot('defs', 'cedar_cdc');
INSERT INTO defs (nn_int, nn_num, nn_date, nn_ts, nn_bool, nn_bytes, nn_uuid, ts, ts3)
  VALUES (5, 1.5, '2024-01-01', '2024-01-01 00:00:00+00', true, '\x00',
          'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-01-01 10:00:00+00', '2024-01-01 10:00:00+00');
-- explicit NULLs in columns with defaults are written as the default
INSERT INTO defs (t, i, neg, big, n, n2, ts, ts3, d, b, vc, u, j, f, nulld, fromseq,
                  nn_int, nn_num, nn_date, nn_ts, nn_bool, nn_bytes, nn_uuid)
  VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
          6, 2.5, '2024-01-02', '2024-01-02 00:00:00+00', false, '\x01',
          'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
-- the delete's old row has only the key: NOT NULL columns get defaults or fallbacks
DELETE FROM defs WHERE id = 1;
SELECT * FROM cdcp('defs');
INSERT INTO defs (nn_int, nn_num, nn_date, nn_ts, nn_bool, nn_bytes, nn_uuid)
  VALUES (7, 0, '2024-01-03', '2024-01-03 00:00:00+00', true, '', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
SELECT json_array_elements(data::json->'schema'->'fields'->1->'fields')::text AS field
  FROM pg_logical_slot_get_changes('defs', NULL, NULL, 'topic.prefix', 'srv');
SELECT pg_drop_replication_slot('defs');
