INSERT INTO public.toast_t VALUES (1, 's', repeat('abcdefghij', 1000), decode(repeat('00ff', 5000), 'hex'),
  ('{"k":"' || repeat('y', 10000) || '"}')::jsonb, repeat('v', 9000));
UPDATE public.toast_t SET small = 's2' WHERE id = 1;
UPDATE public.toast_t SET big = 'short now' WHERE id = 1;
UPDATE public.toast_t SET id = 2 WHERE id = 1;
DELETE FROM public.toast_t;
INSERT INTO public.toast_full VALUES (1, 's', repeat('abcdefghij', 1000), decode(repeat('ab', 9000), 'hex'));
UPDATE public.toast_full SET small = 's2' WHERE id = 1;
DELETE FROM public.toast_full;
