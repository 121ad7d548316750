-- Empty tables mixed with non-empty ones in the initial snapshot: the first table is empty (no
-- record is marked "first"), a one-row table in the middle (its row is last in its table), and
-- the last tables are empty (the last record of an earlier table is marked "last").
CREATE TABLE a_empty (id int PRIMARY KEY);
CREATE TABLE b_one (id int PRIMARY KEY, v text);
INSERT INTO b_one VALUES (1, 'only');
CREATE TABLE c_empty (id int PRIMARY KEY);
CREATE TABLE d_two (id int PRIMARY KEY, v text);
INSERT INTO d_two VALUES (1, 'first'), (2, 'second');
CREATE TABLE e_empty (id int PRIMARY KEY);
CREATE TABLE f_emptied (id int PRIMARY KEY);
INSERT INTO f_emptied VALUES (1);
DELETE FROM f_emptied;
