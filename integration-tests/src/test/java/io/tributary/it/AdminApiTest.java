package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.CreateTenantRequest;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.DeleteNamespaceRequest;
import io.tributary.api.v1.DeleteTenantRequest;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.GetTopicRequest;
import io.tributary.api.v1.GetTopicResponse;
import io.tributary.api.v1.ListNamespacesRequest;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.ListTopicsRequest;
import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.protocol.ErrorReasons;
import java.nio.file.Path;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tenants, namespaces and topics through the proxy's admin service. */
class AdminApiTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static ManagedChannel channel;
    static AdminServiceGrpc.AdminServiceBlockingStub admin;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
        admin = AdminServiceGrpc.newBlockingStub(channel);
    }

    @AfterAll
    static void stop() {
        channel.shutdownNow();
        standalone.close();
    }

    private static void assertRefused(ThrowingCallable call, Status.Code code, ErrorReason reason) {
        assertThatThrownBy(call).isInstanceOf(StatusRuntimeException.class).satisfies(e -> {
            StatusRuntimeException s = (StatusRuntimeException) e;
            assertThat(s.getStatus().getCode()).isEqualTo(code);
            assertThat(ErrorReasons.detailOf(s).getReason()).isEqualTo(reason);
        });
    }

    @Test
    void tenantsNamespacesAndTopicsHaveALifecycle() throws Exception {
        assertThat(admin.listTenants(ListTenantsRequest.getDefaultInstance()).getTenantsList()).contains("public");
        admin.createTenant(CreateTenantRequest.newBuilder().setTenant("acme").build());
        assertRefused(() -> admin.createTenant(CreateTenantRequest.newBuilder().setTenant("acme").build()),
                Status.Code.ALREADY_EXISTS, ErrorReason.TENANT_ALREADY_EXISTS);
        admin.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("acme/payments").setBundles(8).build());
        assertThat(admin.listNamespaces(ListNamespacesRequest.newBuilder().setTenant("acme").build()).getNamespacesList())
                .containsExactly("acme/payments");
        assertRefused(() -> admin.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("nobody/ns").build()),
                Status.Code.NOT_FOUND, ErrorReason.TENANT_NOT_FOUND);

        admin.createTopic(CreateTopicRequest.newBuilder().setTopic("acme/payments/invoices").build());
        admin.createTopic(CreateTopicRequest.newBuilder().setTopic("acme/payments/events").setPartitions(3).build());
        assertRefused(() -> admin.createTopic(CreateTopicRequest.newBuilder().setTopic("acme/payments/invoices").build()),
                Status.Code.ALREADY_EXISTS, ErrorReason.TOPIC_ALREADY_EXISTS);
        assertThat(admin.listTopics(ListTopicsRequest.newBuilder().setNamespace("acme/payments").build()).getTopicsList())
                .contains("acme/payments/invoices", "acme/payments/events", "acme/payments/events-partition-0",
                        "acme/payments/events-partition-2");
        assertThat(admin.getTopic(GetTopicRequest.newBuilder().setTopic("acme/payments/events").build()).getPartitions())
                .isEqualTo(3);

        try (TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build()) {
            try (Consumer<String> c = client.newConsumer(Schema.STRING).topic("acme/payments/invoices").subscriptionName("books").subscribe();
                 Producer<String> p = client.newProducer(Schema.STRING).topic("acme/payments/invoices").create()) {
                for (int i = 0; i < 5; i++) {
                    p.send("invoice-" + i);
                }
            }
            // a partitioned topic is used through its partitions, or as a whole by the SDK
            try (Producer<String> p = client.newProducer(Schema.STRING).topic("acme/payments/events-partition-1").create()) {
                p.send("event");
            }
            try (Producer<String> p = client.newProducer(Schema.STRING).topic("acme/payments/events").create()) {
                assertThat(p.send("routed").getPartition()).isBetween(0, 2);
            }
        }
        GetTopicResponse stats = admin.getTopic(GetTopicRequest.newBuilder().setTopic("acme/payments/invoices").build());
        assertThat(stats.getEntries()).isEqualTo(5);
        assertThat(stats.getSubscriptionsList()).containsExactly("books");

        assertRefused(() -> admin.deleteNamespace(DeleteNamespaceRequest.newBuilder().setNamespace("acme/payments").build()),
                Status.Code.FAILED_PRECONDITION, ErrorReason.NAMESPACE_NOT_EMPTY);
        admin.deleteTopic(DeleteTopicRequest.newBuilder().setTopic("acme/payments/invoices").build());
        admin.deleteTopic(DeleteTopicRequest.newBuilder().setTopic("acme/payments/events").build());
        assertRefused(() -> admin.getTopic(GetTopicRequest.newBuilder().setTopic("acme/payments/invoices").build()),
                Status.Code.NOT_FOUND, ErrorReason.TOPIC_NOT_FOUND);
        assertThat(admin.listTopics(ListTopicsRequest.newBuilder().setNamespace("acme/payments").build()).getTopicsList()).isEmpty();
        assertRefused(() -> admin.deleteTenant(DeleteTenantRequest.newBuilder().setTenant("acme").build()),
                Status.Code.FAILED_PRECONDITION, ErrorReason.TENANT_NOT_EMPTY);
        admin.deleteNamespace(DeleteNamespaceRequest.newBuilder().setNamespace("acme/payments").build());
        admin.deleteTenant(DeleteTenantRequest.newBuilder().setTenant("acme").build());
        assertThat(admin.listTenants(ListTenantsRequest.getDefaultInstance()).getTenantsList()).doesNotContain("acme");
    }

    @Test
    void badNamesAreInvalidArgument() {
        assertRefused(() -> admin.createTopic(CreateTopicRequest.newBuilder().setTopic("only/two").build()),
                Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_TOPIC_NAME);
        assertRefused(() -> admin.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace("no-slash").build()),
                Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST);
        assertRefused(() -> admin.createTenant(CreateTenantRequest.newBuilder().setTenant("bad/tenant").build()),
                Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_REQUEST);
    }
}
