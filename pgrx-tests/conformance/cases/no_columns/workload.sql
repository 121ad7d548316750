-- From 18 an UPDATE or DELETE of a table whose replica identity holds a generated column the
-- publication does not publish is an error (Debezium's publication publishes none).
SELECT current_setting('server_version_num')::int < 180000 AS gen_identity_ok \gset
INSERT INTO nocols DEFAULT VALUES;
INSERT INTO only_generated DEFAULT VALUES;
BEGIN;
INSERT INTO normal VALUES (1, 'a');
INSERT INTO nocols DEFAULT VALUES;
\if :gen_identity_ok
UPDATE only_generated SET g = DEFAULT;
\endif
INSERT INTO normal VALUES (2, 'b');
COMMIT;
DELETE FROM nocols;
\if :gen_identity_ok
DELETE FROM only_generated;
\endif
TRUNCATE nocols, normal;
INSERT INTO normal VALUES (3, 'c');
