-- The routing cases' workload.
INSERT INTO shard1.customers VALUES (1, 'a');
INSERT INTO shard2.customers VALUES (1, 'b');
UPDATE shard2.customers SET name = 'c';
DELETE FROM shard1.customers;
UPDATE shard2.customers SET id = 2;
INSERT INTO public.orders VALUES (1, 'eu', 10.5), (1, 'us', 20);
UPDATE public.orders SET amount = 11 WHERE region = 'eu';
DELETE FROM public.orders WHERE region = 'us';
INSERT INTO public.nokey VALUES (1, 'x');
INSERT INTO public.other VALUES (1);
TRUNCATE shard1.customers;
SELECT pg_logical_emit_message(true, 'app', 'hello');
