\ir ../shared/modes_setup.sql
