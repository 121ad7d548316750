import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.FileInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Debezium Server's shape for the benchmark: the embedded engine (Debezium 3.6.3) with a
 * kafka-clients 4.3.0 producer in its handler. Each batch is converted with JsonConverter
 * (schemas on), sent with the default partitioner (murmur2 of the key), flushed (every record
 * acknowledged, acks=all, idempotent) and only then marked processed, as Debezium Server's
 * Kafka sink does.
 *
 * Usage: [java -Dproducer.NAME=VALUE ...] DebeziumToKafka CONNECTOR_PROPERTIES BOOTSTRAP
 * EXPECTED_RECORDS PARTITIONS TOPIC... (the topics are created first with PARTITIONS
 * partitions; -Dproducer.* are producer properties). Prints
 * "records N first_ms F last_ack_ms L" (milliseconds since the JVM started) once EXPECTED_RECORDS
 * records are acknowledged.
 */
public final class DebeziumToKafka {
    public static void main(String[] args) throws Exception {
        long t0 = System.currentTimeMillis() - java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        Properties props = new Properties();
        try (FileInputStream in = new FileInputStream(args[0])) {
            props.load(in);
        }
        String bootstrap = args[1];
        long expected = Long.parseLong(args[2]);
        int partitions = Integer.parseInt(args[3]);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            List<NewTopic> topics = new ArrayList<>();
            for (int i = 4; i < args.length; i++) topics.add(new NewTopic(args[i], partitions, (short) 1));
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
        }
        Properties pp = new Properties();
        pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        pp.put(ProducerConfig.ACKS_CONFIG, "all");
        pp.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // -Dproducer.NAME=VALUE: a producer property (the benchmark's compression.type=lz4 run).
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("producer.")) pp.put(name.substring("producer.".length()), System.getProperty(name));
        }
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());
        JsonConverter keys = new JsonConverter();
        keys.configure(Map.of("schemas.enable", "true"), true);
        JsonConverter values = new JsonConverter();
        values.configure(Map.of("schemas.enable", "true"), false);
        AtomicLong acked = new AtomicLong();
        AtomicLong first = new AtomicLong(-1), last = new AtomicLong(-1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(props)
            .notifying((List<RecordChangeEvent<SourceRecord>> batch,
                        DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) -> {
                first.compareAndSet(-1, System.currentTimeMillis() - t0);
                List<java.util.concurrent.Future<?>> sent = new ArrayList<>(batch.size());
                for (RecordChangeEvent<SourceRecord> e : batch) {
                    SourceRecord r = e.record();
                    byte[] k = keys.fromConnectData(r.topic(), r.keySchema(), r.key());
                    byte[] v = values.fromConnectData(r.topic(), r.valueSchema(), r.value());
                    sent.add(producer.send(new ProducerRecord<>(r.topic(), k, v)));
                }
                producer.flush();
                try {
                    for (java.util.concurrent.Future<?> f : sent) f.get();
                } catch (Exception ex) {
                    failure.set(ex);
                    done.countDown();
                    return;
                }
                for (RecordChangeEvent<SourceRecord> e : batch) committer.markProcessed(e);
                committer.markBatchFinished();
                if (acked.addAndGet(batch.size()) >= expected) {
                    last.compareAndSet(-1, System.currentTimeMillis() - t0);
                    done.countDown();
                }
            })
            .using((success, message, error) -> {
                if (!success) {
                    failure.compareAndSet(null, error != null ? error : new RuntimeException(message));
                    done.countDown();
                }
            })
            .build();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executor.execute(engine);
        done.await();
        System.out.println("records " + acked.get() + " first_ms " + first.get() + " last_ack_ms " + last.get());
        System.out.flush();
        engine.close();
        producer.close();
        executor.shutdown();
        if (failure.get() != null) {
            failure.get().printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }
}
