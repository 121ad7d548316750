// The Debezium side of the snapshot benchmark (bench/snapshot.py): the real Debezium 3.6.3
// PostgreSQL connector in the embedded engine takes its initial snapshot (snapshot.mode=initial),
// and every record goes through Kafka Connect's JsonConverter (key and value, schemas on, as a
// Connect worker with Debezium's settings writes them) into a null sink that only counts bytes.
// Stops at the record whose source.snapshot is "last".
//
// Usage: java -cp <classpath> DebeziumSnapshotBench CONNECTOR.properties
// Prints one line: RESULT <records> <bytes> <first-to-last s> <engine-start-to-last s>
// Logs (log4j2) go to stderr. Exit status 1 on failure or after the timeout (600 s).
// The jars and their build are the conformance harness's (conformance/run_debezium.py).

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

public final class DebeziumSnapshotBench {

    private final JsonConverter keyConv = converter("key");
    private final JsonConverter valueConv = converter("value");
    private final CountDownLatch finished = new CountDownLatch(1);
    private long records, bytes, first, last;
    private volatile String failure;

    private static JsonConverter converter(String type) {
        JsonConverter c = new JsonConverter();
        c.configure(Map.of("converter.type", type, "schemas.enable", "true"));
        return c;
    }

    private void handleBatch(List<RecordChangeEvent<SourceRecord>> batch,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        for (RecordChangeEvent<SourceRecord> event : batch) {
            SourceRecord r = event.record();
            long now = System.nanoTime();
            if (first == 0) {
                first = now;
            }
            byte[] k = keyConv.fromConnectData(r.topic(), r.keySchema(), r.key());
            byte[] v = valueConv.fromConnectData(r.topic(), r.valueSchema(), r.value());
            bytes += (k == null ? 0 : k.length) + (v == null ? 0 : v.length);
            records++;
            committer.markProcessed(event);
            if (r.value() instanceof Struct s && s.schema().field("source") != null
                    && "last".equals(s.getStruct("source").getString("snapshot"))) {
                last = System.nanoTime();
                finished.countDown();
            }
        }
        committer.markBatchFinished();
    }

    public static void main(String[] args) throws Exception {
        int status = 1;
        try {
            status = run(args[0]);
        } catch (Throwable t) {
            t.printStackTrace();
        }
        System.out.flush();
        Runtime.getRuntime().halt(status);
    }

    private static int run(String propsFile) throws Exception {
        Properties p = new Properties();
        try (InputStreamReader r = new InputStreamReader(new FileInputStream(propsFile), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        Path offsets = Files.createTempFile("cedar-dbz-bench-offsets", ".dat");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        p.setProperty("offset.storage.file.filename", offsets.toString());
        DebeziumSnapshotBench bench = new DebeziumSnapshotBench();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine
                .create(ChangeEventFormat.of(Connect.class))
                .using(p)
                .notifying(bench::handleBatch)
                .using((success, message, error) -> {
                    if (bench.last == 0) {
                        bench.failure = "engine stopped before the last snapshot record: " + message;
                        if (error != null) {
                            error.printStackTrace();
                        }
                        bench.finished.countDown();
                    }
                })
                .build();
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "debezium-engine");
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        executor.execute(engine);
        boolean done = bench.finished.await(600, TimeUnit.SECONDS);
        Thread closer = new Thread(() -> {
            try {
                engine.close();
            } catch (Exception e) {
                System.err.println("DebeziumSnapshotBench: engine.close() failed: " + e);
            }
        }, "closer");
        closer.setDaemon(true);
        closer.start();
        closer.join(30_000);
        Files.deleteIfExists(offsets);
        if (!done || bench.failure != null) {
            System.err.println("DebeziumSnapshotBench: " + (done ? bench.failure : "timeout after 600 s"));
            return 1;
        }
        System.out.printf("RESULT %d %d %.3f %.3f%n", bench.records, bench.bytes,
                (bench.last - bench.first) / 1e9, (bench.last - start) / 1e9);
        return 0;
    }
}
