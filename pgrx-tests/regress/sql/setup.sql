-- Shared helpers for the decoding tests.
SET client_min_messages = warning;
CREATE EXTENSION cedar_cdc;
-- Replaces what differs from run to run (positions, transaction ids, commit and processing
-- times) so that expected output stays exact for everything else. source_checks checks the
-- masked fields against the server's own values.
CREATE FUNCTION cdc_norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(t,
    '"(ts_ms|ts_us|ts_ns)":\d+', '"\1":T', 'g'),
    '"txId":\d+', '"txId":X', 'g'),
    '"lsn":\d+', '"lsn":L', 'g'),
    '\\"\d+\\"', '\\"L\\"', 'g'),
    '"version":"cedar_cdc-[^"]*"', '"version":"V"', 'g'),
    '"origin_lsn":\d+', '"origin_lsn":L', 'g')
$$;
-- Consumes a slot's changes with options, normalized.
CREATE FUNCTION cdc(slot name, VARIADIC opts text[] DEFAULT '{}') RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT cdc_norm(data) FROM pg_logical_slot_get_changes(slot, NULL, NULL, VARIADIC opts)
$$;
-- The payload only, for compact expected output.
CREATE FUNCTION cdcp(slot name, VARIADIC opts text[] DEFAULT '{}') RETURNS SETOF text
LANGUAGE sql AS $$
  SELECT cdc_norm(data) FROM pg_logical_slot_get_changes(slot, NULL, NULL,
    VARIADIC array['schemas.enable', 'false', 'topic.prefix', 'srv'] || opts)
$$;
SELECT cedar_cdc.version() ~ '^\d+\.\d+\.\d+$' AS version_ok;
