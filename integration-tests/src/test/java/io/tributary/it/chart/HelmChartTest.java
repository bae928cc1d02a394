package io.tributary.it.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.tributary.protocol.config.Settings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Helm chart {@code charts/tributary} rendered by the real Helm engine (helm-java runs Helm's own
 * Go code in-process) for its default values and each example under {@code examples/}: Helm's lint
 * passes, every object parses with Kubernetes' model without a field it does not know, and the
 * invariants of the design hold: brokers are a Deployment without storage, bookies a StatefulSet with
 * a journal and a ledger claim, every server container has probes on the health endpoints, resources
 * and a non-root security context, the dashboards and alert rules ship, and the schema and the
 * templates refuse wrong values with a message that names them.
 */
class HelmChartTest {
    private static final String FULLNAME = RenderedChart.RELEASE;
    private static final Map<String, RenderedChart> RENDERS = new LinkedHashMap<>();

    @TempDir
    Path dir;

    static Stream<String> valueSets() {
        return Stream.of("default", "minimal", "production", "tls-auth");
    }

    static Path example(String name) {
        return RenderedChart.chart().resolve("examples").resolve(name + ".yaml");
    }

    @BeforeAll
    static void renderEveryValueSet() throws Exception {
        // The init Job is a Helm hook by default, and helm-java's template gives the manifest without the
        // hooks (the helm command appends them itself): the value sets are rendered with the Job as an
        // ordinary one, the same template but for its name and hook annotations (theInitJobIsAHook...)
        Path plainJob = Files.createTempFile("tributary-init-job", ".yaml");
        plainJob.toFile().deleteOnExit();
        Files.writeString(plainJob, "initJob:\n  helmHook: false\n");
        valueSets().forEach(v -> RENDERS.put(v, v.equals("default") ? RenderedChart.render(plainJob)
                : RenderedChart.render(example(v), plainJob)));
    }

    @Test
    void everyExampleIsShipped() throws Exception {
        try (Stream<Path> files = Files.list(RenderedChart.chart().resolve("examples"))) {
            assertThat(files.map(f -> f.getFileName().toString().replace(".yaml", "")).sorted())
                    .as("every example is rendered by this test").containsExactly("minimal", "production", "tls-auth");
        }
    }

    @Test
    void helmLintPassesStrictly() {
        LintResult lint = new Helm(RenderedChart.chart()).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void everyComponentIsRendered(String values) {
        RenderedChart r = RENDERS.get(values);
        assertThat(r.find(StatefulSet.class, FULLNAME + "-zookeeper")).isPresent();
        assertThat(r.find(StatefulSet.class, FULLNAME + "-bookie")).isPresent();
        assertThat(r.find(Deployment.class, FULLNAME + "-broker")).isPresent();
        assertThat(r.find(Deployment.class, FULLNAME + "-proxy")).isPresent();
        assertThat(r.find(Service.class, FULLNAME + "-proxy")).isPresent();
        Job init = r.get(Job.class, FULLNAME + "-init-1");
        Container c = init.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getArgs().get(0)).isEqualTo("init-cluster");
        // it reads the brokers' settings, ZooKeeper's address included
        assertThat(r.containerEnvironment(c)).containsEntry("TRIBUTARY_BROKER_ZOOKEEPER_SERVERS",
                r.get(ConfigMap.class, FULLNAME + "-broker").getData().get("TRIBUTARY_BROKER_ZOOKEEPER_SERVERS"));
    }

    @Test
    void theNotesOfASecureInstallSayHowToConnectThroughThePortForward() {
        String notes = RenderedChart.notes(example("tls-auth"));
        // the proxy's certificate does not name localhost: the client expects its Service's name, trusting the CA
        assertThat(notes).contains("kubectl --namespace messaging get secret tributary-proxy-tls -o jsonpath='{.data.ca\\.crt}' "
                        + "| base64 -d > ca.crt")
                .contains("bin/tributary admin -u tls://localhost:6650 --tls-ca ca.crt --tls-server-name tributary-proxy.messaging.svc "
                        + "--auth-token-file admin.token brokers list");
        assertThat(RenderedChart.notes()).contains("bin/tributary admin -u localhost:6650 brokers list");
    }

    @Test
    void theInitJobIsAHelmHookByDefault() throws Exception {
        // a hook is not part of the release's manifest: Helm runs it after install and upgrade
        RenderedChart r = RenderedChart.render();
        assertThat(r.all(Job.class)).isEmpty();
        assertThat(RenderedChart.notes()).contains("the init Job " + FULLNAME + "-init sets the cluster up");
        String template = Files.readString(RenderedChart.chart().resolve("templates/init-job.yaml"));
        assertThat(template).contains("helm.sh/hook: post-install,post-upgrade");
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void brokersAreADeploymentThatStoresNothing(String values) {
        RenderedChart r = RENDERS.get(values);
        assertThat(r.all(StatefulSet.class)).noneMatch(s -> s.getMetadata().getName().contains("broker"));
        Deployment brokers = r.get(Deployment.class, FULLNAME + "-broker");
        List<Volume> volumes = brokers.getSpec().getTemplate().getSpec().getVolumes();
        // secrets (certificates, token keys, the broker's token) are the only volumes, and only with TLS or tokens
        assertThat(volumes).as("the brokers' volumes").allMatch(v -> v.getSecret() != null);
        if (!values.equals("tls-auth")) {
            assertThat(volumes).isEmpty();
        }
        // long enough to hand every bundle over: 4 x broker.bundleMoveTimeout (30 s), then closing topics (30 s)
        assertThat(brokers.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()).isGreaterThanOrEqualTo(150L);
        assertThat(brokers.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
        Container broker = brokers.getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, String> env = r.containerEnvironment(broker);
        assertThat(env).containsEntry("TRIBUTARY_BROKER_ADVERTISED_ADDRESS", RenderedChart.FIELD_REFS.get("status.podIP"));
        assertThat(env.get("TRIBUTARY_BROKER_ZOOKEEPER_SERVERS")).contains(FULLNAME + "-zookeeper-0.");
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void bookiesAreAStatefulSetWithAJournalAndALedgerVolume(String values) {
        RenderedChart r = RENDERS.get(values);
        StatefulSet bookies = r.get(StatefulSet.class, FULLNAME + "-bookie");
        Container bookie = bookies.getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, String> mounts = new TreeMap<>();
        bookie.getVolumeMounts().forEach(m -> mounts.put(m.getMountPath(), m.getName()));
        // the bookie keeps its journal in <data-dir>/journal and its ledgers in <data-dir>/ledgers
        assertThat(r.containerArgs(bookie)).containsSubsequence("--data-dir", "/data");
        assertThat(mounts).containsEntry("/data/journal", "journal").containsEntry("/data/ledgers", "ledgers");
        List<String> claims = bookies.getSpec().getVolumeClaimTemplates().stream().map(c -> c.getMetadata().getName()).toList();
        if (values.equals("minimal")) {
            assertThat(claims).isEmpty();
            assertThat(bookies.getSpec().getTemplate().getSpec().getVolumes())
                    .filteredOn(v -> List.of("journal", "ledgers").contains(v.getName())).allMatch(v -> v.getEmptyDir() != null).hasSize(2);
        } else {
            assertThat(claims).containsExactlyInAnyOrder("journal", "ledgers");
        }
        // the address is the identity: the pod's stable name under the headless Service
        Service headless = r.get(Service.class, FULLNAME + "-bookie");
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
        assertThat(bookies.getSpec().getServiceName()).isEqualTo(FULLNAME + "-bookie");
        assertThat(r.containerArgs(bookie)).containsSubsequence("--advertised-address",
                RenderedChart.FIELD_REFS.get("metadata.name") + "." + FULLNAME + "-bookie");
    }

    @Test
    void productionHasItsSizesPersistenceAndHardAntiAffinity() {
        RenderedChart r = RENDERS.get("production");
        assertThat(r.get(StatefulSet.class, FULLNAME + "-zookeeper").getSpec().getReplicas()).isEqualTo(3);
        assertThat(r.get(StatefulSet.class, FULLNAME + "-bookie").getSpec().getReplicas()).isEqualTo(4);
        assertThat(r.get(Deployment.class, FULLNAME + "-proxy").getSpec().getReplicas()).isEqualTo(2);
        HorizontalPodAutoscaler hpa = r.get(HorizontalPodAutoscaler.class, FULLNAME + "-broker");
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(3);
        assertThat(hpa.getSpec().getMetrics()).extracting(m -> m.getType()).containsExactly("Resource", "Pods");
        // the HPA owns the count
        assertThat(r.get(Deployment.class, FULLNAME + "-broker").getSpec().getReplicas()).isNull();
        for (PodTemplateSpec t : r.podTemplates().values()) {
            if (t.getMetadata().getLabels().get("app.kubernetes.io/component").equals("init")) {
                continue;
            }
            assertThat(t.getSpec().getAffinity().getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()).hasSize(1);
            assertThat(t.getSpec().getTopologySpreadConstraints()).hasSize(1);
        }
        assertThat(r.get(StatefulSet.class, FULLNAME + "-zookeeper").getSpec().getVolumeClaimTemplates())
                .extracting(c -> c.getSpec().getStorageClassName()).containsExactly("ssd");
        assertThat(r.all(PodDisruptionBudget.class)).hasSize(4);
        assertThat(r.get(Service.class, FULLNAME + "-proxy").getSpec().getType()).isEqualTo("LoadBalancer");
    }

    @Test
    void minimalRunsOneOfEachWithoutPersistence() {
        RenderedChart r = RENDERS.get("minimal");
        StatefulSet zk = r.get(StatefulSet.class, FULLNAME + "-zookeeper");
        assertThat(zk.getSpec().getReplicas()).isEqualTo(1);
        assertThat(zk.getSpec().getVolumeClaimTemplates()).isEmpty();
        // a single server, not an ensemble of one
        assertThat(zk.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).doesNotContain("--servers", "--myid");
        assertThat(r.get(StatefulSet.class, FULLNAME + "-bookie").getSpec().getReplicas()).isEqualTo(1);
        assertThat(r.get(Deployment.class, FULLNAME + "-broker").getSpec().getReplicas()).isEqualTo(1);
        assertThat(r.get(Deployment.class, FULLNAME + "-proxy").getSpec().getReplicas()).isEqualTo(1);
        assertThat(r.all(PersistentVolumeClaim.class)).isEmpty();
        assertThat(r.all(PodDisruptionBudget.class)).isEmpty();
    }

    @Test
    void anEnsembleMemberKnowsEveryMemberAndTakesItsIdFromItsOrdinal() {
        RenderedChart r = RENDERS.get("default");
        Container zk = r.get(StatefulSet.class, FULLNAME + "-zookeeper").getSpec().getTemplate().getSpec().getContainers().get(0);
        String h = FULLNAME + "-zookeeper-headless";
        assertThat(r.containerArgs(zk)).containsSubsequence("--servers",
                FULLNAME + "-zookeeper-0." + h + ":2888:3888," + FULLNAME + "-zookeeper-1." + h + ":2888:3888,"
                        + FULLNAME + "-zookeeper-2." + h + ":2888:3888", "--myid", "auto");
        assertThat(r.get(Service.class, h).getSpec().getPublishNotReadyAddresses()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("valueSets")
    void everyContainerHasProbesResourcesAndRunsAsNonRoot(String values) {
        RenderedChart r = RENDERS.get(values);
        String scheme = values.equals("tls-auth") ? "HTTPS" : "HTTP";
        for (Map.Entry<String, PodTemplateSpec> e : r.podTemplates().entrySet()) {
            PodSecurityContext pod = e.getValue().getSpec().getSecurityContext();
            assertThat(pod.getRunAsNonRoot()).as(e.getKey()).isTrue();
            assertThat(pod.getRunAsUser()).as(e.getKey()).isEqualTo(10000L);
            // Services would inject TRIBUTARY_BROKER_PORT and the like, which every role refuses
            assertThat(e.getValue().getSpec().getEnableServiceLinks()).as(e.getKey() + " service links").isFalse();
            List<Container> containers = new ArrayList<>(e.getValue().getSpec().getContainers());
            containers.addAll(e.getValue().getSpec().getInitContainers());
            for (Container c : containers) {
                String what = e.getKey() + " container " + c.getName();
                assertThat(c.getArgs()).as(what + " role").isNotEmpty();
                assertThat(RenderedChart.roles()).as(what + " role").contains(c.getArgs().get(0));
                SecurityContext sc = c.getSecurityContext();
                assertThat(sc.getRunAsNonRoot()).as(what).isTrue();
                assertThat(sc.getAllowPrivilegeEscalation()).as(what).isFalse();
                assertThat(sc.getCapabilities().getDrop()).as(what).contains("ALL");
                assertThat(c.getResources().getRequests()).as(what + " requests").containsKeys("cpu", "memory");
                assertThat(c.getResources().getLimits()).as(what + " limits").containsKey("memory");
                if (e.getKey().startsWith("Job ")) {
                    continue; // a run-to-completion Job serves no health endpoint
                }
                for (Probe p : List.of(c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe())) {
                    assertThat(p).as(what + " probes").isNotNull();
                    assertThat(p.getHttpGet().getPort().getStrVal()).as(what).isEqualTo("metrics");
                    assertThat(p.getHttpGet().getScheme()).as(what).isEqualTo(scheme);
                }
                assertThat(c.getReadinessProbe().getHttpGet().getPath()).as(what).isEqualTo("/health/ready");
                assertThat(c.getLivenessProbe().getHttpGet().getPath()).as(what).isEqualTo("/health/live");
                assertThat(c.getPorts()).as(what).anyMatch(p -> p.getName().equals("metrics"));
            }
        }
    }

    @Test
    void theProxyServiceExposesTheRestAdminPort() {
        RenderedChart r = RENDERS.get("default");
        assertThat(r.get(Service.class, FULLNAME + "-proxy").getSpec().getPorts())
                .anySatisfy(p -> assertThat(p.getName() + " " + p.getPort() + " " + p.getTargetPort().getStrVal()).isEqualTo("http 6680 http"));
        assertThat(r.get(Deployment.class, FULLNAME + "-proxy").getSpec().getTemplate().getSpec().getContainers().get(0).getPorts())
                .anySatisfy(p -> assertThat(p.getName() + " " + p.getContainerPort()).isEqualTo("http 6680"));
        assertThat(r.get(ConfigMap.class, FULLNAME + "-proxy").getData()).containsEntry(Settings.envName("proxy.httpPort"), "6680");
    }

    @Test
    void everyDashboardAndTheAlertRulesAreShipped() throws Exception {
        RenderedChart r = RENDERS.get("production");
        List<Path> boards;
        try (Stream<Path> files = Files.list(RenderedChart.chart().resolve("dashboards"))) {
            boards = files.filter(f -> f.toString().endsWith(".json")).sorted(Comparator.naturalOrder()).toList();
        }
        assertThat(boards).isNotEmpty();
        for (Path board : boards) {
            String name = board.getFileName().toString();
            ConfigMap cm = r.get(ConfigMap.class, FULLNAME + "-dashboard-" + name.replace(".json", ""));
            assertThat(cm.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
            assertThat(cm.getData().get("tributary-" + name)).as(name).isEqualTo(Files.readString(board).stripTrailing());
        }
        PrometheusRule rule = r.get(PrometheusRule.class, FULLNAME);
        Map<String, Object> shipped = RenderedChart.yamlMap(Files.readString(RenderedChart.chart().resolve("alerts/tributary.rules.yaml")));
        Map<String, Object> rendered = RenderedChart.yamlMap(RenderedChart.yamlText(rule.getSpec()));
        assertThat(rendered).as("the PrometheusRule's spec is alerts/tributary.rules.yaml").isEqualTo(shipped);
        // the dashboards and alerts select job="broker", "proxy", "bookie", "zookeeper"
        List<PodMonitor> monitors = r.all(PodMonitor.class);
        assertThat(monitors).extracting(m -> m.getSpec().getSelector().getMatchLabels().get("app.kubernetes.io/component"))
                .containsExactlyInAnyOrder("zookeeper", "bookie", "broker", "proxy");
        for (PodMonitor m : monitors) {
            assertThat(m.getSpec().getJobLabel()).isEqualTo("app.kubernetes.io/component");
            assertThat(m.getSpec().getPodMetricsEndpoints()).allSatisfy(ep -> {
                assertThat(ep.getPort()).isEqualTo("metrics");
                assertThat(ep.getHonorLabels()).isTrue();
            });
        }
    }

    @Test
    void tlsAndTokensReachEveryComponent() {
        RenderedChart r = RENDERS.get("tls-auth");
        assertThat(r.certificates).extracting(c -> c.spec().secretName())
                .containsExactlyInAnyOrder(FULLNAME + "-zookeeper-tls", FULLNAME + "-bookie-tls", FULLNAME + "-broker-tls",
                        FULLNAME + "-proxy-tls");
        assertThat(certificate(r, "bookie").spec().dnsNames()).contains("*." + FULLNAME + "-bookie");
        assertThat(certificate(r, "proxy").spec().dnsNames()).contains("tributary.example.com");
        assertThat(certificate(r, "zookeeper").spec().usages()).contains("server auth", "client auth");
        assertThat(certificate(r, "zookeeper").spec().privateKey().encoding()).isEqualTo("PKCS8");
        Map<String, String> broker = r.containerEnvironment(container(r, "Deployment", "broker"));
        assertThat(broker).containsEntry("TRIBUTARY_BROKER_TLS_ENABLED", "true")
                .containsEntry("TRIBUTARY_BROKER_INTERNAL_TLS_ENABLED", "true")
                .containsEntry("TRIBUTARY_BROKER_AUTHENTICATION_ENABLED", "true")
                .containsEntry("TRIBUTARY_BROKER_AUTHORIZATION_ENABLED", "true")
                .containsEntry("TRIBUTARY_BROKER_AUTHENTICATION_SECRET_KEY_FILE", "/etc/tributary/auth/secret.key")
                .containsEntry("TRIBUTARY_BROKER_INTERNAL_CLIENT_AUTH_TOKEN_FILE", "/etc/tributary/tokens/broker.token")
                .containsEntry("TRIBUTARY_BROKER_AUTHENTICATION_PROXY_ROLES", "proxy")
                .containsEntry("TRIBUTARY_BROKER_INTERNAL_ROLES", "broker");
        // brokers advertise pod IPs, which no Certificate names: every client of a broker expects the name the
        // broker Certificate holds instead (docs/kubernetes.md, "TLS and tokens")
        String brokerName = FULLNAME + "-broker." + RenderedChart.NAMESPACE + ".svc.cluster.local";
        assertThat(certificate(r, "broker").spec().dnsNames()).contains(brokerName);
        assertThat(broker).containsEntry("TRIBUTARY_BROKER_INTERNAL_CLIENT_TLS_SERVER_NAME", brokerName);
        assertThat(broker.get("TRIBUTARY_BROKER_ZOOKEEPER_SERVERS")).endsWith(":2281");
        Map<String, String> proxy = r.containerEnvironment(container(r, "Deployment", "proxy"));
        assertThat(proxy).containsEntry("TRIBUTARY_PROXY_TLS_ENABLED", "true")
                .containsEntry("TRIBUTARY_PROXY_AUTHENTICATION_ENABLED", "true")
                .containsEntry("TRIBUTARY_PROXY_BROKER_CLIENT_AUTH_TOKEN_FILE", "/etc/tributary/tokens/proxy.token")
                .containsEntry("TRIBUTARY_PROXY_BROKER_CLIENT_TLS_TRUST_CERTS_FILE", "/etc/tributary/tls/ca.crt")
                .containsEntry("TRIBUTARY_PROXY_BROKER_CLIENT_TLS_SERVER_NAME", brokerName);
        Map<String, String> zk = r.containerEnvironment(container(r, "StatefulSet", "zookeeper"));
        assertThat(zk).containsEntry("TRIBUTARY_ZOOKEEPER_TLS_ENABLED", "true")
                .containsEntry("TRIBUTARY_ZOOKEEPER_TLS_QUORUM", "true")
                .containsEntry("TRIBUTARY_ZOOKEEPER_TLS_PLAINTEXT_PORT_ENABLED", "false");
        Map<String, String> bookie = r.containerEnvironment(container(r, "StatefulSet", "bookie"));
        assertThat(bookie).containsEntry("TRIBUTARY_BOOKIE_TLS_ENABLED", "true")
                .containsEntry("TRIBUTARY_BOOKIE_ZOOKEEPER_TLS_TRUST_CERTS_FILE", "/etc/tributary/tls/ca.crt");
        // every server's metrics over HTTPS, which the PodMonitors scrape trusting the CA
        assertThat(r.all(PodMonitor.class)).allSatisfy(m -> assertThat(m.getSpec().getPodMetricsEndpoints().get(0).getScheme())
                .isEqualTo("https"));
    }

    @Test
    void secretsAreMadeFromValuesWhenGiven() throws Exception {
        Path values = dir.resolve("inline.yaml");
        Files.writeString(values, """
                tls:
                  enabled: true
                  ca: "CA PEM"
                  broker: {cert: "BROKER CERT", key: "BROKER KEY"}
                auth:
                  enabled: true
                  keys: {secretKey: "c2VjcmV0"}
                  tokens: {broker: "broker.jwt", proxy: "proxy.jwt"}
                """);
        RenderedChart r = RenderedChart.render(values);
        Secret tls = r.get(Secret.class, FULLNAME + "-broker-tls");
        assertThat(tls.getType()).isEqualTo("kubernetes.io/tls");
        assertThat(decoded(tls)).containsEntry("tls.crt", "BROKER CERT").containsEntry("tls.key", "BROKER KEY")
                .containsEntry("ca.crt", "CA PEM");
        assertThat(decoded(r.get(Secret.class, FULLNAME + "-auth-keys"))).containsEntry("secret.key", "c2VjcmV0");
        assertThat(decoded(r.get(Secret.class, FULLNAME + "-tokens"))).containsEntry("broker.token", "broker.jwt")
                .containsEntry("proxy.token", "proxy.jwt");
        // the proxy mounts its own token only
        assertThat(r.get(Deployment.class, FULLNAME + "-proxy").getSpec().getTemplate().getSpec().getVolumes())
                .filteredOn(v -> v.getName().equals("tokens")).singleElement()
                .satisfies(v -> assertThat(v.getSecret().getItems()).extracting(i -> i.getKey()).containsExactly("proxy.token"));
        // no cert-manager: no Certificate
        assertThat(r.certificates).isEmpty();
    }

    @Test
    void configurationKeysBecomeTheVariablesTheProcessesRead() throws Exception {
        Path values = dir.resolve("config.yaml");
        Files.writeString(values, """
                broker:
                  config:
                    broker.loadBalancerMinRate: 50
                    broker.maxMessageSize: 10485760
                    broker.zkSessionTimeout: 20s
                    broker.metrics.topicLevel: false
                proxy:
                  config:
                    proxy.lookupCacheTtl: 10s
                """);
        RenderedChart r = RenderedChart.render(values);
        Map<String, String> broker = r.get(ConfigMap.class, FULLNAME + "-broker").getData();
        assertThat(broker).containsEntry(Settings.envName("broker.loadBalancerMinRate"), "50")
                .containsEntry(Settings.envName("broker.maxMessageSize"), "10485760")
                .containsEntry(Settings.envName("broker.zkSessionTimeout"), "20s")
                .containsEntry(Settings.envName("broker.metrics.topicLevel"), "false");
        assertThat(r.get(ConfigMap.class, FULLNAME + "-proxy").getData()).containsEntry(Settings.envName("proxy.lookupCacheTtl"), "10s");
        // what the chart sets itself goes the same way
        assertThat(broker).containsKeys(Settings.envName("broker.zookeeperServers"), Settings.envName("broker.internal.port"),
                Settings.envName("broker.clusterName"), Settings.envName("broker.metricsPort"));
        // restartPodsOnConfigChange: the brokers roll, the others do not
        RenderedChart before = RENDERS.get("default");
        assertThat(checksum(r, "Deployment", "broker")).isNotEqualTo(checksum(before, "Deployment", "broker"));
        assertThat(checksum(r, "Deployment", "proxy")).isNotEqualTo(checksum(before, "Deployment", "proxy"));
        assertThat(checksum(r, "StatefulSet", "bookie")).isEqualTo(checksum(before, "StatefulSet", "bookie"));
        assertThat(checksum(r, "StatefulSet", "zookeeper")).isEqualTo(checksum(before, "StatefulSet", "zookeeper"));
    }

    @Test
    void theSchemaRefusesWrongValuesNamingThem() throws Exception {
        assertThatThrownBy(() -> renderWith("broker:\n  replicas: -1\n"))
                .hasMessageContaining("broker.replicas: Must be greater than or equal to 0");
        assertThatThrownBy(() -> renderWith("bookie:\n  persistence:\n    journal:\n      size: lots\n"))
                .hasMessageContaining("size");
        assertThatThrownBy(() -> renderWith("proxy:\n  service:\n    type: Ingress\n"))
                .hasMessageContaining("type");
        // a misspelt key is refused, not ignored
        assertThatThrownBy(() -> renderWith("broker:\n  replica: 5\n"))
                .hasMessageContaining("broker: Additional property replica is not allowed");
        assertThatThrownBy(() -> renderWith("broker:\n  config:\n    proxy.port: 7000\n"))
                .hasMessageContaining("broker.config: Property name of \"proxy.port\" does not match");
    }

    @Test
    void contradictoryValuesStopTheRenderWithAReason() throws Exception {
        assertThatThrownBy(() -> renderWith("bookie:\n  replicas: 2\n"))
                .hasMessageContaining("bookie.replicas=2 is below the brokers' ensemble size 3");
        assertThatThrownBy(() -> renderWith("zookeeper:\n  enabled: false\n"))
                .hasMessageContaining("zookeeper.external.servers");
        assertThatThrownBy(() -> renderWith("tls:\n  enabled: true\n  certManager:\n    enabled: true\n"))
                .hasMessageContaining("tls.certManager.issuerRef.name");
        assertThatThrownBy(() -> renderWith("auth:\n  enabled: true\n"))
                .hasMessageContaining("auth.keys.secretKey");
    }

    @Test
    void theOtherSwitchesRenderWhatTheySay() throws Exception {
        RenderedChart r = renderWith("""
                restartPodsOnConfigChange: false
                antiAffinity: none
                broker:
                  antiAffinity: hard
                  autoscaling:
                    enabled: true
                    targetCPUUtilizationPercentage: null
                    podsMetric: {enabled: true, name: tributary_broker_messages_in_per_second, averageValue: "5000"}
                proxy:
                  service: {type: LoadBalancer, loadBalancerSourceRanges: ["10.0.0.0/8"], externalTrafficPolicy: Local}
                auth:
                  enabled: true
                  keys: {kind: public, publicKey: "PUBLIC PEM"}
                  tokens: {existingSecret: my-tokens}
                monitoring:
                  dashboards: {enabled: true, namespace: grafana}
                """);
        assertThat(r.podTemplates().values()).allSatisfy(t -> assertThat(t.getMetadata().getAnnotations()).isNullOrEmpty());
        assertThat(r.podTemplates().get("Deployment " + FULLNAME + "-proxy").getSpec().getAffinity()).isNull();
        assertThat(r.podTemplates().get("Deployment " + FULLNAME + "-broker").getSpec().getAffinity().getPodAntiAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution()).hasSize(1);
        HorizontalPodAutoscaler hpa = r.get(HorizontalPodAutoscaler.class, FULLNAME + "-broker");
        assertThat(hpa.getSpec().getMetrics()).singleElement().satisfies(m -> {
            assertThat(m.getPods().getMetric().getName()).isEqualTo("tributary_broker_messages_in_per_second");
            assertThat(m.getPods().getTarget().getAverageValue().toString()).isEqualTo("5000");
        });
        Service proxy = r.get(Service.class, FULLNAME + "-proxy");
        assertThat(proxy.getSpec().getLoadBalancerSourceRanges()).containsExactly("10.0.0.0/8");
        assertThat(proxy.getSpec().getExternalTrafficPolicy()).isEqualTo("Local");
        assertThat(decoded(r.get(Secret.class, FULLNAME + "-auth-keys"))).containsOnlyKeys("public.key");
        assertThat(r.find(Secret.class, FULLNAME + "-tokens")).isEmpty();
        assertThat(r.get(ConfigMap.class, FULLNAME + "-proxy").getData())
                .containsEntry("TRIBUTARY_PROXY_AUTHENTICATION_PUBLIC_KEY_FILE", "/etc/tributary/auth/public.key");
        assertThat(r.podTemplates().get("Deployment " + FULLNAME + "-broker").getSpec().getVolumes())
                .filteredOn(v -> v.getName().equals("tokens")).singleElement()
                .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("my-tokens"));
        assertThat(r.all(ConfigMap.class)).filteredOn(c -> c.getMetadata().getName().contains("dashboard"))
                .isNotEmpty().allSatisfy(c -> assertThat(c.getMetadata().getNamespace()).isEqualTo("grafana"));
    }

    @Test
    void anExternalZooKeeperReplacesTheEnsemble() throws Exception {
        RenderedChart r = renderWith("zookeeper:\n  enabled: false\n  external:\n    servers: zk1:2181,zk2:2181\n");
        assertThat(r.find(StatefulSet.class, FULLNAME + "-zookeeper")).isEmpty();
        assertThat(r.get(ConfigMap.class, FULLNAME + "-broker").getData())
                .containsEntry("TRIBUTARY_BROKER_ZOOKEEPER_SERVERS", "zk1:2181,zk2:2181");
        assertThat(r.get(ConfigMap.class, FULLNAME + "-proxy").getData())
                .containsEntry("TRIBUTARY_PROXY_ZOOKEEPER_SERVERS", "zk1:2181,zk2:2181");
    }

    /**
     * Every variable the chart sets is one the processes accept: the entrypoint's configuration
     * check ({@code tributary config check <role>}) runs on each rendered container's environment
     * (ConfigMaps and downward API resolved as the kubelet would).
     */
    @ParameterizedTest
    @MethodSource("valueSets")
    void theProcessesAcceptEveryVariableTheChartSets(String values) throws Exception {
        RenderedChart r = RENDERS.get(values);
        // one JVM per container, started together
        Map<String, Process> checks = new LinkedHashMap<>();
        for (Map.Entry<String, PodTemplateSpec> e : r.podTemplates().entrySet()) {
            for (Container c : e.getValue().getSpec().getContainers()) {
                Map<String, String> env = r.containerEnvironment(c);
                String role = c.getArgs().get(0);
                List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                        "io.tributary.cli.TributaryCli", "config", "check", role);
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
                pb.environment().keySet().removeIf(k -> k.startsWith("TRIBUTARY_"));
                pb.environment().putAll(env);
                checks.put("tributary config check " + role + " on " + e.getKey() + " (" + env + ")", pb.start());
            }
        }
        assertThat(checks).hasSizeGreaterThanOrEqualTo(5);
        for (Map.Entry<String, Process> check : checks.entrySet()) {
            Process p = check.getValue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("%s:%n%s", check.getKey(), out).isZero();
        }
    }

    /**
     * docs/kubernetes.md's "Helm chart" section shows only commands this test runs (lint, the renders
     * an install or upgrade makes) or that Helm prints after an install (NOTES.txt) for some value set.
     */
    @Test
    void everyCommandOfTheDocsIsRunHereOrPrintedByTheInstall() throws Exception {
        String doc = Files.readString(RenderedChart.chart().getParent().getParent().resolve("docs/kubernetes.md"));
        int start = doc.indexOf("## Helm chart");
        assertThat(start).as("docs/kubernetes.md has a Helm chart section").isNotNegative();
        int end = doc.indexOf("\n## ", start + 1);
        String section = doc.substring(start, end < 0 ? doc.length() : end);
        List<String> commands = new ArrayList<>();
        Matcher fenced = Pattern.compile("(?s)```bash\n(.*?)```").matcher(section);
        while (fenced.find()) {
            fenced.group(1).lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(commands::add);
        }
        Matcher inline = Pattern.compile("`((?:helm|kubectl|bin/tributary) [^`]+)`").matcher(section.replaceAll("(?s)```.*?```", ""));
        while (inline.find()) {
            commands.add(inline.group(1).replaceAll("\\s+", " "));
        }
        assertThat(commands).isNotEmpty();
        List<String> notes = new ArrayList<>();
        valueSets().forEach(v -> notes.add(v.equals("default") ? RenderedChart.notes() : RenderedChart.notes(example(v))));
        Pattern installs = Pattern.compile("helm (?:install|upgrade) " + RenderedChart.RELEASE + " charts/tributary --namespace "
                + RenderedChart.NAMESPACE + " -f charts/tributary/examples/([a-z-]+)\\.yaml");
        for (String command : commands) {
            Matcher install = installs.matcher(command);
            if (command.equals("helm lint --strict charts/tributary")) {
                continue; // helmLintPassesStrictly
            }
            if (install.matches()) {
                assertThat(valueSets().toList()).as(command).contains(install.group(1));
                continue; // rendered by renderEveryValueSet
            }
            assertThat(notes).as("a command of docs/kubernetes.md that no install prints: " + command)
                    .anyMatch(n -> n.contains(command));
        }
    }

    private RenderedChart renderWith(String yaml) throws Exception {
        Path values = Files.createTempFile(dir, "values", ".yaml");
        Files.writeString(values, yaml);
        return RenderedChart.render(values);
    }

    private static Container container(RenderedChart r, String kind, String component) {
        return r.podTemplates().get(kind + " " + FULLNAME + "-" + component).getSpec().getContainers().get(0);
    }

    private static Certificate certificate(RenderedChart r, String component) {
        return r.certificates.stream().filter(c -> c.metadata().name().equals(FULLNAME + "-" + component)).findFirst()
                .orElseThrow(() -> new AssertionError("no Certificate for " + component));
    }

    private static String checksum(RenderedChart r, String kind, String component) {
        return r.podTemplates().get(kind + " " + FULLNAME + "-" + component).getMetadata().getAnnotations().get("checksum/config");
    }

    private static Map<String, String> decoded(Secret s) {
        Map<String, String> out = new TreeMap<>();
        s.getData().forEach((k, v) -> out.put(k, new String(java.util.Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        return out;
    }
}
