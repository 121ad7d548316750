-- Placeholders of unchanged TOASTed values for every array type and hstore.
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE tt (id int PRIMARY KEY, small text,
  a_text text[], a_vc varchar[], a_int2 int2[], a_int4 int4[], a_int8 int8[], a_bool bool[], a_f8 float8[],
  a_num numeric[], a_date date[], a_tstz timestamptz[], a_uuid uuid[], a_bytea bytea[], a_json jsonb[],
  a_inet inet[], a_enum mood[], h hstore, x xml, n numeric, tsv tsvector);
DO $$ DECLARE c text; BEGIN
  FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = 'tt'::regclass AND attnum > 2 LOOP
    EXECUTE format('ALTER TABLE tt ALTER COLUMN %I SET STORAGE EXTERNAL', c);
  END LOOP;
END $$;
