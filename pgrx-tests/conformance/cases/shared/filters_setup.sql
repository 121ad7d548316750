-- Tables in several schemas for the filter cases.
CREATE SCHEMA audit;
CREATE SCHEMA other;
CREATE TABLE public.keep1 (id int PRIMARY KEY DEFAULT 5, v text, secret text NOT NULL DEFAULT 's');
CREATE TABLE public.keep2 (id int PRIMARY KEY, v text);
CREATE TABLE public.skip1 (id int PRIMARY KEY, v text);
CREATE TABLE audit.log (id int PRIMARY KEY, v text);
CREATE TABLE other.t1 (id int PRIMARY KEY, v text);
CREATE TABLE other."Mixed" (id int PRIMARY KEY, v text);
