-- The initial snapshot with exclude lists: excluded schemas and tables are not read, excluded
-- columns are not in the records (key columns stay in the key).
\ir ../shared/filters_setup.sql
\ir ../shared/filters_workload.sql
