-- The reference capture's all-types table (../shared/reference/debezium-capture/schema.sql).
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad','ok','happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN price AS numeric(8,2);
CREATE TABLE public.types_all (
 id serial PRIMARY KEY,
 c_bool boolean, c_bit1 bit(1), c_bit8 bit(8), c_varbit varbit(16), c_varbit_unl varbit,
 c_int2 smallint, c_int4 integer, c_int8 bigint, c_smallserial smallserial, c_bigserial bigserial, c_oid oid,
 c_float4 real, c_float8 double precision, c_float4_nan real, c_float8_inf double precision, c_float8_small double precision, c_float8_big double precision,
 c_num numeric(10,3), c_num0 numeric(5), c_numvar numeric, c_numvar_neg numeric, c_money money,
 c_char char(5), c_varchar varchar(10), c_text text, c_name name, c_bytea bytea,
 c_date date, c_date_inf date, c_date_ninf date, c_time time, c_time3 time(3), c_time0 time(0), c_time24 time, c_timetz timetz, c_timetz3 timetz(3),
 c_ts timestamp, c_ts0 timestamp(0), c_ts3 timestamp(3), c_ts_inf timestamp, c_ts_ninf timestamp, c_ts3_inf timestamp(3),
 c_tstz timestamptz, c_tstz0 timestamptz(0), c_tstz3 timestamptz(3), c_tstz_zero timestamptz, c_tstz_inf timestamptz, c_tstz_bc timestamptz,
 c_interval interval, c_interval_neg interval, c_interval_big interval,
 c_json json, c_jsonb jsonb, c_xml xml, c_uuid uuid,
 c_inet inet, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8,
 c_int4range int4range, c_numrange numrange, c_tsrange tsrange, c_tstzrange tstzrange, c_daterange daterange, c_int8range int8range,
 c_point point, c_tsvector tsvector, c_hstore hstore, c_ltree ltree, c_citext citext,
 c_enum mood, c_posint posint, c_price price,
 c_int_arr int[], c_text_arr text[], c_num_arr numeric(5,2)[], c_numvar_arr numeric[], c_tstz_arr timestamptz[], c_date_arr date[], c_uuid_arr uuid[], c_enum_arr mood[], c_bool_arr boolean[], c_float8_arr float8[],
 c_box box, c_circle circle, c_pglsn pg_lsn,
 c_def_text text DEFAULT 'dflt', c_def_int integer DEFAULT 42, c_def_ts timestamptz DEFAULT now(), c_def_bool boolean DEFAULT true,
 c_nn_text text NOT NULL DEFAULT 'x', c_nn_int integer NOT NULL
);
