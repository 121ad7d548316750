import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.relational.Column;
import io.debezium.relational.ColumnEditor;
import io.debezium.relational.Table;
import io.debezium.relational.TableEditor;
import io.debezium.relational.TableId;
import io.debezium.relational.history.ConnectTableChangeSerializer;
import io.debezium.relational.history.TableChanges;
import io.debezium.schema.SchemaFactory;
import io.debezium.schema.SchemaNameAdjuster;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * Reads cedar_cdc schema-change records (one "key TAB value" line each, JsonConverter text with
 * schemas) and checks each with the real Kafka Connect and Debezium 3.6.3 classes: JsonConverter
 * reads key and value, their schemas equal the ones Debezium builds for a PostgreSQL connector's
 * schema-change topic (SchemaFactory, ConnectTableChangeSerializer), JsonConverter writes them
 * back byte for byte, and the tableChanges are what ConnectTableChangeSerializer writes for the
 * same table built with Debezium's Table and Column editors. Prints one line per record; exits 1 on the first failure.
 */
public class SchemaChangeCheck {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("--types")) {
            types(args[1]);
            return;
        }
        String topic = args[0];
        PostgresConnectorConfig cfg = new PostgresConnectorConfig(Configuration.create()
                .with("topic.prefix", topic).with("database.hostname", "localhost")
                .with("database.user", "postgres").with("database.dbname", "postgres").build());
        SchemaNameAdjuster adj = SchemaNameAdjuster.NO_OP;
        ConnectTableChangeSerializer ser = new ConnectTableChangeSerializer(adj);
        Schema keySchema = SchemaFactory.get().schemaHistoryConnectorKeySchema(adj, cfg);
        Schema valueSchema = SchemaFactory.get().schemaHistoryConnectorValueSchema(adj, cfg, ser);
        JsonConverter keys = new JsonConverter();
        keys.configure(Map.of("schemas.enable", "true"), true);
        JsonConverter values = new JsonConverter();
        values.configure(Map.of("schemas.enable", "true"), false);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        int n = 0;
        for (String line; (line = in.readLine()) != null; n++) {
            String[] kv = line.split("\t", 2);
            SchemaAndValue k = keys.toConnectData(topic, kv[0].getBytes(StandardCharsets.UTF_8));
            SchemaAndValue v = values.toConnectData(topic, kv[1].getBytes(StandardCharsets.UTF_8));
            check(n, "key schema", keySchema.equals(k.schema()));
            check(n, "value schema", valueSchema.equals(v.schema()));
            check(n, "key bytes", kv[0].equals(new String(keys.fromConnectData(topic, k.schema(), k.value()), StandardCharsets.UTF_8)));
            check(n, "value bytes", kv[1].equals(new String(values.fromConnectData(topic, v.schema(), v.value()), StandardCharsets.UTF_8)));
            Struct s = (Struct) v.value();
            @SuppressWarnings("unchecked")
            List<Struct> changes = (List<Struct>) (List<?>) s.getArray("tableChanges");
            // The same change as Debezium's own Table, Column and serializer write it.
            Struct c = changes.get(0);
            TableId id = new TableId(s.getString("databaseName"), s.getString("schemaName"),
                    s.getStruct("source").getString("table"));
            check(n, "table id", ("\"" + id.catalog() + "\".\"" + id.schema() + "\".\"" + id.table() + "\"").equals(c.getString("id")));
            Struct t = c.getStruct("table");
            TableChanges tc = new TableChanges();
            if (t == null) {
                tc.drop(id);
            } else {
                TableEditor te = Table.editor().tableId(id);
                for (Object o : t.getArray("columns")) {
                    Struct col = (Struct) o;
                    ColumnEditor ce = Column.editor().name(col.getString("name"))
                            .jdbcType(col.getInt32("jdbcType")).nativeType(col.getInt32("nativeType"))
                            .type(col.getString("typeName"), col.getString("typeExpression"))
                            .length(col.getInt32("length")).scale(col.getInt32("scale"))
                            .position(col.getInt32("position")).optional(col.getBoolean("optional"))
                            .autoIncremented(col.getBoolean("autoIncremented")).generated(col.getBoolean("generated"));
                    if (col.getString("defaultValueExpression") != null) {
                        ce.defaultValueExpression(col.getString("defaultValueExpression"));
                    }
                    if (col.getArray("enumValues") != null) {
                        @SuppressWarnings("unchecked")
                        List<String> ev = (List<String>) (List<?>) col.getArray("enumValues");
                        ce.enumValues(ev);
                    }
                    te.addColumn(ce.create());
                }
                @SuppressWarnings("unchecked")
                List<String> pk = (List<String>) (List<?>) t.getArray("primaryKeyColumnNames");
                te.setPrimaryKeyNames(pk);
                Table table = te.create();
                if (c.getString("type").equals("CREATE")) {
                    tc.create(table);
                } else {
                    tc.alter(table);
                }
            }
            check(n, "tableChanges (as ConnectTableChangeSerializer writes the same Table)", ser.serialize(tc).equals(changes));
            System.out.println("record " + n + ": " + c.getString("type") + " " + c.getString("id")
                    + (t == null ? "" : " columns " + t.getArray("columns").size() + " key " + t.getArray("primaryKeyColumnNames")));
        }
        System.out.println(n + " schema-change records read and written back by JsonConverter");
    }

    /**
     * Reads "name oid typmod jdbcType length scale" lines (a column of a record and its catalog
     * type) and compares them with pgjdbc's TypeInfo, which Debezium's PostgreSQL connector reads
     * them from (TypeRegistry, pgoutput ColumnMetaData).
     */
    private static void types(String url) throws Exception {
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", "postgres");
        try (java.sql.Connection conn = java.sql.DriverManager.getConnection(url, props)) {
            org.postgresql.core.TypeInfo ti = conn.unwrap(org.postgresql.jdbc.PgConnection.class).getTypeInfo();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            int bad = 0;
            int n = 0;
            for (String line; (line = in.readLine()) != null; n++) {
                String[] f = line.split(" ");
                int oid = Integer.parseInt(f[1]);
                int typmod = Integer.parseInt(f[2]);
                String want = ti.getSQLType(oid) + " " + ti.getPrecision(oid, typmod) + " " + ti.getScale(oid, typmod);
                String got = f[3] + " " + f[4] + " " + f[5];
                if (!want.equals(got)) {
                    System.out.println("column " + f[0] + " (oid " + oid + ", typmod " + typmod + "): jdbcType length scale "
                            + got + ", pgjdbc says " + want);
                    bad++;
                }
            }
            System.out.println(n + " columns' jdbcType, length and scale compared with pgjdbc's TypeInfo");
            if (bad > 0) {
                System.exit(1);
            }
        }
    }

    private static void check(int n, String what, boolean ok) {
        if (!ok) {
            System.out.println("record " + n + ": " + what + " differs from Debezium's");
            System.exit(1);
        }
    }
}
