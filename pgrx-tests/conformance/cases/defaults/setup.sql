-- Column defaults as Debezium parses pg_get_expr text, NULLs replaced by defaults, and the
-- NOT NULL fallbacks of a key-only old row.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE SEQUENCE def_seq;
CREATE TABLE defs (
  id serial PRIMARY KEY,
  s smallserial, b8 bigserial,
  t text DEFAULT 'dflt', t2 text DEFAULT 'it''s', tcat text DEFAULT ('a' || 'b'), tsp text DEFAULT ' x ',
  vc varchar(3) DEFAULT 'abcdef'::text, vc2 varchar(9) DEFAULT 'abcdef', ch char(3) DEFAULT 'x',
  i int DEFAULT 42, neg int DEFAULT -7, big bigint DEFAULT 9223372036854775807, sm smallint DEFAULT -5,
  expr int DEFAULT (1 + 2), dom posint DEFAULT 5,
  n numeric(6,2) DEFAULT 0, n2 numeric(6,2) DEFAULT 12.5, n3 numeric(5,2) DEFAULT 1.234,
  n4 numeric(12,2) DEFAULT 1.5e3, nneg numeric(5,1) DEFAULT -1.5, nfree numeric DEFAULT 42,
  r real DEFAULT 0.00001, rnan real DEFAULT 'NaN', f float8 DEFAULT -2.5e10, f3 float8 DEFAULT 3,
  ts timestamptz DEFAULT now(), ts3 timestamptz(3) DEFAULT CURRENT_TIMESTAMP,
  tsl timestamptz DEFAULT '2020-01-01 10:00:00.5+02', tsz0 timestamptz(0) DEFAULT '2020-01-01 10:00:00.6+00',
  tsinf timestamptz DEFAULT 'infinity',
  lt timestamp DEFAULT '2020-01-01 10:00:00', lt3 timestamp(3) DEFAULT '2020-01-01 10:00:00.1236',
  ltinf timestamp DEFAULT 'infinity', ltnow timestamp DEFAULT localtimestamp,
  d date DEFAULT '2020-02-29', dnow date DEFAULT current_date, dinf date DEFAULT 'infinity',
  tm time DEFAULT '12:34:56.5', tm0 time(0) DEFAULT '10:00:00.6', tmnow time DEFAULT current_time,
  tz timetz DEFAULT '10:00:00+02',
  iv interval DEFAULT '1 day', iv2 interval DEFAULT '-1 year 2 mons -3 days 04:05:06.789',
  bo bool DEFAULT true, bo2 bool DEFAULT 'yes',
  u uuid DEFAULT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', ugen uuid DEFAULT gen_random_uuid(),
  j jsonb DEFAULT '{}', j2 json DEFAULT '{"a":1}', x xml DEFAULT '<a/>',
  bit3 bit(3) DEFAULT B'101', bit1 bit(1) DEFAULT B'1', bit4 bit(4) DEFAULT B'0000',
  vb varbit DEFAULT B'1', vb5 varbit(5) DEFAULT B'00110',
  e mood DEFAULT 'ok', by bytea DEFAULT '\x00', mo money DEFAULT 5, arr int[] DEFAULT '{1}',
  fromseq int DEFAULT nextval('def_seq'),
  nn_text text NOT NULL DEFAULT 'x', nn_ts_def timestamptz NOT NULL DEFAULT now(),
  nn_int int NOT NULL, nn_num numeric(5,1) NOT NULL, nn_free numeric NOT NULL, nn_date date NOT NULL,
  nn_ts timestamptz NOT NULL, nn_ts3 timestamptz(3) NOT NULL, nn_lts timestamp NOT NULL,
  nn_tm time NOT NULL, nn_tz timetz NOT NULL, nn_iv interval NOT NULL,
  nn_bool bool NOT NULL, nn_bytes bytea NOT NULL, nn_uuid uuid NOT NULL, nn_json jsonb NOT NULL,
  nn_char char(3) NOT NULL, nn_enum mood NOT NULL, nn_bit1 bit(1) NOT NULL, nn_bits bit(3) NOT NULL,
  nn_money money NOT NULL, nn_arr int[] NOT NULL, nn_real real NOT NULL, nn_inet inet NOT NULL
);
