\ir ../shared/events_setup.sql
