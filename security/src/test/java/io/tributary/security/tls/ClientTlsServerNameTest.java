package io.tributary.security.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.protocol.security.ClientTls;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.protocol.security.ServerTlsSettings.ClientAuth;
import io.tributary.protocol.security.TlsFiles;
import io.tributary.security.tls.CertificateAuthority.Issued;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client given a server name ({@link TlsFiles#serverName()}) checks the server's certificate
 * against that name instead of the address it dials, with the chain still checked: how the proxy and
 * brokers reach brokers advertised at Kubernetes pod IPs whose one certificate names their Service.
 * Real TLS, a real gRPC server at 127.0.0.1 whose certificate names only a DNS name.
 */
class ClientTlsServerNameTest {
    private static final String NAME = "tributary-broker.messaging.svc.cluster.local";

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final AtomicReference<String> sniSeen = new AtomicReference<>();
    private CertificateAuthority ca;
    private Path caFile;
    private int port;

    @BeforeEach
    void serveWithACertificateNamingOnlyTheServiceName() {
        ca = CertificateAuthority.create("Tributary test CA", Duration.ofDays(1));
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
        Issued broker = ca.issue(dir, "broker", "tributary-broker", List.of(NAME), List.of());
        port = serve(new ServerTlsSettings(broker.certFile(), broker.keyFile(), null, ClientAuth.NONE));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    @Test
    void withTheServerNameTheCertificateIsAcceptedAtAnAddressItDoesNotName() throws InterruptedException {
        TlsFiles tls = TlsFiles.trusting(caFile).withServerName(NAME);
        // as the proxy dials brokers (BrokerChannels) and brokers dial each other (BrokerClients)
        assertThat(check("dns:///127.0.0.1:" + port, tls)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(check("127.0.0.1:" + port, tls)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(sniSeen.get()).as("the name is sent as SNI").isEqualTo(NAME);
    }

    @Test
    void withoutTheServerNameTheDialledAddressIsCheckedAndRefused() {
        assertThatThrownBy(() -> check("dns:///127.0.0.1:" + port, TlsFiles.trusting(caFile)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE))
                .satisfies(e -> assertThat(causes(e)).contains("No subject alternative names matching IP address 127.0.0.1"));
        assertThatThrownBy(() -> check("dns:///127.0.0.1:" + port, TlsFiles.trusting(caFile).withServerName(" ")))
                .as("a blank name is no name").isInstanceOf(StatusRuntimeException.class);
    }

    @Test
    void aWrongServerNameIsRefused() {
        TlsFiles tls = TlsFiles.trusting(caFile).withServerName("tributary-proxy.messaging.svc.cluster.local");
        assertThatThrownBy(() -> check("dns:///127.0.0.1:" + port, tls))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(causes(e)).contains("No subject alternative DNS name matching "
                        + "tributary-proxy.messaging.svc.cluster.local"));
    }

    @Test
    void theRightNameFromAnUntrustedCaIsRefused() {
        CertificateAuthority other = CertificateAuthority.create("another CA", Duration.ofDays(1));
        TlsFiles tls = TlsFiles.trusting(other.writeCertificate(dir.resolve("other-ca.crt"))).withServerName(NAME);
        assertThatThrownBy(() -> check("dns:///127.0.0.1:" + port, tls))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(causes(e)).contains("PKIX path"));
    }

    @Test
    void aServerNameIsAHostName() {
        assertThatThrownBy(() -> TlsFiles.trusting(caFile).withServerName(NAME + ":6651"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without port");
    }

    private static String causes(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t).append('\n');
        }
        return b.toString();
    }

    private int serve(ServerTlsSettings settings) {
        ServerInterceptor recorder = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                if (session instanceof ExtendedSSLSession extended) {
                    sniSeen.set(extended.getRequestedServerNames().stream()
                            .filter(SNIHostName.class::isInstance).map(n -> ((SNIHostName) n).getAsciiName())
                            .findFirst().orElse(null));
                }
                return next.startCall(call, headers);
            }
        };
        return TlsHealthServers.serve(settings, recorder, closing);
    }

    /** One call on a new channel to {@code target}, made by {@link ClientTls#apply} as brokers and the proxy do. */
    private static HealthCheckResponse.ServingStatus check(String target, TlsFiles tls) throws InterruptedException {
        ManagedChannel c = ClientTls.apply(NettyChannelBuilder.forTarget(target), tls).build();
        try {
            return HealthGrpc.newBlockingStub(c).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } finally {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
