-- The stream after the snapshot keeps the same keys.
INSERT INTO cpk VALUES (3, 'four', 30);
UPDATE cpk SET c = 11 WHERE a = 1 AND c = 10;
UPDATE "Odd-Schema"."Mixed Table" SET v = 'v2' WHERE "Col Name" = 1;
INSERT INTO parted VALUES (3, 5, 'c');
UPDATE mk SET w = 4 WHERE id = 1;
INSERT INTO nopk VALUES (9, 'streamed');
