\ir ../shared/route_workload.sql
