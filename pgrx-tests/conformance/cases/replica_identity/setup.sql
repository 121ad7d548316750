-- Every REPLICA IDENTITY, keyless and unique-index-only tables, a composite key in
-- constraint order, and quoted mixed-case identifiers (reference capture, schema.sql).
CREATE TABLE public.ri_default (id int PRIMARY KEY, name text NOT NULL, note text, qty int NOT NULL);
CREATE TABLE public.ri_full (id int PRIMARY KEY, name text NOT NULL, note text, qty int NOT NULL);
ALTER TABLE public.ri_full REPLICA IDENTITY FULL;
CREATE TABLE public.ri_index (id int PRIMARY KEY, code text NOT NULL, note text);
CREATE UNIQUE INDEX ri_index_code ON public.ri_index(code);
ALTER TABLE public.ri_index REPLICA IDENTITY USING INDEX ri_index_code;
CREATE TABLE public.nopk (a int, b text);
ALTER TABLE public.nopk REPLICA IDENTITY FULL;
CREATE TABLE public.uniq_only (a int NOT NULL, b text, c int NOT NULL);
CREATE UNIQUE INDEX uniq_only_ca ON public.uniq_only(c, a);
ALTER TABLE public.uniq_only REPLICA IDENTITY FULL;
CREATE TABLE public.cpk (b int, a int, v text, PRIMARY KEY (a, b));
COMMENT ON COLUMN public.cpk.v IS 'a comment';
CREATE SCHEMA "Odd-Schema";
CREATE TABLE "Odd-Schema"."Mixed Table" (id int PRIMARY KEY, "Col Name" text, "ÜmlautCol" text);
CREATE SCHEMA second;
CREATE TABLE second.ri_default (id bigint PRIMARY KEY, v text);
