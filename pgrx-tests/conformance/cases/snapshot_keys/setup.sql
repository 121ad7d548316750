-- The initial snapshot's keys: the keys case's tables (unique-index keys, INCLUDE columns,
-- expression and partial indexes, message.key.columns, keyless) with rows, composite keys in
-- non-column order, quoted mixed-case and non-ASCII names, and a partitioned table (Debezium
-- snapshots the partitioned table and each partition).
\ir ../keys/setup.sql
\ir ../keys/workload.sql
INSERT INTO t1 VALUES (10, 20, 'kept'), (NULL, 21, 'null unique column');
INSERT INTO t2 VALUES (3, 4, 'y');
INSERT INTO mk VALUES (1, 'x', 3), (2, NULL, NULL);
INSERT INTO nopk VALUES (1, 'a'), (1, 'a'), (NULL, NULL);
CREATE TABLE cpk (a int, b text, c int, PRIMARY KEY (c, a));
INSERT INTO cpk VALUES (1, 'one', 10), (2, 'two', 10), (1, 'three', 20);
CREATE SCHEMA "Odd-Schema";
CREATE TABLE "Odd-Schema"."Mixed Table" ("Col Name" int, "ключ" text, v text, PRIMARY KEY ("ключ", "Col Name"));
INSERT INTO "Odd-Schema"."Mixed Table" VALUES (1, 'я', 'v1'), (2, 'ж', NULL);
CREATE TABLE "UPPER" (id int PRIMARY KEY);
INSERT INTO "UPPER" VALUES (1);
CREATE TABLE parted (id int, k int, v text, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (10) TO (20);
INSERT INTO parted VALUES (1, 1, 'a'), (2, 15, 'b');
