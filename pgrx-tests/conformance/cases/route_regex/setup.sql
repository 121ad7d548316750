-- ExtractNewRecordState, then RegexRouter renaming table topics (not the message topic),
-- then ByLogicalTableRouter, which rewrites only the key of the flattened records.
\ir ../shared/route_setup.sql
