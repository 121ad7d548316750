-- After the snapshot: a row of every type streams as before.
\ir ../types/workload.sql
