-- The initial snapshot of every type family, with NULLs and extremes: the tables and rows of
-- the types, arrays, temporal, numeric, defaults and toast_types cases (each case's workload
-- runs here, before Debezium starts), each case in its own schema where names would clash.
\ir ../types/setup.sql
\ir ../types/workload.sql
CREATE SCHEMA arrays;
SET search_path = arrays, public;
\ir ../arrays/setup.sql
\ir ../arrays/workload.sql
CREATE SCHEMA numeric;
SET search_path = numeric, public;
\ir ../numeric/setup.sql
\ir ../numeric/workload.sql
CREATE SCHEMA defaults;
SET search_path = defaults, public;
\ir ../defaults/setup.sql
\ir ../defaults/workload.sql
CREATE SCHEMA toast;
SET search_path = toast, public;
\ir ../toast_types/setup.sql
\ir ../toast_types/workload.sql
SET search_path = public;
\ir ../temporal/setup.sql
\ir ../temporal/workload.sql
-- The temporal case streams in a non-UTC session zone; a snapshot reads tstzrange as text in
-- the session's zone (Debezium's: its JVM's), so the database keeps the cluster's UTC.
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET timezone', current_database()); END $$;
