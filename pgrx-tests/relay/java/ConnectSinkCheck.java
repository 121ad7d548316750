import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * What a Kafka Connect sink sees: reads every record of every topic (kafka-clients 4.3.0, from
 * offset 0 of each partition, no consumer group) and decodes its key and value with
 * JsonConverter.toConnectData, schemas on, as a sink connector's worker does.
 *
 * Usage: ConnectSinkCheck IDLE_MS TIMEOUT_MS BOOTSTRAP=EXPECTED_RECORDS...
 * (one JVM for several brokers). On each broker it stops once it has read EXPECTED_RECORDS
 * records and nothing new came for IDLE_MS (the
 * broker's high watermark is not trusted: tansu answers ListOffsets LATEST with the last
 * batch's base offset + 1), or at TIMEOUT_MS. Prints one line per failure ("FAIL topic
 * partition offset key|value: message") and a summary line per broker
 * "BOOTSTRAP records N keys K values V tombstones T failures F"; exits 1 on any failure.
 */
public final class ConnectSinkCheck {
    public static void main(String[] args) throws Exception {
        long idleMs = Long.parseLong(args[0]);
        long timeoutMs = Long.parseLong(args[1]);
        boolean ok = true;
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].lastIndexOf('=');
            ok &= check(args[i].substring(0, eq), Long.parseLong(args[i].substring(eq + 1)), idleMs, timeoutMs);
        }
        System.exit(ok ? 0 : 1);
    }

    static boolean check(String bootstrap, long expected, long idleMs, long timeoutMs) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        JsonConverter keys = new JsonConverter();
        keys.configure(Map.of("schemas.enable", "true"), true);
        JsonConverter values = new JsonConverter();
        values.configure(Map.of("schemas.enable", "true"), false);
        long records = 0, keyed = 0, valued = 0, tombstones = 0, failures = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                 new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (Map.Entry<String, List<PartitionInfo>> e : consumer.listTopics(Duration.ofSeconds(30)).entrySet()) {
                if (e.getKey().startsWith("__consumer_offsets")) continue;
                for (PartitionInfo p : e.getValue()) parts.add(new TopicPartition(p.topic(), p.partition()));
            }
            if (parts.isEmpty() && expected == 0) {
                System.out.println(bootstrap + " records 0 keys 0 values 0 tombstones 0 failures 0");
                return true;
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long start = System.currentTimeMillis(), last = start;
            while (true) {
                long now = System.currentTimeMillis();
                if (now - start > timeoutMs) break;
                if (records >= expected && now - last > idleMs) break;
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
                if (!batch.isEmpty()) last = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    records++;
                    String where = bootstrap + " " + r.topic() + " " + r.partition() + " " + r.offset();
                    if (r.key() != null) {
                        keyed++;
                        try {
                            SchemaAndValue k = keys.toConnectData(r.topic(), r.key());
                            if (k.schema() == null) throw new IllegalStateException("key decoded without a schema");
                        } catch (RuntimeException ex) {
                            failures++;
                            System.out.println("FAIL " + where + " key: " + ex);
                        }
                    }
                    if (r.value() == null) {
                        tombstones++;
                    } else {
                        valued++;
                        try {
                            values.toConnectData(r.topic(), r.value());
                        } catch (RuntimeException ex) {
                            failures++;
                            System.out.println("FAIL " + where + " value: " + ex);
                        }
                    }
                }
            }
        }
        System.out.println(bootstrap + " records " + records + " keys " + keyed + " values " + valued
            + " tombstones " + tombstones + " failures " + failures);
        if (records < expected) System.out.println("FAIL " + bootstrap + " read " + records + " records, expected " + expected);
        return failures == 0 && records >= expected;
    }
}
