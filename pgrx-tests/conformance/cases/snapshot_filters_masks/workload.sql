-- After the snapshot the same options apply to the stream.
INSERT INTO public.mask_t (id, m5, h1, h2, tr) VALUES (4, 'streamed secret', 'h', 'h', 'truncated');
UPDATE public.mask_t SET m5 = 'new secret' WHERE id = 3;
DELETE FROM public.mask_t WHERE id = 1;
UPDATE public.keep1 SET v = 'streamed' WHERE id = 3;
INSERT INTO other.t1 VALUES (2, 'o2');
