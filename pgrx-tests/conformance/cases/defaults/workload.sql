INSERT INTO defs (nn_int, nn_num, nn_free, nn_date, nn_ts, nn_ts3, nn_lts, nn_tm, nn_tz, nn_iv, nn_bool, nn_bytes,
                  nn_uuid, nn_json, nn_char, nn_enum, nn_bit1, nn_bits, nn_money, nn_arr, nn_real, nn_inet,
                  ts, ts3, ugen, dnow, tmnow, ltnow, vc)
  VALUES (5, 1.5, 2.25, '2024-01-01', '2024-01-01 00:00:00+00', '2024-01-01 00:00:00.5+00', '2024-01-01 00:00:00',
          '10:00', '10:00+02', '1 day', true, '\x00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{}', 'ab', 'happy',
          B'1', B'101', 12.34, '{1,2}', 1.5, '10.0.0.1', '2024-01-01 10:00:00+00', '2024-01-01 10:00:00+00',
          'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-01-01', '10:00', '2024-01-01 10:00', 'abc');
-- explicit NULLs in columns with defaults are written as the default
INSERT INTO defs (t, t2, tcat, vc2, ch, i, neg, big, n, n2, n3, r, f, ts, ts3, tsl, tsz0, tsinf, lt, lt3, ltinf, d, dinf,
                  tm, tm0, iv, iv2, bo, u, ugen, j, j2, x, bit3, bit1, bit4, vb, vb5, e, fromseq, dnow, tmnow, ltnow,
                  nn_int, nn_num, nn_free, nn_date, nn_ts, nn_ts3, nn_lts, nn_tm, nn_tz, nn_iv, nn_bool, nn_bytes,
                  nn_uuid, nn_json, nn_char, nn_enum, nn_bit1, nn_bits, nn_money, nn_arr, nn_real, nn_inet, vc)
  VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
          NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
          NULL, NULL, NULL, NULL, NULL, NULL, NULL,
          6, 2.5, 3, '2024-01-02', '2024-01-02 00:00:00+00', '2024-01-02 00:00:00+00', '2024-01-02 00:00:00', '11:00',
          '11:00+02', '2 days', false, '\x01', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '[]', 'cd', 'sad', B'0', B'010',
          -1, '{}', -2.5, '::1', 'z');
-- the delete's old row has only the key: NOT NULL columns get defaults or fallbacks
DELETE FROM defs WHERE id = 1;
