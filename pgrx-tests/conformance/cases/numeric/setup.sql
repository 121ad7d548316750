-- Numerics and floats at their edges, domains over them, and NOT NULL domains.
CREATE DOMAIN price AS numeric(8,2);
CREATE DOMAIN nn_int AS integer NOT NULL;
CREATE TABLE num (
  id int PRIMARY KEY,
  n numeric, n10_3 numeric(10,3), n38 numeric(38,0), n3_5 numeric(3,5), n1000 numeric(1000,500),
  p price, nn nn_int, r real, f float8, i2 int2, i8 int8, o oid, m money
);
