-- Importing Debezium configurations: the two of the guides our users follow, verbatim (typos
-- included), then the errors of bad input. Secrets come back as NULL.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cedar_cdc;
\pset null '(null)'
-- Kafka Connect (the CedarDB guide): heartbeat.inverval.ms is a typo, and transforms.unwrap.*
-- is set without transforms=unwrap, so Debezium never applied the unwrap
SELECT * FROM cedar_cdc.from_debezium($cfg$
{
    "name": "postgres-source",
    "config": {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "[Your Amazon Aurora PostgreSQL hostname]",
        "plugin.name": "pgoutput",
        "database.port": "5432",
        "database.user": "postgresuser",
        "database.password": "postgrespw",
        "database.dbname": "postgres",
        "topic.prefix": "postgres",
        "heartbeat.inverval.ms": "20",
        "table.include.list": "public.lineitem",
        "topic.creation.enable": "true",
        "topic.creation.default.replication.factor": "-1",
        "topic.creation.default.partitions": "-1",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.drop.tombstones": "false",
        "delete.handling.mode": "none"
    }
}
$cfg$);
SELECT cedar_cdc.from_debezium_command($cfg$
{
    "name": "postgres-source",
    "config": {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "[Your Amazon Aurora PostgreSQL hostname]",
        "plugin.name": "pgoutput",
        "database.port": "5432",
        "database.user": "postgresuser",
        "database.password": "postgrespw",
        "database.dbname": "postgres",
        "topic.prefix": "postgres",
        "heartbeat.inverval.ms": "20",
        "table.include.list": "public.lineitem",
        "topic.creation.enable": "true",
        "topic.creation.default.replication.factor": "-1",
        "topic.creation.default.partitions": "-1",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.drop.tombstones": "false",
        "delete.handling.mode": "none"
    }
}
$cfg$);
-- the same as jsonb (keys in jsonb's order)
SELECT property, verdict FROM cedar_cdc.from_debezium($cfg$
{
    "name": "postgres-source",
    "config": {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "[Your Amazon Aurora PostgreSQL hostname]",
        "plugin.name": "pgoutput",
        "database.port": "5432",
        "database.user": "postgresuser",
        "database.password": "postgrespw",
        "database.dbname": "postgres",
        "topic.prefix": "postgres",
        "heartbeat.inverval.ms": "20",
        "table.include.list": "public.lineitem",
        "topic.creation.enable": "true",
        "topic.creation.default.replication.factor": "-1",
        "topic.creation.default.partitions": "-1",
        "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
        "transforms.unwrap.drop.tombstones": "false",
        "delete.handling.mode": "none"
    }
}
$cfg$::jsonb);
-- Debezium Server (the Kinesis demo): column.exculde.list is a typo, so created_at was streamed
SELECT * FROM cedar_cdc.from_debezium($cfg$
debezium.source.table.include.list=inventory.products,inventory.customers
debezium.source.column.exculde.list=inventory.products.created_at,inventory.customers.created_at
$cfg$);
SELECT cedar_cdc.from_debezium_options($cfg$
debezium.source.table.include.list=inventory.products,inventory.customers
debezium.source.column.exculde.list=inventory.products.created_at,inventory.customers.created_at
$cfg$);
SELECT cedar_cdc.from_debezium_command($cfg$
debezium.source.table.include.list=inventory.products,inventory.customers
debezium.source.column.exculde.list=inventory.products.created_at,inventory.customers.created_at
$cfg$);
-- the options are the plugin's: read a slot with them
CREATE SCHEMA inventory;
CREATE TABLE inventory.products (id int PRIMARY KEY, name text, created_at timestamptz);
CREATE TABLE inventory.orders (id int PRIMARY KEY);
SELECT 'init' FROM pg_create_logical_replication_slot('imp', 'cedar_cdc');
INSERT INTO inventory.orders VALUES (1);
INSERT INTO inventory.products VALUES (1, 'p', NULL);
SELECT data FROM pg_logical_slot_get_changes('imp', NULL, NULL,
  VARIADIC cedar_cdc.from_debezium_options('debezium.source.table.include.list=inventory.products
debezium.source.column.exclude.list=inventory.products.created_at
debezium.format.value.schemas.enable=false
debezium.source.topic.prefix=inv')) \gset
SELECT :'data'::json->'after' AS after, :'data'::json->'source'->>'name' AS name;
SELECT pg_drop_replication_slot('imp');
-- a transform chain, listed and configured
SELECT property, verdict, detail FROM cedar_cdc.from_debezium('{
  "transforms": "unwrap",
  "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
  "transforms.unwrap.delete.tombstone.handling.mode": "rewrite",
  "transforms.unwrap.drop.tombstones": "false",
  "transforms.unwrap.add.headers": "op",
  "transforms.unwrap.add.feilds": "op"}');
-- bad input: each an error naming the property
SELECT * FROM cedar_cdc.from_debezium('{"name": "x", "config": {"topic.prefix": "p",}}');
SELECT * FROM cedar_cdc.from_debezium('topic.prefix=p
just some words');
SELECT * FROM cedar_cdc.from_debezium('transforms=flat
transforms.flat.type=com.acme.Flatten');
SELECT * FROM cedar_cdc.from_debezium('key.converter.schemas.enable=true
value.converter.schemas.enable=false');
SELECT * FROM cedar_cdc.from_debezium('table.include.list=a
table.exclude.list=b');
SELECT * FROM cedar_cdc.from_debezium('decimal.handling.mode=exact');
