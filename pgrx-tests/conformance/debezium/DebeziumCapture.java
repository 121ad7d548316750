// Runs the real Debezium PostgreSQL connector in the embedded engine and dumps every
// SourceRecord as one JSON line, serialised by Kafka Connect's JsonConverter exactly as a
// Kafka Connect worker would (schemas on and off).
//
// Usage: java -cp <classpath> DebeziumCapture CONNECTOR.properties OUT.jsonl
//            [--timeout SECONDS] [--sentinel-prefix PREFIX]
//
// Protocol with the driver (run_debezium.py):
//   * stdout line "STREAMING" once the connector's replication slot is active (the
//     connector has started streaming); the workload may run from then on.
//   * The driver ends the workload with pg_logical_emit_message(..., PREFIX, ...). When that
//     message record arrives the capture stops the engine (the sentinel is not written) and
//     prints "DONE <n> records"; exit status 0.
//   * Exit status 2 on timeout, 3 when the engine fails, 1 on bad usage or other errors.
// Logs (log4j2) go to stderr.

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

import java.io.BufferedWriter;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

public final class DebeziumCapture {

    private static final String DEFAULT_SENTINEL = "cedar_cdc_conformance_end";

    private final JsonConverter keyConv = converter("key", true);
    private final JsonConverter valueConv = converter("value", true);
    private final JsonConverter keyConvNoSchema = converter("key", false);
    private final JsonConverter valueConvNoSchema = converter("value", false);
    private final JsonConverter headerConv = converter("header", false);
    private final ObjectMapper mapper = new ObjectMapper();

    private final String sentinelPrefix;
    private final String messageTopic;
    private final BufferedWriter out;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final AtomicBoolean sentinelSeen = new AtomicBoolean(false);
    private final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicReference<Throwable> failureCause = new AtomicReference<>();
    private long written = 0;

    private DebeziumCapture(String sentinelPrefix, String topicPrefix, BufferedWriter out) {
        this.sentinelPrefix = sentinelPrefix;
        this.messageTopic = topicPrefix + ".message";
        this.out = out;
    }

    private static JsonConverter converter(String type, boolean schemas) {
        JsonConverter c = new JsonConverter();
        c.configure(Map.of("converter.type", type, "schemas.enable", Boolean.toString(schemas)));
        return c;
    }

    /** Kafka null (no bytes) becomes JSON null; otherwise the exact UTF-8 text. */
    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private boolean isSentinel(SourceRecord r) {
        if (!messageTopic.equals(r.topic()) || !(r.key() instanceof Struct)) {
            return false;
        }
        Struct key = (Struct) r.key();
        return key.schema().field("prefix") != null && sentinelPrefix.equals(key.getString("prefix"));
    }

    private void handleBatch(List<RecordChangeEvent<SourceRecord>> batch,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        try {
            for (RecordChangeEvent<SourceRecord> event : batch) {
                SourceRecord r = event.record();
                if (!sentinelSeen.get()) {
                    if (isSentinel(r)) {
                        sentinelSeen.set(true);
                    } else {
                        writeRecord(r);
                    }
                }
                committer.markProcessed(event);
            }
            out.flush();
            committer.markBatchFinished();
        } catch (IOException | RuntimeException e) {
            fail("cannot serialise or write a record: " + e, e);
            return;
        }
        if (sentinelSeen.get()) {
            finished.countDown();
        }
    }

    private void writeRecord(SourceRecord r) throws IOException {
        String topic = r.topic();
        ObjectNode line = mapper.createObjectNode();
        line.put("topic", topic);
        line.put("key", text(keyConv.fromConnectData(topic, r.keySchema(), r.key())));
        line.put("value", text(valueConv.fromConnectData(topic, r.valueSchema(), r.value())));
        line.put("key_noschema", text(keyConvNoSchema.fromConnectData(topic, r.keySchema(), r.key())));
        line.put("value_noschema", text(valueConvNoSchema.fromConnectData(topic, r.valueSchema(), r.value())));
        ObjectNode headers = line.putObject("headers");
        for (Header h : r.headers()) {
            Object v = h.value();
            String rendered;
            if (v == null || v instanceof String) {
                rendered = (String) v;
            } else {
                rendered = text(headerConv.fromConnectHeader(topic, h.key(), h.schema(), v));
            }
            headers.put(h.key(), rendered);
        }
        out.write(mapper.writeValueAsString(line));
        out.write('\n');
        written++;
    }

    private void fail(String message, Throwable cause) {
        if (failure.compareAndSet(null, message)) {
            failureCause.set(cause);
        }
        finished.countDown();
    }

    /** Polls pg_replication_slots until the connector's slot is held by its walsender. */
    private static void awaitSlotActive(Properties p, String slot, AtomicBoolean stop) throws Exception {
        String url = "jdbc:postgresql://" + p.getProperty("database.hostname", "localhost") + ":"
                + p.getProperty("database.port", "5432") + "/" + p.getProperty("database.dbname");
        Properties cp = new Properties();
        cp.setProperty("user", p.getProperty("database.user", "postgres"));
        if (p.getProperty("database.password") != null) {
            cp.setProperty("password", p.getProperty("database.password"));
        }
        try (Connection c = DriverManager.getConnection(url, cp);
             PreparedStatement st = c.prepareStatement(
                     "SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
            st.setString(1, slot);
            while (!stop.get()) {
                try (ResultSet rs = st.executeQuery()) {
                    if (rs.next() && rs.getBoolean(1)) {
                        return;
                    }
                }
                Thread.sleep(50);
            }
        }
    }

    private static Properties connectorProperties(Path file) throws IOException {
        Properties user = new Properties();
        try (InputStreamReader r = new InputStreamReader(new FileInputStream(file.toFile()), StandardCharsets.UTF_8)) {
            user.load(r);
        }
        for (String required : new String[] {"database.hostname", "database.port", "database.user",
                "database.dbname", "topic.prefix"}) {
            if (user.getProperty(required) == null) {
                throw new IllegalArgumentException(file + ": missing required property " + required);
            }
        }
        Properties p = new Properties();
        p.setProperty("name", "cedar-conformance");
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", "debezium");
        p.setProperty("publication.name", "dbz_publication");
        p.setProperty("snapshot.mode", "no_data");
        p.setProperty("slot.drop.on.stop", "true");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        p.setProperty("offset.flush.interval.ms", "0");
        p.setProperty("errors.max.retries", "0");
        // Let the engine notice a stop request quickly.
        p.setProperty("poll.interval.ms", "100");
        // Debezium's own default publication.autocreate.mode (all_tables) unless the case sets it.
        p.putAll(user);
        return p;
    }

    public static void main(String[] args) {
        int status;
        try {
            status = run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("DebeziumCapture: " + e.getMessage());
            status = 1;
        } catch (Throwable t) {
            System.err.println("DebeziumCapture: unexpected error");
            t.printStackTrace();
            status = 1;
        }
        System.out.flush();
        System.err.flush();
        // Debezium/Kafka may leave non-daemon threads behind; never linger.
        Runtime.getRuntime().halt(status);
    }

    private static int run(String[] args) throws Exception {
        String sentinel = DEFAULT_SENTINEL;
        long timeoutSeconds = 120;
        String propsFile = null;
        String outFile = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--timeout" -> timeoutSeconds = Long.parseLong(args[++i]);
                case "--sentinel-prefix" -> sentinel = args[++i];
                default -> {
                    if (propsFile == null) {
                        propsFile = args[i];
                    } else if (outFile == null) {
                        outFile = args[i];
                    } else {
                        throw new IllegalArgumentException("unexpected argument " + args[i]);
                    }
                }
            }
        }
        if (propsFile == null || outFile == null) {
            throw new IllegalArgumentException("usage: DebeziumCapture CONNECTOR.properties OUT.jsonl "
                    + "[--timeout SECONDS] [--sentinel-prefix PREFIX]");
        }

        Properties props = connectorProperties(Path.of(propsFile));
        Path offsets = Files.createTempFile("cedar-dbz-offsets", ".dat");
        props.setProperty("offset.storage.file.filename", offsets.toString());
        // Make sure a case's message prefix filter cannot hide the sentinel.
        String include = props.getProperty("message.prefix.include.list");
        if (include != null && !include.isBlank()) {
            props.setProperty("message.prefix.include.list", include + "," + sentinel);
        }
        String slot = props.getProperty("slot.name");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);

        try (BufferedWriter out = Files.newBufferedWriter(Path.of(outFile), StandardCharsets.UTF_8)) {
            DebeziumCapture capture = new DebeziumCapture(sentinel, props.getProperty("topic.prefix"), out);
            AtomicBoolean stopPolling = new AtomicBoolean(false);
            CountDownLatch pollingStarted = new CountDownLatch(1);

            DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine
                    .create(ChangeEventFormat.of(Connect.class))
                    .using(props)
                    .notifying(capture::handleBatch)
                    .using(new DebeziumEngine.ConnectorCallback() {
                        @Override
                        public void pollingStarted() {
                            pollingStarted.countDown();
                        }
                    })
                    .using((success, message, error) -> {
                        if (!capture.sentinelSeen.get()) {
                            capture.fail("engine stopped before the end sentinel arrived (success=" + success
                                    + "): " + message, error);
                        }
                    })
                    .build();

            // On SIGTERM/SIGINT still stop the engine, so that it drops its slot.
            CountDownLatch closed = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                capture.fail("terminated by a signal", null);
                try {
                    closed.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "shutdown"));

            ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "debezium-engine");
                t.setDaemon(true);
                return t;
            });
            executor.execute(engine);

            int status = 0;
            try {
                // 1. Wait until the connector streams from its slot.
                Thread readiness = new Thread(() -> {
                    try {
                        pollingStarted.await();
                        awaitSlotActive(props, slot, stopPolling);
                        if (!stopPolling.get()) {
                            System.out.println("STREAMING");
                            System.out.flush();
                        }
                    } catch (Exception e) {
                        capture.fail("cannot check replication slot " + slot + ": " + e, e);
                    }
                }, "readiness");
                readiness.setDaemon(true);
                readiness.start();

                // 2. Wait for the sentinel, an engine failure, or the timeout.
                long left = deadline - System.nanoTime();
                if (!capture.finished.await(Math.max(left, 0), TimeUnit.NANOSECONDS)) {
                    System.err.println("DebeziumCapture: TIMEOUT after " + timeoutSeconds + " s: "
                            + (pollingStarted.getCount() == 0 ? "connector was polling" : "connector never started polling")
                            + ", " + capture.written + " records written, end sentinel '" + sentinel
                            + "' not received");
                    status = 2;
                } else if (capture.failure.get() != null) {
                    System.err.println("DebeziumCapture: FAILED: " + capture.failure.get());
                    if (capture.failureCause.get() != null) {
                        capture.failureCause.get().printStackTrace();
                    }
                    status = 3;
                }
                stopPolling.set(true);
            } finally {
                // 3. Stop the engine (drops the slot: slot.drop.on.stop=true), bounded in time.
                Thread closer = new Thread(() -> {
                    try {
                        engine.close();
                    } catch (IOException e) {
                        System.err.println("DebeziumCapture: engine.close() failed: " + e);
                    } catch (IllegalStateException e) {
                        // already stopped (it failed on its own)
                    }
                }, "closer");
                closer.setDaemon(true);
                closer.start();
                closer.join(30_000);
                if (closer.isAlive()) {
                    System.err.println("DebeziumCapture: engine did not stop within 30 s");
                    if (status == 0) {
                        status = 1;
                    }
                }
                executor.shutdown();
                executor.awaitTermination(10, TimeUnit.SECONDS);
                Files.deleteIfExists(offsets);
                closed.countDown();
            }
            out.flush();
            if (status == 0) {
                System.out.println("DONE " + capture.written + " records");
            }
            return status;
        }
    }
}
