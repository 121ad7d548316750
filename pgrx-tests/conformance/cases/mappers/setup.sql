-- Column mappers: truncation, masking, hashing (v1 and v2) and source-type propagation.
CREATE TABLE public.mask_t (id int PRIMARY KEY, m5 text, h1 text, h2 varchar(20), tr text, p_num numeric(7,2),
  p_vc varchar(12), p_txt text, plain text, tr_b bytea, tr_vc varchar(2), m_int int, h_char char(4), n_num numeric(10,3),
  m_null text, p_ts timestamptz(3), p_int int, p_arr int[], p_bool bool);
