-- Tables for transaction metadata, truncate, message and skipped-operation cases.
CREATE TABLE a (id int PRIMARY KEY, v text);
CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a (id), v text);
CREATE TABLE s (id serial PRIMARY KEY, v text);
DO $$ BEGIN
  FOR i IN 1..16 LOOP
    EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY)', i);
  END LOOP;
END $$;
