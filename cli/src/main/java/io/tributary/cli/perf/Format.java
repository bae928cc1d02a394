package io.tributary.cli.perf;

import java.util.Locale;

/** Number formatting for the reports: always with a dot, whatever the locale. */
final class Format {
    private Format() {}

    /** Microseconds as milliseconds with two decimals. */
    static String ms(long micros) {
        return String.format(Locale.ROOT, "%.2f", micros / 1000.0);
    }

    /** Nanoseconds as milliseconds with one decimal. */
    static String nanosAsMs(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }

    static String f1(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String f2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String count(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    /** A rate or size for JSON: three decimals, NaN and infinities as 0. */
    static double round3(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return 0;
        }
        return Math.round(v * 1000.0) / 1000.0;
    }
}
