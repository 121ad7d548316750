INSERT INTO public.keep2 VALUES (2, 'after');
INSERT INTO audit.log VALUES (3, 'excluded');
INSERT INTO public.skip1 VALUES (3, 'excluded');
