-- The routing cases' shards and partitions.
CREATE SCHEMA shard1;
CREATE SCHEMA shard2;
CREATE TABLE shard1.customers (id int PRIMARY KEY, name text NOT NULL DEFAULT 'anon');
CREATE TABLE shard2.customers (id int PRIMARY KEY, name text NOT NULL DEFAULT 'anon');
CREATE TABLE public.orders (id int, region text, amount numeric(10,2), PRIMARY KEY (id, region))
  PARTITION BY LIST (region);
CREATE TABLE public.orders_eu PARTITION OF public.orders FOR VALUES IN ('eu');
CREATE TABLE public.orders_us PARTITION OF public.orders FOR VALUES IN ('us');
CREATE TABLE public.nokey (a int, b text);
ALTER TABLE public.nokey REPLICA IDENTITY FULL;
CREATE TABLE public.other (id int PRIMARY KEY);
