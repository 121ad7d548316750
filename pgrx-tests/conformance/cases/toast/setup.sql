-- Unchanged TOASTed values of several types, under DEFAULT and FULL identity.
CREATE TABLE public.toast_t (id int PRIMARY KEY, small text, big text, big_bytea bytea, big_jsonb jsonb, big_varchar varchar);
ALTER TABLE public.toast_t ALTER COLUMN big SET STORAGE EXTERNAL;
ALTER TABLE public.toast_t ALTER COLUMN big_bytea SET STORAGE EXTERNAL;
ALTER TABLE public.toast_t ALTER COLUMN big_jsonb SET STORAGE EXTERNAL;
ALTER TABLE public.toast_t ALTER COLUMN big_varchar SET STORAGE EXTERNAL;
CREATE TABLE public.toast_full (id int PRIMARY KEY, small text, big text, big_bytea bytea);
ALTER TABLE public.toast_full ALTER COLUMN big SET STORAGE EXTERNAL;
ALTER TABLE public.toast_full ALTER COLUMN big_bytea SET STORAGE EXTERNAL;
ALTER TABLE public.toast_full REPLICA IDENTITY FULL;
