package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.client.Authentication;
import io.tributary.client.ConnectionMode;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TlsOptions;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.security.AuthHeaders;
import io.tributary.security.tls.CertificateAuthority;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DIRECT client over TLS with a token: its channels to the brokers connect with the service URL's
 * trust and token, and a broker whose certificate it cannot trust is left for the service URL.
 */
class DirectRoutingTlsTest {
    private static final String TOPIC = "public/default/direct-tls";

    @TempDir
    Path dir;
    private Path caFile;
    private CertificateAuthority ca;
    /** "server method token" of every call, as the fakes saw them. */
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<FakeBroker> fakes = new CopyOnWriteArrayList<>();
    private FakeBroker service;

    @BeforeEach
    void makeCertificates() {
        ca = CertificateAuthority.create("test-ca", Duration.ofDays(1));
        caFile = ca.writeCertificate(dir.resolve("ca.crt"));
    }

    @AfterEach
    void stop() throws Exception {
        for (FakeBroker f : fakes) {
            f.close();
        }
    }

    private FakeBroker tlsFake(String name, CertificateAuthority issuer, UnaryOperator<NettyServerBuilder> more)
            throws Exception {
        CertificateAuthority.Issued cert = issuer.issue(dir, name, "localhost", List.of("localhost"), List.of("127.0.0.1"));
        var ssl = GrpcSslContexts.forServer(cert.certFile().toFile(), cert.keyFile().toFile()).build();
        ServerInterceptor record = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                String header = headers.get(AuthHeaders.AUTHORIZATION);
                calls.add(name + " " + call.getMethodDescriptor().getBareMethodName() + " "
                        + (header == null ? "-" : header.substring(AuthHeaders.BEARER.length())));
                return next.startCall(call, headers);
            }
        };
        FakeBroker f = new FakeBroker(b -> more.apply(b.sslContext(ssl).intercept(record)), TOPIC);
        fakes.add(f);
        return f;
    }

    private void startService(String owner) throws Exception {
        service = tlsFake("service", ca, b -> b.addService(new LookupServiceGrpc.LookupServiceImplBase() {
            @Override
            public void lookup(LookupRequest request, StreamObserver<LookupResponse> out) {
                out.onNext(LookupResponse.newBuilder().setTopic(request.getTopic()).setBrokerAddress(owner).build());
                out.onCompleted();
            }
        }));
    }

    private TributaryClient client() throws Exception {
        // the server name is for the service URL; brokers are checked by the address the lookup names
        return TributaryClient.builder().serviceUrl(service.url()).connectionMode(ConnectionMode.DIRECT)
                .tls(TlsOptions.trusting(caFile).withServerName("localhost"))
                .authentication(Authentication.token("secret-1")).operationTimeout(Duration.ofSeconds(10)).build();
    }

    @Test
    void theBrokersChannelUsesTheServiceUrlsTlsAndToken() throws Exception {
        FakeBroker broker = tlsFake("broker", ca, b -> b);
        startService(broker.url());
        try (TributaryClient client = client();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("over tls");
        }
        assertThat(broker.entryCount(TOPIC)).isEqualTo(1);
        assertThat(calls).contains("service Lookup secret-1", "broker Publish secret-1")
                .doesNotContain("service Publish secret-1");
    }

    @Test
    void aBrokerWhoseCertificateIsNotTrustedIsLeftForTheServiceUrl() throws Exception {
        FakeBroker stranger = tlsFake("stranger", CertificateAuthority.create("other-ca", Duration.ofDays(1)), b -> b);
        startService(stranger.url());
        try (TributaryClient client = client();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(TOPIC).create()) {
            producer.send("through the service");
        }
        assertThat(service.entryCount(TOPIC)).isEqualTo(1);
        assertThat(stranger.entryCount(TOPIC)).isZero();
        assertThat(calls).contains("service Publish secret-1").noneMatch(c -> c.startsWith("stranger"));
    }
}
