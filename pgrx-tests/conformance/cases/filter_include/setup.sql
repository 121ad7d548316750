\ir ../shared/filters_setup.sql
