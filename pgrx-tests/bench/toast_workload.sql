-- 10,000 inserts of ~6 kB rows, 30,000 updates leaving the TOASTed columns unchanged, 2,000
-- updates rewriting them, then 5% of changes in table side.
INSERT INTO doc SELECT g, 0, repeat(md5(g::text), 128), jsonb_build_object('k', repeat('v', 2000), 'id', g)
  FROM generate_series(1, 10000) g;
UPDATE doc SET small = small + 1;
UPDATE doc SET small = small + 1;
UPDATE doc SET small = small + 1;
UPDATE doc SET body = body || 'x' WHERE id % 5 = 0;
INSERT INTO side SELECT g, 'side ' || g FROM generate_series(1, 2200) g;
