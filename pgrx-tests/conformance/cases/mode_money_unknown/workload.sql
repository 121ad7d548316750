\ir ../shared/modes_workload.sql
