-- One row with a value of every type, one with defaults, an update and a delete.
INSERT INTO public.types_all (c_bool, c_bit1, c_bit8, c_varbit, c_varbit_unl, c_int2, c_int4, c_int8, c_oid,
 c_float4, c_float8, c_float4_nan, c_float8_inf, c_float8_small, c_float8_big,
 c_num, c_num0, c_numvar, c_numvar_neg, c_money,
 c_char, c_varchar, c_text, c_name, c_bytea,
 c_date, c_date_inf, c_date_ninf, c_time, c_time3, c_time0, c_time24, c_timetz, c_timetz3,
 c_ts, c_ts0, c_ts3, c_ts_inf, c_ts_ninf, c_ts3_inf,
 c_tstz, c_tstz0, c_tstz3, c_tstz_zero, c_tstz_inf, c_tstz_bc,
 c_interval, c_interval_neg, c_interval_big,
 c_json, c_jsonb, c_xml, c_uuid, c_inet, c_cidr, c_macaddr, c_macaddr8,
 c_int4range, c_numrange, c_tsrange, c_tstzrange, c_daterange, c_int8range,
 c_point, c_tsvector, c_hstore, c_ltree, c_citext, c_enum, c_posint, c_price,
 c_int_arr, c_text_arr, c_num_arr, c_numvar_arr, c_tstz_arr, c_date_arr, c_uuid_arr, c_enum_arr, c_bool_arr, c_float8_arr,
 c_box, c_circle, c_pglsn, c_nn_int)
VALUES (true, B'1', B'10100001', B'101', B'111011010001000110000001000000001', -32768, 2147483647, -9223372036854775808, 4000000000,
 3.3, 4.44, 'NaN', 'Infinity', 1e-7, 1.5e300,
 1234567.891, 12345, 10.1111, -0.000123, '$1,234.56',
 'ab', 'héllo "q"', E'line1\nline2\ttab\\back\u0001ctl', 'nm', E'\\x0102ff',
 '2016-11-04', 'infinity', '-infinity', '13:51:30.123456', '13:51:30.123', '13:51:30', '24:00:00', '13:51:30.123789+02:00', '13:51:30.1+02:00',
 '2016-11-04 13:51:30.123456', '2016-11-04 13:51:30', '2016-11-04 13:51:30.5', 'infinity', '-infinity', 'infinity',
 '2016-11-04 13:51:30.123456+02', '2016-11-04 13:51:30+02', '2016-11-04 13:51:30.1+02', '2016-11-04 13:51:30+00', 'infinity', '0044-03-15 12:00:00+00 BC',
 'P1Y2M3DT4H5M6.78S', '-1 year -2 months +3 days -04:05:06.789', '100 years 11 months 30 days 23:59:59.999999',
 '{"a": 1,  "b":[1,2]}', '{"b":[1,2], "a": 1}', '<a>x</a>', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.2.0/12', '192.168.100.128/25', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
 '[1,10)', '[5.3,6.3)', '[2019-03-31 15:30:00, infinity)', '[2017-06-05 11:29:12.549426+00,)', '[2019-03-31,2019-04-30)', '[1000000,6000000)',
 '(1.5,-2)', 'a fat cat sat on a mat', '"k1"=>"v1", "k2"=>NULL', 'Top.Science.Astronomy', 'MiXeD', 'happy', 7, 12.5,
 '{1,2,NULL}', '{"one","two,x",NULL}', '{1.1,2.22}', '{1.10,2.5e3}', '{"2020-04-01 13:51:02+02","2020-04-01 13:51:03.5+02"}', '{2016-11-04,infinity}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '{sad,happy}', '{t,f}', '{1.5,NaN}',
 '((0,0),(1,1))', '<(10,20),10>', '16/B374D848', 5);
INSERT INTO public.types_all (c_nn_int, c_def_text, c_def_ts) VALUES (6, NULL, NULL);
UPDATE public.types_all SET c_text = 'updated' WHERE id = 1;
DELETE FROM public.types_all WHERE id = 2;
