-- ByLogicalTableRouter merging shards and the partitions of a partitioned table into one topic
-- each, with the physical table in the key; then the unwrap, which flattens the renamed value.
\ir ../shared/route_setup.sql
