INSERT INTO public.mask_t VALUES (1, 'sensitive', 'hashme', 'hashme', 'truncate me', 12.34, 'abc', 'txt', 'top secret',
  '\x0102030405', 'ab', 42, 'abcd', 1.5, NULL, '2020-01-01 00:00:00+00', 7, '{1}', true);
INSERT INTO public.mask_t (id, tr, h1) VALUES (2, 'héllo wörld 😀', 'ünïcode 😀');
UPDATE public.mask_t SET plain = 'changed' WHERE id = 1;
DELETE FROM public.mask_t WHERE id = 2;
