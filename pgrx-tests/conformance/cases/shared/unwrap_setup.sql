-- The unwrap cases' tables.
CREATE TABLE public.ri_default (id int PRIMARY KEY, name text NOT NULL, note text, qty int NOT NULL,
                                d text DEFAULT 'dflt', n2 int NOT NULL DEFAULT 5);
CREATE TABLE public.ri_full (id int PRIMARY KEY, name text NOT NULL, note text);
ALTER TABLE public.ri_full REPLICA IDENTITY FULL;
CREATE TABLE public.nopk (a int, b text);
ALTER TABLE public.nopk REPLICA IDENTITY FULL;
CREATE TABLE public.toasty (id int PRIMARY KEY, big text, small text);
ALTER TABLE public.toasty ALTER COLUMN big SET STORAGE EXTERNAL;
