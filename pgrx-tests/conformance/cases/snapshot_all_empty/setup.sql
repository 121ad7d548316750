-- An initial snapshot of empty tables only: no snapshot record at all, then the stream.
CREATE TABLE a (id int PRIMARY KEY);
CREATE TABLE b (id int PRIMARY KEY, v text);
