package io.tributary.storage.metrics;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import org.apache.bookkeeper.stats.StatsLogger;
import org.apache.bookkeeper.stats.StatsProvider;
import org.apache.bookkeeper.stats.prometheus.PrometheusMetricsProvider;
import org.apache.commons.configuration2.BaseConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BookKeeper's own statistics (a bookie's add and read latency, journal, ledger storage, state; a client's
 * add latency) in a registry of ours. BookKeeper's Prometheus provider keeps its counters, gauges and latency
 * sketches in maps of its own, not as collectors of its registry, and only writes them as text: this collector
 * reads that text at each scrape and hands the families to our registry, under BookKeeper's own names
 * ({@code bookie_*}, {@code bookkeeper_server_*}, {@code bookkeeper_client_*}...), latencies in milliseconds as
 * BookKeeper measures them. The provider's HTTP server is never started; the JVM metrics it would add are left
 * out (the registry has its own).
 */
public final class BookKeeperStats extends Collector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BookKeeperStats.class);

    private final PrometheusMetricsProvider provider;
    /** The names in the provider's own registry (its JVM collectors), left out of what this collector gives. */
    private final Set<String> providerOwn;

    private BookKeeperStats(PrometheusMetricsProvider provider, Set<String> providerOwn) {
        this.provider = provider;
        this.providerOwn = providerOwn;
    }

    /**
     * A started provider whose statistics {@code registry} serves from now on.
     *
     * @param latencyWindowSeconds how often latency quantiles are recomputed (BookKeeper's default is 60)
     */
    public static BookKeeperStats registerInto(CollectorRegistry registry, int latencyWindowSeconds) {
        // its registry only ever holds the JVM collectors the provider adds as it starts: not ours
        CollectorRegistry own = new CollectorRegistry(true);
        PrometheusMetricsProvider provider = new PrometheusMetricsProvider(own);
        BaseConfiguration conf = new BaseConfiguration();
        conf.setProperty(PrometheusMetricsProvider.PROMETHEUS_STATS_HTTP_ENABLE, false);
        conf.setProperty(PrometheusMetricsProvider.PROMETHEUS_STATS_LATENCY_ROLLOVER_SECONDS, latencyWindowSeconds);
        provider.start(conf);
        Set<String> ownNames = new HashSet<>();
        for (MetricFamilySamples f : Collections.list(own.metricFamilySamples())) {
            ownNames.add(f.name);
            ownNames.add(f.name + "_total");
            f.samples.forEach(sample -> ownNames.add(sample.name));
        }
        BookKeeperStats stats = new BookKeeperStats(provider, Set.copyOf(ownNames));
        stats.register(registry);
        return stats;
    }

    /** What a bookie server or a BookKeeper client is given to report to. */
    public StatsProvider provider() {
        return provider;
    }

    /** A logger under {@code scope} (e.g. {@code ""} for a bookie, as BookKeeper's server does). */
    public StatsLogger statsLogger(String scope) {
        return provider.getStatsLogger(scope);
    }

    @Override
    public List<MetricFamilySamples> collect() {
        StringWriter text = new StringWriter();
        try {
            provider.writeAllMetrics(text);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read BookKeeper's statistics: {}", e.toString());
            return List.of();
        }
        return parse(text.toString(), providerOwn);
    }

    /**
     * The families declared with a {@code # TYPE} line in BookKeeper's text, with their samples wherever they
     * stand; samples of undeclared families (the provider's own JVM collectors) are dropped.
     */
    static List<MetricFamilySamples> parse(String text, Set<String> skipped) {
        Map<String, Type> types = new LinkedHashMap<>();
        Map<String, List<MetricFamilySamples.Sample>> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String declared = line.substring(7).trim();
                int space = declared.indexOf(' ');
                if (space > 0) {
                    String family = declared.substring(0, space);
                    String type = declared.substring(space + 1).trim();
                    if (!type.isEmpty() && type.indexOf(' ') < 0 && !skipped.contains(family)) {
                        types.putIfAbsent(family, type(family, type));
                    }
                }
            }
        }
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            MetricFamilySamples.Sample sample = sample(line);
            if (sample == null || skipped.contains(sample.name)) {
                continue;
            }
            String family = familyOf(sample.name, types);
            if (family != null) {
                samples.computeIfAbsent(family, f -> new ArrayList<>()).add(sample);
            }
        }
        List<MetricFamilySamples> families = new ArrayList<>();
        for (Map.Entry<String, Type> e : types.entrySet()) {
            List<MetricFamilySamples.Sample> list = samples.get(e.getKey());
            if (list == null) {
                continue;
            }
            String name = e.getKey();
            if (e.getValue() == Type.COUNTER) {
                name = name.substring(0, name.length() - "_total".length());
            }
            families.add(new MetricFamilySamples(name, e.getValue(), "BookKeeper statistic " + e.getKey()
                    + (e.getValue() == Type.SUMMARY ? " (milliseconds where a latency)" : ""), list));
        }
        return families;
    }

    /**
     * BookKeeper's counters are named without {@code _total}: Prometheus' client writes a counter family with that
     * suffix, so those keep their name as untyped families; the rest keep their type.
     */
    private static Type type(String name, String type) {
        return switch (type) {
            case "counter" -> name.endsWith("_total") ? Type.COUNTER : Type.UNKNOWN;
            case "gauge" -> Type.GAUGE;
            case "summary" -> Type.SUMMARY;
            default -> Type.UNKNOWN;
        };
    }

    private static String familyOf(String sampleName, Map<String, Type> types) {
        if (types.containsKey(sampleName)) {
            return sampleName;
        }
        for (String suffix : new String[] {"_count", "_sum"}) {
            if (sampleName.endsWith(suffix)) {
                String base = sampleName.substring(0, sampleName.length() - suffix.length());
                if (types.get(base) == Type.SUMMARY) {
                    return base;
                }
            }
        }
        return null;
    }

    /**
     * One sample line, {@code name{label="value",...} value [timestamp]}, or null if it is not one. Parsed by hand:
     * this runs for every line of BookKeeper's text at every scrape, and regular expressions made it the
     * scrape's largest cost.
     */
    static MetricFamilySamples.Sample sample(String line) {
        int brace = line.indexOf('{');
        int firstSpace = line.indexOf(' ');
        int end;
        String name;
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        if (brace >= 0 && (firstSpace < 0 || brace < firstSpace)) {
            name = line.substring(0, brace);
            int close = line.lastIndexOf('}');
            if (close < brace || !labels(line, brace + 1, close, names, values)) {
                return null;
            }
            end = close + 1;
        } else {
            if (firstSpace < 0) {
                return null;
            }
            name = line.substring(0, firstSpace);
            end = firstSpace;
        }
        int from = end;
        while (from < line.length() && Character.isWhitespace(line.charAt(from))) {
            from++;
        }
        int to = from;
        while (to < line.length() && !Character.isWhitespace(line.charAt(to))) {
            to++;
        }
        String value = line.substring(from, to);
        double v;
        try {
            v = switch (value) {
                case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                default -> Double.parseDouble(value);
            };
        } catch (NumberFormatException e) {
            return null;
        }
        return new MetricFamilySamples.Sample(name, names, values, v);
    }

    /** The labels between {@code from} and {@code to} ({@code a="x",b="y"}, escapes \\ \" \n); false if malformed. */
    private static boolean labels(String line, int from, int to, List<String> names, List<String> values) {
        int i = from;
        while (true) {
            while (i < to && (line.charAt(i) == ',' || Character.isWhitespace(line.charAt(i)))) {
                i++;
            }
            if (i >= to) {
                return true;
            }
            int eq = line.indexOf('=', i);
            if (eq < 0 || eq + 1 >= to || line.charAt(eq + 1) != '"') {
                return false;
            }
            StringBuilder value = new StringBuilder();
            int j = eq + 2;
            for (; j < to; j++) {
                char c = line.charAt(j);
                if (c == '"') {
                    break;
                }
                if (c == '\\' && j + 1 < to) {
                    char escaped = line.charAt(++j);
                    value.append(escaped == 'n' ? '\n' : escaped);
                } else {
                    value.append(c);
                }
            }
            if (j >= to) {
                return false;
            }
            names.add(line.substring(i, eq).trim());
            values.add(value.toString());
            i = j + 1;
        }
    }

    /** Stops the provider and its latency thread (BookKeeper's stop leaves that thread running). */
    @Override
    public void close() {
        provider.stop();
        try {
            Field f = PrometheusMetricsProvider.class.getDeclaredField("executor");
            f.setAccessible(true);
            Object executor = f.get(provider);
            if (executor instanceof ExecutorService e) {
                e.shutdownNow();
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("cannot stop BookKeeper's statistics thread: {}", e.toString());
        }
    }
}
