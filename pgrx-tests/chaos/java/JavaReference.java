// Prints Java's own answers for a seeded list of inputs, one line each, for the Rust test
// core/tests/java_reference.rs to compare cedar_cdc's encoders against byte for byte:
//
//   N <decimal> <scale> <unscaled> <scale2> <unscaled at scale2> <stripped scale> <stripped unscaled> <toPlainString> <doubleValue bits>
//       unscaled values are base64 of BigInteger.toByteArray() (what Kafka Connect's Decimal
//       writes); scale2 is a larger column scale (setScale without rounding); stripped is
//       Debezium's VariableScaleDecimal (stripTrailingZeros, then setScale(0) if negative)
//   D <double bits, hex> <Double.toString>
//   F <float bits, hex> <Float.toString>
//
// Usage: java JavaReference SEED COUNT  (COUNT random inputs of each kind, plus fixed edges)
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

public class JavaReference {
    static final StringBuilder out = new StringBuilder(1 << 20);

    static String b64(BigInteger v) {
        return Base64.getEncoder().encodeToString(v.toByteArray());
    }

    static String digits(Random r, int n) {
        StringBuilder s = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            s.append((char) ('0' + r.nextInt(10)));
        }
        return s.toString();
    }

    /** A plain decimal: sign, integer digits (maybe leading zeros), fraction (maybe trailing zeros). */
    static String decimal(Random r) {
        int kind = r.nextInt(10);
        int intLen = kind < 6 ? r.nextInt(20) : r.nextInt(kind == 9 ? 400 : 60);
        int fracLen = r.nextInt(4) == 0 ? 0 : r.nextInt(kind == 8 ? 300 : 20);
        String ip = intLen == 0 ? "0" : digits(r, intLen);
        String fp = digits(r, fracLen);
        if (r.nextInt(4) == 0 && fracLen > 0) {
            // Trailing zeros, which VariableScaleDecimal strips.
            fp = fp.substring(0, r.nextInt(fracLen + 1)) + "0".repeat(r.nextInt(6));
        }
        if (r.nextInt(5) == 0) {
            // Values near powers of two, where toByteArray gains or loses a byte.
            BigInteger p = BigInteger.ONE.shiftLeft(r.nextInt(200)).add(BigInteger.valueOf(r.nextInt(5) - 2));
            ip = p.abs().toString();
        }
        String s = fp.isEmpty() ? ip : ip + "." + fp;
        return r.nextBoolean() ? "-" + s : s;
    }

    static void decimalLine(Random r, String s) {
        BigDecimal b = new BigDecimal(s);
        int scale2 = b.scale() + r.nextInt(6);
        BigDecimal fixed = b.setScale(scale2);
        BigDecimal st = b.stripTrailingZeros();
        if (st.scale() < 0) {
            st = st.setScale(0);
        }
        out.append("N\t").append(s).append('\t').append(b.scale()).append('\t').append(b64(b.unscaledValue()))
            .append('\t').append(scale2).append('\t').append(b64(fixed.unscaledValue()))
            .append('\t').append(st.scale()).append('\t').append(b64(st.unscaledValue()))
            .append('\t').append(b.toPlainString())
            .append('\t').append(Long.toHexString(Double.doubleToRawLongBits(b.doubleValue()))).append('\n');
    }

    static void doubleLine(double d) {
        if (Double.isFinite(d)) {
            out.append("D\t").append(Long.toHexString(Double.doubleToRawLongBits(d))).append('\t')
                .append(Double.toString(d)).append('\n');
        }
    }

    static void floatLine(float f) {
        if (Float.isFinite(f)) {
            out.append("F\t").append(Integer.toHexString(Float.floatToRawIntBits(f))).append('\t')
                .append(Float.toString(f)).append('\n');
        }
    }

    public static void main(String[] args) {
        long seed = Long.parseLong(args[0]);
        int count = Integer.parseInt(args[1]);
        Random r = new Random(seed);

        List<String> edges = new ArrayList<>(List.of("0", "-0", "0.000", "-0.00", "1", "-1", "127", "128",
            "-128", "-129", "255", "256", "-256", "32767", "32768", "-32768", "-32769", "0.5", "-0.5",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
            "18446744073709551615", "18446744073709551616", "1234567.891", "99999999.99", "-0.000123",
            "10.1111", "2500", "1.10", "0.0001", "170141183460469231731687303715884105727",
            "170141183460469231731687303715884105728", "-170141183460469231731687303715884105728",
            "-170141183460469231731687303715884105729", "99999999999999999999999999999999999999",
            "0.00000000000000000000000000000000000001"));
        for (String s : edges) {
            decimalLine(r, s);
        }
        for (int i = 0; i < count; i++) {
            decimalLine(r, decimal(r));
        }

        double[] dEdges = {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE,
            1.0, 0.1, 0.001, 0.00099999, 1e-3, 1e7, 9999999.999, 1e23, 2e-3, 1e-7, 5e-324, 1.7976931348623157e308,
            123456.789, 0.30000000000000004, 4.35, 2.0E22, 1.0E22};
        for (double d : dEdges) {
            doubleLine(d);
        }
        for (int i = 0; i < count; i++) {
            switch (r.nextInt(4)) {
                case 0 -> doubleLine(Double.longBitsToDouble(r.nextLong()));
                // Short decimals, as stored values usually are.
                case 1 -> doubleLine(Double.parseDouble((r.nextBoolean() ? "-" : "") + digits(r, 1 + r.nextInt(8))
                    + "E" + (r.nextInt(80) - 40)));
                // Near the layout switches at 1e-3 and 1e7, and powers of ten.
                case 2 -> doubleLine(Math.pow(10, r.nextInt(40) - 20) * (1 + (r.nextInt(3) - 1) * Math.ulp(1.0) * r.nextInt(4)));
                default -> doubleLine(r.nextDouble() * Math.pow(10, r.nextInt(600) - 300));
            }
        }

        float[] fEdges = {0f, -0f, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, 1f, 0.1f, 3.3f, 1e10f,
            1.0e-5f, 0.5f, 1e7f, 1e-3f, 9999999f, 1.17549435E-38f};
        for (float f : fEdges) {
            floatLine(f);
        }
        for (int i = 0; i < count; i++) {
            switch (r.nextInt(3)) {
                case 0 -> floatLine(Float.intBitsToFloat(r.nextInt()));
                case 1 -> floatLine(Float.parseFloat((r.nextBoolean() ? "-" : "") + digits(r, 1 + r.nextInt(6))
                    + "E" + (r.nextInt(60) - 30)));
                default -> floatLine((float) (r.nextDouble() * Math.pow(10, r.nextInt(80) - 40)));
            }
        }
        System.out.print(out);
    }
}
