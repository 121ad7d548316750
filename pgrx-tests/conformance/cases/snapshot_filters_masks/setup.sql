-- The initial snapshot with filters and column mappers: the filter cases' tables and the
-- mappers case's table, filled before Debezium starts. The include list's patterns are not in
-- name order: Debezium snapshots the tables pattern by pattern.
\ir ../shared/filters_setup.sql
\ir ../shared/filters_workload.sql
\ir ../mappers/setup.sql
\ir ../mappers/workload.sql
INSERT INTO public.mask_t VALUES (3, 'another secret', 'more', 'more', 'cut', 0.5, 'x', 'y', 'z', '\x', '', NULL, NULL, NULL, 'was null?', NULL, NULL, NULL, NULL);
