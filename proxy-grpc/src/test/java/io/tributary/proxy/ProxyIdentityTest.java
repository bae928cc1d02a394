package io.tributary.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpen;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.protocol.security.AuthHeaders;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a broker learns from the proxy about who is calling: never what the client claims in its headers. */
class ProxyIdentityTest {
    private FakeBroker broker;
    private ProxyServer proxy;
    private ManagedChannel client;

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.shutdownNow();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    /** A client channel to the proxy that sends {@code headers} on every call. */
    static ManagedChannel clientSending(int port, Metadata headers) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .intercept(MetadataUtils.newAttachHeadersInterceptor(headers)).build();
    }

    /** A lookup, a unary Receive (with the proxy's own owner lookup), a Publish stream and an admin call. */
    static void callEveryWay(ManagedChannel client) {
        LookupServiceGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS)
                .lookup(LookupRequest.newBuilder().setTopic("persistent://t/n/a").build());
        MessagingServiceGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS)
                .receive(ReceiveRequest.newBuilder().setTopic("persistent://t/n/b").setSubscription("s").build());
        Recorder<PublishResponse> published = new Recorder<>();
        StreamObserver<PublishRequest> requests = MessagingServiceGrpc.newStub(client).publish(published);
        requests.onNext(PublishRequest.newBuilder().setOpen(ProducerOpen.newBuilder().setTopic("persistent://t/n/c")
                .setProducerName("p")).build());
        requests.onCompleted();
        published.awaitCompleted();
        AdminServiceGrpc.newBlockingStub(client).withDeadlineAfter(20, TimeUnit.SECONDS)
                .listTenants(ListTenantsRequest.getDefaultInstance());
    }

    @Test
    void theProxyPassesNoIdentityHeadersOfItsClientsToBrokers() throws Exception {
        broker = new FakeBroker("A");
        proxy = new ProxyServer(ProxyConfig.withBrokers(broker.address).withBindAddress("127.0.0.1").withPort(0)).start();
        Metadata forged = new Metadata();
        forged.put(AuthHeaders.AUTHORIZATION, AuthHeaders.BEARER + "a-token-meant-for-the-proxy");
        forged.put(AuthHeaders.ORIGINAL_ROLE, "superuser");
        client = clientSending(proxy.port(), forged);

        callEveryWay(client);

        assertThat(broker.identities).extracting(FakeBroker.CallIdentity::method)
                .contains("Lookup", "Receive", "Publish", "ListTenants");
        assertThat(broker.identities).allSatisfy(call -> {
            assertThat(call.authorization()).as("authorization of %s", call.method()).isNull();
            assertThat(call.originalRole()).as("forwarded role of %s", call.method()).isNull();
        });
    }
}
