SELECT format('host=127.0.0.1 port=%s dbname=conf_subscriber_src user=postgres',
              current_setting('port')) AS src \gset
SELECT format('CREATE SUBSCRIPTION conf_sub CONNECTION %L PUBLICATION src_pub WITH (create_slot = false, slot_name = conf_sub_slot)', :'src') \gexec
-- the initial copy
CALL wait_until($$SELECT count(*) = 20 AND NOT EXISTS (SELECT FROM pg_subscription_rel WHERE srsubstate <> 'r') FROM lineitem$$);
-- changes on the source, one transaction each, then a multi-statement one
SELECT dblink_exec(:'src', $$INSERT INTO lineitem (lineitem_id, transaction_id, product_id, quantity, unit_price, transaction_date, notes)
                           VALUES (1001, 9, 9, 1, 1.5, '2024-11-01', 'new'), (1002, 9, 9, 2, 2.5, '2024-11-01', NULL)$$);
SELECT dblink_exec(:'src', $$UPDATE lineitem SET status = 'shipped', quantity = quantity + 1 WHERE lineitem_id IN (1, 2)$$);
SELECT dblink_exec(:'src', $$DELETE FROM lineitem WHERE lineitem_id = 3$$);
SELECT dblink_exec(:'src', $$BEGIN; UPDATE lineitem SET lineitem_id = 1003 WHERE lineitem_id = 1001;
                           DELETE FROM lineitem WHERE lineitem_id = 4; COMMIT$$);
CALL wait_until($$SELECT count(*) = 20 AND bool_or(lineitem_id = 1003) FROM lineitem$$);
-- a non-transactional message right after a replicated transaction, then a local change
SELECT pg_logical_emit_message(false, 'after-replicated', 'x') IS NOT NULL AS sent;
INSERT INTO local_note VALUES (1, 'made on the subscriber');
-- detach from the source so that the databases can be dropped
ALTER SUBSCRIPTION conf_sub DISABLE;
ALTER SUBSCRIPTION conf_sub SET (slot_name = NONE);
DROP SUBSCRIPTION conf_sub;
