package io.tributary.it.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretVolumeSource;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.tributary.it.ChaosProxy;
import io.tributary.it.CliRun;
import io.tributary.it.image.PodNetwork;
import io.tributary.it.image.UnpackedImage;
import io.tributary.it.image.UnpackedImage.Launch;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What Helm rendered, run as processes: every pod of the Deployments, StatefulSets and Jobs is started from
 * the container image ({@link UnpackedImage}) with exactly what Kubernetes would give it from the rendered
 * objects and nothing else: its container's command and arguments, its environment (ConfigMaps, the downward
 * API, {@code $(VAR)} expansion, the kubelet's own variables), its volumes (claims and emptyDirs as empty
 * directories, Secrets as files, owned by the pod's {@code fsGroup} with the volume's mode), its user, its
 * host name, and a network of its own: a network namespace with its own address on a bridge, so every pod
 * listens on the ports the chart gives it, where the Services' and the StatefulSet pods' DNS names resolve (a
 * hosts file per pod stands in for the cluster's DNS; {@link PodNetwork}). Readiness is the rendered probe, called as
 * the kubelet calls it (HTTPS without checking the certificate). Needs root and {@code ip} (iproute2).
 */
final class PodCluster implements AutoCloseable {
    private static final String DOMAIN = "cluster.local";
    private static final Duration START = Duration.ofSeconds(120);

    private final UnpackedImage image;
    private final RenderedChart chart;
    private final String prefix;
    private final PodNetwork network;
    private final Path work;
    private final HttpClient http;
    final List<Pod> pods = new ArrayList<>();

    /** One pod of the rendered cluster: where it runs and what runs in it. */
    final class Pod {
        final String name;
        final String owner;
        final PodTemplateSpec template;
        /** The headless Service of a StatefulSet's pods, under which each has a DNS name. */
        final String subdomain;
        final String ip;
        final String netns;
        Path log;
        Process process;
        int starts;

        Pod(String name, String owner, PodTemplateSpec template, String subdomain) throws Exception {
            PodNetwork.Attachment attachment = network.attach();
            this.name = name;
            this.owner = owner;
            this.template = template;
            this.subdomain = subdomain;
            this.ip = attachment.address();
            this.netns = attachment.netns();
        }

        Container container() {
            assertThat(template.getSpec().getContainers()).as(owner + ": one container").hasSize(1);
            return template.getSpec().getContainers().get(0);
        }

        String component() {
            return template.getMetadata().getLabels().get("app.kubernetes.io/component");
        }

        /** The container's PID 1 (the JVM, exec'd by the entrypoint), once started. */
        ProcessHandle pid1() {
            return process.toHandle().children().findFirst().orElseThrow(() -> new AssertionError(name + " has no PID 1"));
        }

        /** GET {@code path} on the pod's port {@code port} (a number or a container port's name). */
        HttpResponse<String> get(IntOrString port, String path, String scheme) throws IOException {
            URI uri = URI.create(scheme.toLowerCase() + "://" + ip + ":" + portNumber(container(), port) + path);
            try {
                return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }

        /** Its metrics, from the port named {@code metrics}. */
        String metrics(String scheme) throws IOException {
            HttpResponse<String> r = get(new IntOrString("metrics"), "/metrics", scheme);
            assertThat(r.statusCode()).as(name + " /metrics").isEqualTo(200);
            return r.body();
        }
    }

    /**
     * The pods of {@code chart}, each on an address of {@code subnet} ({@code "10.254.0."}: the host is
     * {@code .1}) behind the bridge {@code prefix} ({@link PodNetwork}).
     */
    PodCluster(UnpackedImage image, RenderedChart chart, String prefix, String subnet) throws Exception {
        this.image = image;
        this.chart = chart;
        this.prefix = prefix;
        this.network = new PodNetwork(prefix, subnet);
        this.work = Paths.get("target", "pod-clusters", prefix).toAbsolutePath();
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(trustingEveryone())
                .sslParameters(withoutHostNameCheck()).build();
        UnpackedImage.run(List.of("rm", "-rf", "--one-file-system", work.toString()));
        Files.createDirectories(work);
        for (StatefulSet s : chart.all(StatefulSet.class)) {
            for (int i = 0; i < s.getSpec().getReplicas(); i++) {
                pods.add(new Pod(s.getMetadata().getName() + "-" + i, "StatefulSet " + s.getMetadata().getName(),
                        s.getSpec().getTemplate(), s.getSpec().getServiceName()));
            }
        }
        for (Deployment d : chart.all(Deployment.class)) {
            for (int i = 0; i < d.getSpec().getReplicas(); i++) {
                pods.add(new Pod(d.getMetadata().getName() + "-6d5f8b9c7-xq2z" + i, "Deployment " + d.getMetadata().getName(),
                        d.getSpec().getTemplate(), null));
            }
        }
        for (Job j : chart.all(Job.class)) {
            pods.add(new Pod(j.getMetadata().getName() + "-k8w2p", "Job " + j.getMetadata().getName(), j.getSpec().getTemplate(), null));
        }
    }

    /**
     * Starts the pods in an order Kubernetes could take, each waited for on its readiness probe: ZooKeeper,
     * the init Job (to its end, exit status 0), bookies, brokers, proxies.
     */
    void start() throws Exception {
        long started = System.nanoTime();
        startAndAwaitReady("zookeeper");
        Pod init = pods.stream().filter(p -> p.owner.startsWith("Job ")).findFirst().orElseThrow();
        start(init);
        assertThat(init.process.waitFor(START.toSeconds(), TimeUnit.SECONDS)).as("the init Job finished; " + init.log).isTrue();
        assertThat(init.process.exitValue()).as("the init Job's exit status; " + Files.readString(init.log)).isZero();
        startAndAwaitReady("bookie");
        startAndAwaitReady("broker");
        startAndAwaitReady("proxy");
        System.out.printf("%s: the chart's cluster (%d pods) ready in %.1f s%n", prefix, pods.size(), (System.nanoTime() - started) / 1e9);
    }

    /**
     * Deletes every pod as Kubernetes does (SIGTERM), proxies first and ZooKeeper last, each component's pods
     * together; each must exit 0 within its termination grace period. Claims stay; the pods may be started
     * again ({@link #start()}), as the controllers recreate them.
     */
    void stop() throws Exception {
        for (String component : List.of("proxy", "broker", "bookie", "zookeeper")) {
            List<Pod> running = pods(component).stream().filter(p -> p.process != null && p.process.isAlive()).toList();
            running.forEach(p -> p.pid1().destroy());
            for (Pod p : running) {
                long grace = p.template.getSpec().getTerminationGracePeriodSeconds();
                assertThat(p.process.waitFor(grace, TimeUnit.SECONDS)).as(p.name + " stopped within its grace period of %d s", grace)
                        .isTrue();
                assertThat(p.process.exitValue()).as(p.name + "'s exit status after SIGTERM; " + p.log).isZero();
            }
        }
    }

    List<Pod> pods(String component) {
        return pods.stream().filter(p -> component.equals(p.component())).toList();
    }

    /** Where a client reaches the Service: its first pod's address and the port its target port names. */
    String serviceAddress(String service) {
        Service s = chart.get(Service.class, service);
        Pod p = selected(s).get(0);
        ServicePort port = s.getSpec().getPorts().get(0);
        return p.ip + ":" + portNumber(p.container(), port.getTargetPort());
    }

    /**
     * Runs the {@code bin/tributary} commands of an install's {@code notes} (each must exit 0) through a
     * port-forward stand-in to the proxy Service on {@code localhost}, the files they name replaced by
     * {@code files}' (a name in the notes to the file it stands for).
     */
    void runClientCommandsOf(String notes, Map<String, Path> files) throws Exception {
        List<String> commands = notes.lines().map(String::strip).filter(l -> l.startsWith("bin/tributary ")).toList();
        assertThat(commands).as("the client commands of the notes").hasSizeGreaterThanOrEqualTo(2);
        String proxy = serviceAddress(RenderedChart.RELEASE + "-proxy");
        int colon = proxy.lastIndexOf(':');
        try (ChaosProxy portForward = ChaosProxy.forward(proxy.substring(0, colon), Integer.parseInt(proxy.substring(colon + 1)))) {
            for (String command : commands) {
                List<String> args = new ArrayList<>();
                for (String arg : command.substring("bin/tributary ".length()).split(" ")) {
                    arg = arg.replace("localhost:6650", portForward.address());
                    args.add(files.containsKey(arg) ? files.get(arg).toString() : arg);
                }
                CliRun run = CliRun.of(args.toArray(String[]::new));
                assertThat(run.code()).as(command + ": " + run.err()).isZero();
            }
        }
    }

    private void startAndAwaitReady(String component) throws Exception {
        List<Pod> group = pods(component);
        assertThat(group).as(component + " pods").isNotEmpty();
        for (Pod p : group) {
            start(p);
        }
        for (Pod p : group) {
            HTTPGetAction ready = p.container().getReadinessProbe().getHttpGet();
            await().atMost(START).pollInterval(Duration.ofMillis(500)).until(() -> {
                assertThat(p.process.isAlive()).as(p.name + " exited: " + Files.readString(p.log)).isTrue();
                try {
                    return p.get(ready.getPort(), ready.getPath(), ready.getScheme()).statusCode() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
            HTTPGetAction live = p.container().getLivenessProbe().getHttpGet();
            assertThat(p.get(live.getPort(), live.getPath(), live.getScheme()).statusCode()).as(p.name + " live").isEqualTo(200);
        }
    }

    /** Starts the pod's container from the image with what Kubernetes would give it. */
    private void start(Pod pod) throws IOException, InterruptedException {
        Container c = pod.container();
        Map<String, String> fieldRefs = Map.of("metadata.name", pod.name, "metadata.namespace", RenderedChart.NAMESPACE,
                "status.podIP", pod.ip);
        Map<String, String> env = new LinkedHashMap<>();
        // what the kubelet always adds (service links are off, the API server's variables are not)
        env.put("HOSTNAME", pod.name);
        env.put("KUBERNETES_SERVICE_HOST", "10.96.0.1");
        env.put("KUBERNETES_SERVICE_PORT", "443");
        env.put("KUBERNETES_SERVICE_PORT_HTTPS", "443");
        env.putAll(chart.containerEnvironment(c, fieldRefs));
        List<String> command = new ArrayList<>(c.getCommand() == null || c.getCommand().isEmpty() ? image.entrypoint() : c.getCommand());
        command.addAll(chart.containerArgs(c, fieldRefs));
        pod.starts++;
        pod.log = Paths.get("target", "cluster-logs", prefix + "-" + pod.name + (pod.starts > 1 ? "-" + pod.starts : "") + ".log")
                .toAbsolutePath();
        Launch launch = new Launch(pod.log, env, command).network(pod.netns, pod.name).hosts(hostsFile(pod));

        PodSecurityContext podSecurity = pod.template.getSpec().getSecurityContext();
        SecurityContext security = c.getSecurityContext();
        long uid = security.getRunAsUser() != null ? security.getRunAsUser() : podSecurity.getRunAsUser();
        long gid = security.getRunAsGroup() != null ? security.getRunAsGroup() : podSecurity.getRunAsGroup();
        assertThat(uid).as(pod.owner + " runs as a non-root user").isNotZero();
        launch.user(uid, gid);
        for (VolumeMount m : c.getVolumeMounts() == null ? List.<VolumeMount>of() : c.getVolumeMounts()) {
            assertThat(m.getSubPath()).as(pod.owner + ": a subPath mount, which this test does not lay out").isNull();
            launch.mount(m.getMountPath(), volume(pod, m.getName(), podSecurity.getFsGroup()));
        }
        pod.process = image.start(launch);
    }

    /**
     * The directory standing in for the pod's volume {@code name}, as the kubelet makes it: a claim (a
     * StatefulSet's {@code volumeClaimTemplates}) a directory writable by the pod's {@code fsGroup}, kept for the
     * next pod of the same name; an emptyDir a new empty one; a Secret its entries (or the volume's
     * {@code items}) as files of the group {@code fsGroup} with the volume's {@code defaultMode}.
     */
    private Path volume(Pod pod, String name, Long fsGroup) throws IOException, InterruptedException {
        Path dir = work.resolve("volumes").resolve(pod.name).resolve(name);
        String group = "0:" + (fsGroup == null ? 0 : fsGroup);
        Volume v = pod.template.getSpec().getVolumes() == null ? null
                : pod.template.getSpec().getVolumes().stream().filter(x -> x.getName().equals(name)).findFirst().orElse(null);
        boolean claim = pod.owner.startsWith("StatefulSet ") && chart.get(StatefulSet.class, pod.owner.substring("StatefulSet ".length()))
                .getSpec().getVolumeClaimTemplates().stream().map(PersistentVolumeClaim::getMetadata).anyMatch(m -> m.getName().equals(name));
        if (claim) {
            // a claim outlives its pod: the next pod of the same name mounts the same volume
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                UnpackedImage.run(List.of("chown", group, dir.toString()));
                UnpackedImage.run(List.of("chmod", "2775", dir.toString()));
            }
            return dir;
        }
        // an emptyDir or a Secret volume is made anew for each pod
        UnpackedImage.run(List.of("rm", "-rf", "--one-file-system", dir.toString()));
        Files.createDirectories(dir);
        if (v != null && v.getSecret() != null) {
            SecretVolumeSource source = v.getSecret();
            Map<String, String> data = chart.get(Secret.class, source.getSecretName()).getData();
            Map<String, String> files = new LinkedHashMap<>();
            if (source.getItems() == null || source.getItems().isEmpty()) {
                data.keySet().forEach(k -> files.put(k, k));
            } else {
                for (KeyToPath item : source.getItems()) {
                    files.put(item.getKey(), item.getPath());
                }
            }
            String mode = Integer.toOctalString(source.getDefaultMode() == null ? 0644 : source.getDefaultMode());
            for (Map.Entry<String, String> f : files.entrySet()) {
                assertThat(data).as(pod.owner + ": Secret " + source.getSecretName() + " has " + f.getKey()).containsKey(f.getKey());
                Path file = Files.write(dir.resolve(f.getValue()), Base64.getDecoder().decode(data.get(f.getKey())));
                UnpackedImage.run(List.of("chown", group, file.toString()));
                UnpackedImage.run(List.of("chmod", mode, file.toString()));
            }
            return dir;
        }
        assertThat(v != null && v.getEmptyDir() != null)
                .as(pod.owner + ": volume " + name + " is a claim, an emptyDir or a Secret (this test lays out no other kind)").isTrue();
        UnpackedImage.run(List.of("chown", group, dir.toString()));
        UnpackedImage.run(List.of("chmod", "2775", dir.toString()));
        return dir;
    }

    /**
     * The pod's {@code /etc/hosts}, standing in for the cluster's DNS: its own name, each Service's name
     * (a ClusterIP Service's as the address of its first pod, a headless one's as all of them), and a
     * StatefulSet pod's name under its headless Service, each in every form the pod's search domains complete.
     */
    private Path hostsFile(Pod pod) throws IOException {
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n").append(pod.ip).append(' ').append(pod.name).append('\n');
        for (Pod p : pods) {
            if (p.subdomain != null) {
                hosts.append(p.ip).append(' ').append(names(p.name + "." + p.subdomain)).append('\n');
            }
        }
        for (Service s : chart.all(Service.class)) {
            List<Pod> selected = selected(s);
            boolean headless = "None".equals(s.getSpec().getClusterIP());
            for (Pod p : headless ? selected : selected.stream().limit(1).toList()) {
                hosts.append(p.ip).append(' ').append(names(s.getMetadata().getName())).append('\n');
            }
        }
        Path file = work.resolve("hosts").resolve(pod.name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, hosts);
        return file;
    }

    /** {@code name} in the namespace's DNS, fully qualified and as each search domain of a pod completes it. */
    private static String names(String name) {
        String ns = RenderedChart.NAMESPACE;
        return String.join(" ", name + "." + ns + ".svc." + DOMAIN, name + "." + ns + ".svc", name + "." + ns, name);
    }

    private List<Pod> selected(Service s) {
        Map<String, String> selector = s.getSpec().getSelector();
        return pods.stream().filter(p -> !p.owner.startsWith("Job ")
                && p.template.getMetadata().getLabels().entrySet().containsAll(selector.entrySet())).toList();
    }

    private static int portNumber(Container c, IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return c.getPorts().stream().filter(p -> port.getStrVal().equals(p.getName())).map(ContainerPort::getContainerPort)
                .findFirst().orElseThrow(() -> new AssertionError(c.getName() + " has no port named " + port.getStrVal()));
    }

    /** SIGTERM to every pod still running, as Kubernetes stops them; killed after 30 s; the network removed. */
    @Override
    public void close() throws Exception {
        for (Pod p : pods) {
            if (p.process != null && p.process.isAlive()) {
                p.process.toHandle().children().forEach(ProcessHandle::destroy);
            }
        }
        for (Pod p : pods) {
            if (p.process != null && !p.process.waitFor(30, TimeUnit.SECONDS)) {
                p.process.descendants().forEach(ProcessHandle::destroyForcibly);
                p.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        network.close();
    }

    /** The kubelet's HTTPS probes do not check the certificate. */
    private static SSLContext trustingEveryone() throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        // an extended trust manager, so the JDK adds no host name check of its own
        context.init(null, new TrustManager[] {new X509ExtendedTrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return context;
    }

    private static SSLParameters withoutHostNameCheck() {
        SSLParameters p = new SSLParameters();
        p.setEndpointIdentificationAlgorithm(null);
        return p;
    }
}
