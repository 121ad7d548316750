\ir ../shared/filters_workload.sql
