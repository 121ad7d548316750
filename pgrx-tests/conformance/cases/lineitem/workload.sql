\ir ../../../demo/lineitem_seed.sql
