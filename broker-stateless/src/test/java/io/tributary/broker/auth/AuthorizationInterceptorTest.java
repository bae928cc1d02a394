package io.tributary.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.TransactionServiceGrpc;
import io.tributary.internal.v1.BrokerControlServiceGrpc;
import io.tributary.internal.v1.DrainBrokerRequest;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.security.BearerCredentials;
import io.tributary.security.auth.AuthenticationInterceptor;
import io.tributary.security.auth.AuthenticationSettings;
import io.tributary.security.auth.Tokens;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthorizationInterceptorTest {
    /** The services of the broker's client port. */
    static final List<ServiceDescriptor> PUBLIC_SERVICES = List.of(MessagingServiceGrpc.getServiceDescriptor(),
            LookupServiceGrpc.getServiceDescriptor(), AdminServiceGrpc.getServiceDescriptor(), HealthGrpc.getServiceDescriptor(),
            ServerReflectionGrpc.getServiceDescriptor(), TransactionServiceGrpc.getServiceDescriptor());

    @Test
    void everyMethodOfEveryPublicServiceIsClassified() {
        Set<String> methods = PUBLIC_SERVICES.stream().flatMap(s -> s.getMethods().stream())
                .map(MethodDescriptor::getFullMethodName).collect(Collectors.toCollection(TreeSet::new));
        Set<String> classified = new AuthorizationInterceptor(new AuthorizationService(AuthorizationConfig.enabled(Set.of())))
                .classifiedMethods();
        // every method has a rule, and no rule is left for a method that no longer exists
        assertThat(new TreeSet<>(classified)).isEqualTo(methods);
        assertThat(methods).contains("tributary.v1.AdminService/GrantPermission", "tributary.v1.MessagingService/Publish",
                "grpc.health.v1.Health/Check");
    }

    @Test
    void aMethodMissingFromTheTableIsRefusedEvenToASuperuser(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("secret.key");
        Tokens.createSecretKey(key);
        AuthorizationService auth = new AuthorizationService(AuthorizationConfig.enabled(Set.of("root")));
        // ServerInterceptors runs the last interceptor given first: authentication, then authorization
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new BrokerControlServiceGrpc.BrokerControlServiceImplBase() {},
                        new AuthorizationInterceptor(auth), AuthenticationInterceptor.create(AuthenticationSettings.withSecretKey(key))))
                .build().start();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        try {
            String root = Tokens.create("root", null, key, null, null);
            assertThatThrownBy(() -> BrokerControlServiceGrpc.newBlockingStub(channel)
                    .withCallCredentials(new BearerCredentials(() -> root)).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .drainBroker(DrainBrokerRequest.getDefaultInstance()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                        assertThat(ErrorReasons.detailOf(e).getReason()).isEqualTo(ErrorReason.NOT_AUTHORIZED);
                        assertThat(e.getStatus().getDescription()).contains("BrokerControlService/DrainBroker is not classified");
                    });
        } finally {
            channel.shutdownNow();
            server.shutdownNow();
        }
    }
}
