package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.ListBrokersRequest;
import io.tributary.api.v1.ListBrokersResponse;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.ListTenantsResponse;
import io.tributary.client.ConnectionMode;
import io.tributary.protocol.security.AuthHeaders;
import io.tributary.security.auth.AuthenticationInterceptor;
import io.tributary.security.auth.AuthenticationSettings;
import io.tributary.security.tls.CertificateAuthority;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The client commands' connection options and client config file, against a real gRPC admin
 * service on loopback that records the token of every call.
 */
class ClientOptionsTest {
    @TempDir
    Path dir;
    /** The token of each call the server received ("-" for none). */
    private final List<String> tokens = new CopyOnWriteArrayList<>();
    private Server server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.shutdownNow().awaitTermination();
        }
    }

    private String startServer(boolean tls) throws Exception {
        return startServer(tls, null);
    }

    /** The admin service on loopback; {@code verifier}, when given, authenticates each call after it is recorded. */
    private String startServer(boolean tls, ServerInterceptor verifier) throws Exception {
        ServerInterceptor record = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                String h = headers.get(AuthHeaders.AUTHORIZATION);
                tokens.add(h == null ? "-" : h.substring(AuthHeaders.BEARER.length()));
                return next.startCall(call, headers);
            }
        };
        AdminServiceGrpc.AdminServiceImplBase admin = new AdminServiceGrpc.AdminServiceImplBase() {
            @Override
            public void listTenants(ListTenantsRequest request, StreamObserver<ListTenantsResponse> out) {
                out.onNext(ListTenantsResponse.newBuilder().addTenants("acme").build());
                out.onCompleted();
            }

            @Override
            public void listBrokers(ListBrokersRequest request, StreamObserver<ListBrokersResponse> out) {
                out.onNext(ListBrokersResponse.getDefaultInstance());
                out.onCompleted();
            }
        };
        NettyServerBuilder b = NettyServerBuilder.forPort(0).addService(admin);
        if (verifier != null) {
            b.intercept(verifier);
        }
        b.intercept(record);
        if (tls) {
            CertificateAuthority ca = CertificateAuthority.create("cli-test-ca", Duration.ofDays(1));
            ca.writeCertificate(dir.resolve("ca.crt"));
            CertificateAuthority.Issued cert = ca.issue(dir, "server", "localhost", List.of("localhost"), List.of("127.0.0.1"));
            b.sslContext(GrpcSslContexts.forServer(cert.certFile().toFile(), cert.keyFile().toFile()).build());
        }
        server = b.build().start();
        return "localhost:" + server.getPort();
    }

    private record Run(int exitCode, String err) {}

    private static Run tributary(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = TributaryCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        return new Run(cli.execute(args), err.toString());
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void theConfigFileAloneConnectsWithItsTokenFileOverTls() throws Exception {
        String address = startServer(true);
        write("token", "token-from-file\n");
        // relative paths are taken from the config file's directory
        Path config = write("client.properties", "serviceUrl=" + address + "\nauthTokenFile=token\ntlsTrustCertsFile=ca.crt\n");

        assertThat(tributary("admin", "tenants", "list", "--client-config", config.toString()).exitCode()).isZero();
        assertThat(tributary("admin", "brokers", "list", "--client-config", config.toString()).exitCode()).isZero();
        assertThat(tokens).containsExactly("token-from-file", "token-from-file");
    }

    @Test
    void commandLineOptionsWinOverTheConfigFile() throws Exception {
        String address = startServer(false);
        Path config = write("client.properties", "serviceUrl=localhost:1\nauthToken=token-of-the-config\n");
        Path tokenFile = write("cli-token", "token-of-the-command-line\n");

        Run run = tributary("admin", "--client-config", config.toString(), "tenants", "list",
                "-u", address, "--auth-token-file", tokenFile.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(tokens).containsExactly("token-of-the-command-line");
    }

    @Test
    void optionsGivenBeforeOrAfterTheAdminSubcommandMeanTheSame() throws Exception {
        String address = startServer(false);
        Path tokenFile = write("token", "t-1\n");

        assertThat(tributary("admin", "-u", address, "--auth-token-file", tokenFile.toString(), "tenants", "list").exitCode()).isZero();
        assertThat(tributary("admin", "tenants", "list", "-u", address, "--auth-token-file", tokenFile.toString()).exitCode()).isZero();
        assertThat(tokens).containsExactly("t-1", "t-1");
    }

    @Test
    void withoutATokenNoneIsSent() throws Exception {
        String address = startServer(false);
        assertThat(tributary("admin", "tenants", "list", "-u", address).exitCode()).isZero();
        assertThat(tokens).containsExactly("-");
    }

    @Test
    void produceConsumeAndPerfTakeTheSameOptions() throws Exception {
        Path config = write("client.properties", "serviceUrl=tls://mq.example.com:6650\nauthToken=config-token\n"
                + "tlsTrustCertsFile=/etc/tributary/ca.crt\n");
        for (String[] command : List.of(
                new String[] {"produce", "a/b/c", "-m", "x"},
                new String[] {"consume", "a/b/c", "-s", "s"},
                new String[] {"perf", "produce", "a/b/c"},
                new String[] {"perf", "consume", "a/b/c"})) {
            String[] args = concat(command, "--client-config", config.toString(), "--auth-token-file", "/run/token",
                    "--tls-cert", "/etc/tributary/client.crt", "--tls-key", "/etc/tributary/client.key");
            CommandLine.ParseResult parsed = TributaryCli.commandLine().parseArgs(args);
            while (parsed.hasSubcommand()) {
                parsed = parsed.subcommand();
            }
            ClientOptions options = connectionOf(parsed.commandSpec().userObject());
            ClientConfig c = options.resolve();
            assertThat(c.serviceUrl()).as(String.join(" ", command)).isEqualTo("tls://mq.example.com:6650");
            assertThat(c.authToken()).isNull();
            assertThat(c.authTokenFile()).isEqualTo(Path.of("/run/token"));
            assertThat(c.tlsTrustCertsFile()).isEqualTo(Path.of("/etc/tributary/ca.crt"));
            assertThat(c.tlsCertFile()).isEqualTo(Path.of("/etc/tributary/client.crt"));
            assertThat(c.tlsKeyFile()).isEqualTo(Path.of("/etc/tributary/client.key"));
            assertThat(c.toString()).doesNotContain("config-token");
        }
    }

    @Test
    void aServerNameAloneMeansTlsWithTheJdksCas() throws Exception {
        CommandLine.ParseResult parsed = TributaryCli.commandLine().parseArgs("produce", "a/b/c", "-m", "x",
                "-u", "localhost:6650", "--tls-server-name", "tributary-proxy.mq.svc");
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        ClientConfig c = connectionOf(parsed.commandSpec().userObject()).resolve();
        assertThat(c.tls()).as("TLS, not plaintext").isNotNull();
        assertThat(c.tls().serverName()).isEqualTo("tributary-proxy.mq.svc");
        assertThat(c.tls().trustCertsFile()).as("the JDK's CAs").isNull();
        // and without any TLS option the connection stays plaintext
        parsed = TributaryCli.commandLine().parseArgs("produce", "a/b/c", "-m", "x", "-u", "localhost:6650");
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        assertThat(connectionOf(parsed.commandSpec().userObject()).resolve().tls()).isNull();
    }

    @Test
    void theConnectionModeComesFromTheFileOrTheOptionAndABadOneIsRefused() throws Exception {
        Path config = write("client.properties", "connectionMode=DIRECT\n");
        assertThat(resolved("perf", "produce", "a/b/c", "--client-config", config.toString()).connectionMode())
                .isEqualTo(ConnectionMode.DIRECT);
        assertThat(resolved("perf", "produce", "a/b/c", "--client-config", config.toString(),
                "--connection-mode", "proxy").connectionMode()).isEqualTo(ConnectionMode.PROXY);
        assertThat(resolved("produce", "a/b/c", "-m", "x", "--connection-mode", "direct").connectionMode())
                .isEqualTo(ConnectionMode.DIRECT);
        assertThat(resolved("consume", "a/b/c", "-s", "s").connectionMode()).isEqualTo(ConnectionMode.PROXY);
        assertThatThrownBy(() -> resolved("produce", "a/b/c", "-m", "x", "--connection-mode", "straight"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--connection-mode must be proxy or direct, was 'straight'");
        Path bad = write("bad.properties", "connectionMode=broker\n");
        assertThatThrownBy(() -> ClientConfig.load(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("connectionMode must be proxy or direct, was 'broker'");
    }

    private static ClientConfig resolved(String... args) throws Exception {
        CommandLine.ParseResult parsed = TributaryCli.commandLine().parseArgs(args);
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        return connectionOf(parsed.commandSpec().userObject()).resolve();
    }

    @Test
    void anUnknownKeyInTheConfigFileIsRefusedNamingIt() throws Exception {
        Path config = write("client.properties", "serviceUrl=localhost:6650\nauthTokenFle=/run/token\n");
        Run run = tributary("admin", "tenants", "list", "--client-config", config.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("unknown key(s) [authTokenFle]").contains("authTokenFile");
    }

    @Test
    void aClientCertificateWithoutItsKeyIsRefused() {
        Run run = tributary("admin", "tenants", "list", "--tls-ca", "ca.crt", "--tls-cert", "client.crt");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("needs its key");
    }

    @Test
    void aTokenAndATokenFileTogetherAreRefused() throws Exception {
        Run run = tributary("admin", "tenants", "list", "--auth-token", "abc", "--auth-token-file", "t");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("not both").doesNotContain("abc");
    }

    @Test
    void aTokenMadeWithTheTokensCommandIsAcceptedByTheBrokersVerifier() throws Exception {
        Path key = dir.resolve("secret.key");
        Path token = dir.resolve("admin.token");
        Path otherKey = dir.resolve("other.key");
        Path forged = dir.resolve("forged.token");
        assertThat(tributary("tokens", "create-secret-key", "--output", key.toString()).exitCode()).isZero();
        assertThat(tributary("tokens", "create-secret-key", "--output", otherKey.toString()).exitCode()).isZero();
        assertThat(tributary("tokens", "create", "--subject", "admin", "--expiry", "1h", "--key", key.toString(),
                "--output", token.toString()).exitCode()).isZero();
        assertThat(tributary("tokens", "create", "--subject", "admin", "--key", otherKey.toString(),
                "--output", forged.toString()).exitCode()).isZero();
        String address = startServer(true, AuthenticationInterceptor.create(AuthenticationSettings.withSecretKey(key)));
        String ca = dir.resolve("ca.crt").toString();

        assertThat(tributary("admin", "tenants", "list", "-u", address, "--tls-ca", ca,
                "--auth-token-file", token.toString()).exitCode()).isZero();
        assertThat(tributary("admin", "tenants", "list", "-u", address, "--tls-ca", ca,
                "--auth-token-file", forged.toString()).exitCode()).isEqualTo(1);
        assertThat(tributary("admin", "tenants", "list", "-u", address, "--tls-ca", ca).exitCode()).isEqualTo(1);
        // the refused token is asked for again once (the file might have been renewed), then the command fails
        String good = Files.readString(token).trim();
        String bad = Files.readString(forged).trim();
        assertThat(tokens).containsExactly(good, bad, bad, "-");
    }

    @Test
    void theShippedClientConfigDocumentsEveryKeyAndLoads() throws Exception {
        Path shipped = Path.of("..", "conf", "client.properties");
        String text = Files.readString(shipped);
        for (String key : ClientConfig.KEYS) {
            assertThat(text).as(key).contains("#" + key + "=");
        }
        assertThat(ClientConfig.load(shipped)).isEqualTo(ClientConfig.defaults());
    }

    private static ClientOptions connectionOf(Object command) throws Exception {
        Class<?> c = command.getClass();
        while (c != null) {
            for (var f : c.getDeclaredFields()) {
                if (f.getType() == ClientOptions.class) {
                    f.setAccessible(true);
                    return (ClientOptions) f.get(command);
                }
            }
            c = c.getSuperclass();
        }
        throw new AssertionError(command.getClass() + " has no ClientOptions");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
