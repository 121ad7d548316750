-- Every array element type Debezium handles, with NULL elements, empty and multi-dimensional
-- arrays, infinities, precisions, and array types it drops.
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE arr (
  id int PRIMARY KEY,
  a_i2 int2[], a_i4 int4[], a_i8 int8[], a_oid oid[], a_f4 float4[], a_f8 float8[],
  a_num numeric[], a_num52 numeric(5,2)[], a_bool bool[],
  a_text text[], a_vc varchar(5)[], a_bp char(3)[], a_ch "char"[],
  a_date date[], a_time time[], a_time3 time(3)[], a_timetz timetz[],
  a_ts timestamp[], a_ts3 timestamp(3)[], a_tstz timestamptz[], a_tstz0 timestamptz(0)[],
  a_uuid uuid[], a_json json[], a_jsonb jsonb[], a_bytea bytea[],
  a_inet inet[], a_cidr cidr[], a_mac macaddr[], a_mac8 macaddr8[],
  a_i4r int4range[], a_tsr tstzrange[], a_dr daterange[],
  a_citext citext[], a_ltree ltree[], a_hstore hstore[], a_enum mood[],
  a_money money[], a_iv interval[], a_xml xml[], a_point point[], a_vb varbit[], a_name name[]
);
