\ir ../../../demo/lineitem_schema.sql
