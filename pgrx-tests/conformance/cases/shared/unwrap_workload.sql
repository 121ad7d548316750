-- The unwrap cases' workload: DEFAULT, FULL and NOTHING-like identities, a key change, a
-- keyless table, a truncate and TOAST.
INSERT INTO public.ri_default VALUES (1, 'n1', 'note1', 10, 'x', 7), (2, 'n2', NULL, 20, NULL, 8);
UPDATE public.ri_default SET note = 'y' WHERE id = 1;
DELETE FROM public.ri_default WHERE id = 1;
UPDATE public.ri_default SET id = 3 WHERE id = 2;
INSERT INTO public.ri_full VALUES (1, 'f1', 'x');
UPDATE public.ri_full SET id = 2, note = 'moved';
DELETE FROM public.ri_full;
INSERT INTO public.nopk VALUES (1, 'a');
UPDATE public.nopk SET b = 'b';
DELETE FROM public.nopk;
INSERT INTO public.toasty VALUES (1, repeat('x', 10000), 's');
UPDATE public.toasty SET small = 't';
DELETE FROM public.toasty;
TRUNCATE public.ri_full;
