-- Temporal types at every precision, with infinities, BC dates, far-future years, 24:00 and
-- zone offsets, in a session zone that is not UTC.
DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'America/New_York'); END $$;
CREATE TABLE tmp (
  id int PRIMARY KEY,
  d date,
  t0 time(0), t1 time(1), t3 time(3), t4 time(4), t6 time(6), t time,
  tz0 timetz(0), tz3 timetz(3), tz timetz,
  ts0 timestamp(0), ts1 timestamp(1), ts2 timestamp(2), ts3 timestamp(3), ts4 timestamp(4), ts5 timestamp(5), ts timestamp,
  tstz0 timestamptz(0), tstz1 timestamptz(1), tstz2 timestamptz(2), tstz3 timestamptz(3), tstz4 timestamptz(4), tstz5 timestamptz(5), tstz timestamptz,
  iv interval, iv_ym interval year to month, iv_s interval second(2)
);
