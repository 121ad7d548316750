\ir ../shared/unwrap_workload.sql
SELECT pg_logical_emit_message(true, 'app', 'hello');
