-- Key choice: unique indexes (clustered first, then by name; INCLUDE columns; partial and
-- expression indexes), message.key.columns, and deletes without tombstones.
CREATE TABLE t1 (a int, b int NOT NULL, c text);
CREATE UNIQUE INDEX z_idx ON t1 (b);
CREATE UNIQUE INDEX a_idx ON t1 (a);
ALTER TABLE t1 REPLICA IDENTITY FULL;
CREATE TABLE t2 (a int, b int NOT NULL, c text);
CREATE UNIQUE INDEX z2_idx ON t2 (b);
CREATE UNIQUE INDEX a2_idx ON t2 (a);
CLUSTER t2 USING z2_idx;
ALTER TABLE t2 REPLICA IDENTITY FULL;
CREATE TABLE t3 (a int NOT NULL, b text, c int);
CREATE UNIQUE INDEX t3_idx ON t3 (a) INCLUDE (c);
ALTER TABLE t3 REPLICA IDENTITY FULL;
CREATE TABLE t4 (a int, b int, c text);
CREATE UNIQUE INDEX a_expr ON t4 (lower(c));
CREATE UNIQUE INDEX b_idx ON t4 (b);
ALTER TABLE t4 REPLICA IDENTITY FULL;
CREATE TABLE t5 (a int, b text);
CREATE UNIQUE INDEX t5_part ON t5 (a) WHERE a > 0;
ALTER TABLE t5 REPLICA IDENTITY FULL;
CREATE TABLE t6 ("B x" int NOT NULL, a int NOT NULL, v text);
CREATE UNIQUE INDEX t6_idx ON t6 ("B x", a);
ALTER TABLE t6 REPLICA IDENTITY FULL;
CREATE TABLE mk (id int PRIMARY KEY, v text, w int);
ALTER TABLE mk REPLICA IDENTITY FULL;
CREATE TABLE mk2 (id int PRIMARY KEY, v text);
CREATE TABLE nopk (a int, b text);
ALTER TABLE nopk REPLICA IDENTITY FULL;
