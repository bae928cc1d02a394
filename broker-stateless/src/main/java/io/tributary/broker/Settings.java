package io.tributary.broker;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Typed lookups in a properties file with environment overrides: the key {@code broker.port} is
 * overridden by {@code TRIBUTARY_BROKER_PORT}. Durations take ISO-8601 ({@code PT15S}) or a
 * number with a unit ({@code 15s}, {@code 200ms}, {@code 4h}). A bad value names its key.
 */
public final class Settings {
    private final Properties props;
    private final Map<String, String> env;

    public Settings(Properties props, Map<String, String> env) {
        this.props = props;
        this.env = env;
    }

    public static String envName(String key) {
        return "TRIBUTARY_" + key.replace('.', '_').replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    public String get(String key, String def) {
        String v = env.get(envName(key));
        if (v == null) {
            v = props.getProperty(key);
        }
        return v == null || v.isBlank() ? def : v.trim();
    }

    public int getInt(String key, int def) {
        String v = get(key, null);
        try {
            return v == null ? def : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not a whole number: '" + v + "'");
        }
    }

    public long getLong(String key, long def) {
        String v = get(key, null);
        try {
            return v == null ? def : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not a whole number: '" + v + "'");
        }
    }

    public double getDouble(String key, double def) {
        String v = get(key, null);
        try {
            return v == null ? def : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not a number: '" + v + "'");
        }
    }

    public boolean getBoolean(String key, boolean def) {
        String v = get(key, null);
        if (v == null) {
            return def;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException(key + ": expected true or false, was '" + v + "'");
    }

    public Duration getDuration(String key, Duration def) {
        String v = get(key, null);
        return v == null ? def : parseDuration(key, v);
    }

    public static Duration parseDuration(String key, String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("p")) {
                return Duration.parse(v.trim().toUpperCase(Locale.ROOT));
            }
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1));
            switch (s.charAt(s.length() - 1)) {
                case 's': return Duration.ofSeconds(n);
                case 'm': return Duration.ofMinutes(n);
                case 'h': return Duration.ofHours(n);
                case 'd': return Duration.ofDays(n);
                default: break;
            }
        } catch (RuntimeException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException(key + ": not a duration: '" + v + "' (use e.g. 200ms, 15s, 4h or PT15S)");
    }
}
