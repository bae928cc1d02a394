package io.tributary.cli;

import io.tributary.protocol.config.Settings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Refuses {@code TRIBUTARY_*} environment variables a server command would not read: a misspelt override
 * ({@code TRIBUTARY_BROKER_MAX_MESAGE_SIZE}) would otherwise be ignored without a word, and the process would
 * run with the default. The keys a role reads are the keys of its {@code conf/<role>.properties} (shipped in
 * the jar under {@code conf/}, commented-out keys included): one list, which {@code EnvironmentCheckTest}
 * holds to what the configuration code actually reads. Variables the launchers themselves use
 * ({@code bin/tributary}, {@code docker/entrypoint.sh}) are allowed for every role.
 */
final class EnvironmentCheck {
    private EnvironmentCheck() {}

    /** Variables of the launchers and of the command itself, not configuration keys. */
    static final Set<String> LAUNCHER_VARIABLES = Set.of(
            "TRIBUTARY_HOME", // bin/tributary, docker/entrypoint.sh: where the jars are
            "TRIBUTARY_MEM", // JVM memory flags
            "TRIBUTARY_SKIP_BUILD", // bin/tributary: do not rebuild
            "TRIBUTARY_LOG_LEVEL", // log level of client commands
            "TRIBUTARY_DEBUG"); // stack traces of errors

    /** A role's name on the command line and the configuration file whose keys it reads (null: none). */
    enum Role {
        STANDALONE("standalone", null),
        ZOOKEEPER("zookeeper", "zookeeper"),
        BOOKIE("bookie", "bookie"),
        BROKER("broker", "broker"),
        PROXY("proxy", "proxy"),
        /** Reads the brokers' configuration: where ZooKeeper is, the roots, TLS to ZooKeeper. */
        INIT_CLUSTER("init-cluster", "broker");

        final String command;
        final String confFile;

        Role(String command, String confFile) {
            this.command = command;
            this.confFile = confFile;
        }

        static Role of(String command) {
            for (Role r : values()) {
                if (r.command.equals(command)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("no such role: " + command + " (one of " + names() + ")");
        }

        static String names() {
            List<String> names = new ArrayList<>();
            for (Role r : values()) {
                names.add(r.command);
            }
            return String.join(", ", names);
        }

        /** The keys this role reads from its file and environment, in file order. */
        List<String> keys() {
            return confFile == null ? List.of() : keysOf(confFile);
        }
    }

    /** {@code broker.port=} or {@code #broker.port=}: a key line; prose comments have a space after the '#'. */
    private static final Pattern KEY_LINE = Pattern.compile("^#?([a-z][A-Za-z0-9]*(?:\\.[A-Za-z0-9]+)+)=");

    /** The keys of {@code conf/<name>.properties} in the jar, set or commented out. */
    static List<String> keysOf(String name) {
        String resource = "/conf/" + name + ".properties";
        List<String> keys = new ArrayList<>();
        try (InputStream in = EnvironmentCheck.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the jar");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                Matcher m = KEY_LINE.matcher(line.strip());
                if (m.find() && m.group(1).startsWith(name + ".") && !keys.contains(m.group(1))) {
                    keys.add(m.group(1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }

    /**
     * Throws, naming every offending variable, when {@code env} holds a {@code TRIBUTARY_*} variable that
     * {@code role} does not read.
     */
    static void require(Role role, Map<String, String> env) {
        String problem = problems(role, env);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Null when every {@code TRIBUTARY_*} variable of {@code env} is one {@code role} reads, else the message. */
    static String problems(Role role, Map<String, String> env) {
        Map<String, String> known = new LinkedHashMap<>();
        for (String key : role.keys()) {
            known.put(Settings.envName(key), key);
        }
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("TRIBUTARY_") || LAUNCHER_VARIABLES.contains(name)) {
                continue;
            }
            if (known.containsKey(name)) {
                // a Service named <release>-broker makes Kubernetes set TRIBUTARY_BROKER_PORT=tcp://10.0.0.7:6651
                if (e.getValue() != null && SERVICE_LINK_VALUE.matcher(e.getValue()).matches()) {
                    lines.add("  " + name + "=" + e.getValue() + ": " + SERVICE_LINK_HINT);
                }
                continue;
            }
            lines.add("  " + name + ": " + explain(role, name, e.getValue(), known));
        }
        if (lines.isEmpty()) {
            return null;
        }
        String keys = role.confFile == null ? "it reads no TRIBUTARY_* configuration variables"
                : "its variables are those of the keys in conf/" + role.confFile + ".properties (docs/configuration.md)";
        return "unknown environment variable" + (lines.size() > 1 ? "s" : "") + " for `tributary " + role.command + "` ("
                + keys + "; launcher variables: " + String.join(", ", new TreeSet<>(LAUNCHER_VARIABLES)) + "):\n"
                + String.join("\n", lines);
    }

    private static String explain(Role role, String name, String value, Map<String, String> known) {
        if (looksLikeServiceLink(name, value)) {
            return SERVICE_LINK_HINT;
        }
        for (Role other : Role.values()) {
            if (other.confFile == null || other.confFile.equals(role.confFile)) {
                continue;
            }
            for (String key : other.keys()) {
                if (Settings.envName(key).equals(name)) {
                    return "this is " + key + ", a key of `tributary " + other.command + "`, which `tributary " + role.command
                            + "` does not read";
                }
            }
        }
        String nearest = nearest(name, known.keySet());
        return nearest == null ? "no such key" : "no such key; did you mean " + nearest + " (" + known.get(nearest) + ")?";
    }

    private static final Pattern SERVICE_LINK_VALUE = Pattern.compile("(tcp|udp|sctp)://[^/]*:[0-9]+");
    private static final String SERVICE_LINK_HINT = "looks like a Kubernetes service link (Kubernetes sets <SERVICE>_PORT, "
            + "<SERVICE>_SERVICE_HOST, ... for every Service of the namespace, and a Service named tributary-broker gives "
            + "TRIBUTARY_BROKER_*); set enableServiceLinks: false in the pod spec";

    /** What Kubernetes puts in every container for each Service of its namespace when service links are on. */
    private static boolean looksLikeServiceLink(String name, String value) {
        return name.endsWith("_SERVICE_HOST") || name.matches(".*_SERVICE_PORT(_[A-Z0-9_]+)?")
                || name.matches(".*_PORT_[0-9]+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?")
                || value != null && SERVICE_LINK_VALUE.matcher(value).matches();
    }

    /** The known name closest to {@code name}, if close enough to be a likely misspelling. */
    static String nearest(String name, Iterable<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(name, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        // past a third of the name it is another word, not a slip
        return best != null && bestDistance <= Math.max(2, name.length() / 3) ? best : null;
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        a = a.toUpperCase(Locale.ROOT);
        b = b.toUpperCase(Locale.ROOT);
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
