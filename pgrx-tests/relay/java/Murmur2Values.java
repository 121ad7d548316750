import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.kafka.common.utils.Utils;

/** Prints kafka-clients' Utils.murmur2 of each argument (base64 of the key bytes): one line per
 *  key, "k:base64 murmur2 partition-of-3 partition-of-7", for test_kafka_partition.py. */
public final class Murmur2Values {
    public static void main(String[] args) {
        for (String b64 : args) {
            byte[] key = Base64.getDecoder().decode(b64);
            int h = Utils.murmur2(key);
            System.out.println("k:" + b64 + " " + h + " " + (Utils.toPositive(h) % 3) + " " + (Utils.toPositive(h) % 7));
        }
    }
}
