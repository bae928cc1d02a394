package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.cli.EnvironmentCheck.Role;
import io.tributary.protocol.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Unknown TRIBUTARY_* variables are refused by name, with the nearest key; and the list of keys a role reads
 * (its conf/*.properties) is the list its configuration code reads.
 */
class EnvironmentCheckTest {

    @Test
    void aMisspeltVariableIsRefusedNamingItAndTheNearestKey() {
        Map<String, String> env = Map.of("TRIBUTARY_BROKER_MAX_MESAGE_SIZE", "1000", "PATH", "/bin");
        assertThatThrownBy(() -> EnvironmentCheck.require(Role.BROKER, env))
                .hasMessageContaining("TRIBUTARY_BROKER_MAX_MESAGE_SIZE")
                .hasMessageContaining("did you mean TRIBUTARY_BROKER_MAX_MESSAGE_SIZE (broker.maxMessageSize)?")
                .hasMessageContaining("`tributary broker`")
                .hasMessageContaining("conf/broker.properties");
    }

    @Test
    void everyUnknownVariableIsNamedAndAVariableFarFromEveryKeyGetsNoGuess() {
        Map<String, String> env = Map.of("TRIBUTARY_FOO_BAR", "1", "TRIBUTARY_PROXY_LOOKUP_CACHE_TT", "1s");
        String message = EnvironmentCheck.problems(Role.PROXY, env);
        assertThat(message).contains("unknown environment variables")
                .contains("TRIBUTARY_FOO_BAR: no such key\n")
                .contains("TRIBUTARY_PROXY_LOOKUP_CACHE_TT: no such key; did you mean TRIBUTARY_PROXY_LOOKUP_CACHE_TTL");
    }

    @Test
    void anotherRolesKeyIsNamedAsSuch() {
        assertThat(EnvironmentCheck.problems(Role.BROKER, Map.of("TRIBUTARY_PROXY_PORT", "6650")))
                .contains("TRIBUTARY_PROXY_PORT: this is proxy.port, a key of `tributary proxy`, which `tributary broker` does not read");
        // standalone takes its settings from its options only
        assertThat(EnvironmentCheck.problems(Role.STANDALONE, Map.of("TRIBUTARY_BROKER_PORT", "6651")))
                .contains("it reads no TRIBUTARY_* configuration variables")
                .contains("this is broker.port, a key of `tributary broker`");
    }

    @Test
    void knownKeysLauncherVariablesAndOtherVariablesPass() {
        Map<String, String> env = Map.of("TRIBUTARY_BROKER_PORT", "6651", "TRIBUTARY_BROKER_ZOOKEEPER_SERVERS", "zk:2181",
                "TRIBUTARY_MEM", "-Xmx1g", "TRIBUTARY_HOME", "/opt/tributary", "TRIBUTARY_SKIP_BUILD", "1",
                "TRIBUTARY_LOG_LEVEL", "INFO", "TRIBUTARY_DEBUG", "1", "HOSTNAME", "broker-0", "JAVA_OPTS", "-Dx=y");
        assertThat(EnvironmentCheck.problems(Role.BROKER, env)).isNull();
        assertThat(EnvironmentCheck.problems(Role.INIT_CLUSTER, env)).isNull();
        assertThat(EnvironmentCheck.problems(Role.ZOOKEEPER, Map.of("TRIBUTARY_ZOOKEEPER_TLS_PORT", "2281"))).isNull();
        assertThat(EnvironmentCheck.problems(Role.BOOKIE, Map.of("TRIBUTARY_BOOKIE_METRICS_PORT", "8000"))).isNull();
    }

    @Test
    void kubernetesServiceLinksAreRecognisedEvenUnderAKnownName() {
        // a Service named tributary-broker in the pod's namespace, with service links on
        Map<String, String> env = Map.of("TRIBUTARY_BROKER_PORT", "tcp://10.96.0.7:6651",
                "TRIBUTARY_BROKER_SERVICE_HOST", "10.96.0.7", "TRIBUTARY_BROKER_PORT_6651_TCP_ADDR", "10.96.0.7");
        String message = EnvironmentCheck.problems(Role.BROKER, env);
        assertThat(message).contains("TRIBUTARY_BROKER_PORT=tcp://10.96.0.7:6651: looks like a Kubernetes service link")
                .contains("TRIBUTARY_BROKER_SERVICE_HOST: looks like a Kubernetes service link")
                .contains("TRIBUTARY_BROKER_PORT_6651_TCP_ADDR: looks like a Kubernetes service link")
                .contains("enableServiceLinks: false");
    }

    @Test
    void theKeysOfEachFileAreItsSetAndCommentedKeysOnly() {
        List<String> broker = EnvironmentCheck.keysOf("broker");
        assertThat(broker).contains("broker.port", "broker.maxMessageSize", "broker.drainOnShutdown", "broker.tls.certFile")
                .allMatch(k -> k.startsWith("broker."));
        assertThat(EnvironmentCheck.keysOf("proxy")).contains("proxy.brokerServiceUrl", "proxy.lookupCacheTtl");
        assertThat(EnvironmentCheck.keysOf("zookeeper")).contains("zookeeper.tls.port", "zookeeper.metricsPort");
        assertThat(EnvironmentCheck.keysOf("bookie")).contains("bookie.tls.enabled", "bookie.metricsPort");
    }

    @Test
    void aRoleNotKnownIsRefusedListingTheRoles() {
        assertThatThrownBy(() -> Role.of("brokr")).hasMessageContaining("no such role: brokr")
                .hasMessageContaining("standalone, zookeeper, bookie, broker, proxy, init-cluster");
    }

    /**
     * The single source of truth holds: every key the role's configuration code reads is in its conf file, and
     * every key of the file is read. The code is run with an environment that records what it is asked for,
     * first with nothing set, then with each {@code *.enabled} flag it asked for turned on (and every file it
     * asked for given), so that keys read only when a feature is on are seen too.
     */
    @ParameterizedTest
    @EnumSource(value = Role.class, names = {"ZOOKEEPER", "BOOKIE", "BROKER", "PROXY"})
    void theConfFileListsExactlyTheKeysTheRoleReads(Role role) throws IOException {
        Properties required = new Properties();
        try (InputStream in = EnvironmentCheck.class.getResourceAsStream("/conf/" + role.confFile + ".properties")) {
            required.load(in); // the keys a file sets (not commented out) are the required ones
        }
        Set<String> asked = new TreeSet<>();
        readAll(role, required, Map.of(), asked);
        Set<String> flags = new LinkedHashSet<>();
        for (boolean more = true; more; ) {
            more = false;
            for (String name : Set.copyOf(asked)) {
                if (name.endsWith("_ENABLED") && flags.add(name)) {
                    // again while it asks for more: a file given may lead to the keys read after it
                    for (int before = -1; asked.size() > before; ) {
                        before = asked.size();
                        Map<String, String> env = new HashMap<>();
                        env.put(name, "true");
                        for (String other : Set.copyOf(asked)) {
                            if (other.endsWith("_FILE")) {
                                env.put(other, "/etc/tributary/" + other.toLowerCase() + ".pem");
                            }
                        }
                        readAll(role, required, env, asked);
                    }
                    more = true;
                }
            }
        }
        Set<String> listed = new TreeSet<>();
        for (String key : role.keys()) {
            listed.add(Settings.envName(key));
        }
        assertThat(flags).as("the exploration turned features on").isNotEmpty();
        assertThat(asked).as("variables " + role.command + " reads that conf/" + role.confFile + ".properties does not list")
                .isSubsetOf(listed);
        assertThat(listed).as("keys of conf/" + role.confFile + ".properties that " + role.command + " never reads")
                .isSubsetOf(asked);
    }

    /** Runs the role's configuration code on {@code values}, recording each variable it looks up. */
    private static void readAll(Role role, Properties props, Map<String, String> values, Set<String> asked) {
        Map<String, String> env = new AbstractMap<>() {
            @Override
            public String get(Object name) {
                asked.add((String) name);
                return values.get(name);
            }

            @Override
            public Set<Entry<String, String>> entrySet() {
                return values.entrySet();
            }
        };
        try {
            ConfigCommand.check(role, props, env);
        } catch (IllegalArgumentException e) {
            // a combination the code refuses (two key sources, say): what it read until then still counts
        }
    }
}
