package io.tributary.protocol.config;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Typed lookups in a properties file with environment overrides, for every process's config record
 * (broker, proxy): the key {@code broker.port} is overridden by {@code TRIBUTARY_BROKER_PORT}; a
 * blank variable or property counts as unset. Durations take ISO-8601 ({@code PT15S}) or a number
 * with a unit ({@code 15s}, {@code 200ms}, {@code 4h}, {@code 1d}). A bad value names its key.
 */
public final class Settings {
    private final Properties props;
    private final Map<String, String> env;

    /** Lookups in {@code props} (may be null: no file) overridden by {@code env} (may be null: none). */
    public Settings(Properties props, Map<String, String> env) {
        this.props = props == null ? new Properties() : props;
        this.env = env == null ? Map.of() : env;
    }

    /** {@code proxy.lookupCacheTtl} becomes {@code TRIBUTARY_PROXY_LOOKUP_CACHE_TTL}. */
    public static String envName(String key) {
        return "TRIBUTARY_" + key.replace('.', '_').replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    /** The trimmed value of {@code key}, or {@code def} when neither the environment nor the file sets it. */
    public String get(String key, String def) {
        String v = env.get(envName(key));
        if (v == null || v.isBlank()) {
            v = props.getProperty(key);
        }
        return v == null || v.isBlank() ? def : v.trim();
    }

    public int getInt(String key, int def) {
        String v = get(key, null);
        try {
            return v == null ? def : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    public long getLong(String key, long def) {
        String v = get(key, null);
        try {
            return v == null ? def : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    public double getDouble(String key, double def) {
        String v = get(key, null);
        try {
            return v == null ? def : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
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
        throw new IllegalArgumentException(key + " must be true or false, got '" + v + "'");
    }

    /** A duration with a unit (a bare number is refused). */
    public Duration getDuration(String key, Duration def) {
        return getDuration(key, def, null);
    }

    /** A duration; a bare number is in {@code bareUnit} (null: a bare number is refused). */
    public Duration getDuration(String key, Duration def, ChronoUnit bareUnit) {
        String v = get(key, null);
        return v == null ? def : parseDuration(key, v, bareUnit);
    }

    /** Parses a duration with a unit; a bare number is refused. */
    public static Duration parseDuration(String key, String v) {
        return parseDuration(key, v, null);
    }

    /** Parses a duration; a bare number is in {@code bareUnit} (null: a bare number is refused). */
    public static Duration parseDuration(String key, String v, ChronoUnit bareUnit) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("p")) {
                return Duration.parse(v.trim().toUpperCase(Locale.ROOT));
            }
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
            }
            if (bareUnit != null && !s.isEmpty() && Character.isDigit(s.charAt(s.length() - 1))) {
                return Duration.of(Long.parseLong(s), bareUnit);
            }
            long n = Long.parseLong(s.substring(0, s.length() - 1).trim());
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
        throw new IllegalArgumentException(key + " must be a duration such as 200ms, 15s, 4h or PT15S, got '" + v + "'");
    }
}
