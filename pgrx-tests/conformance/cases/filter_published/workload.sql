-- A deliberate copy of ../shared/filters_workload.sql less its transactional message: with transaction metadata Debezium counts that under a JVM identity hash (see README).
INSERT INTO public.keep1 VALUES (1, 'a', 'top'), (2, 'b', 'secret');
INSERT INTO public.keep2 VALUES (1, 'k');
INSERT INTO public.skip1 VALUES (1, 'x');
INSERT INTO audit.log VALUES (1, 'x');
INSERT INTO other.t1 VALUES (1, 'o');
INSERT INTO other."Mixed" VALUES (1, 'm');
UPDATE public.keep1 SET v = 'a2', secret = 'still secret' WHERE id = 1;
DELETE FROM public.keep1 WHERE id = 2;
BEGIN;
INSERT INTO public.skip1 VALUES (2, 'only skipped tables here');
INSERT INTO audit.log VALUES (2, 'x');
COMMIT;
SELECT pg_logical_emit_message(false, 'keep.this', 'k');
SELECT pg_logical_emit_message(false, 'drop.this', 'd');
UPDATE public.keep1 SET id = 3 WHERE id = 1;
