package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.tributary.cli.Standalone;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The proxy and the brokers serve gRPC server reflection (v1), so a tool such as grpcurl lists and calls
 * their services without the {@code .proto} files: the services are listed, and the file defining
 * {@code tributary.v1.MessagingService} comes back with its methods and its dependencies.
 */
class ServerReflectionTest {
    @TempDir
    static Path dir;
    static Standalone standalone;

    @BeforeAll
    static void start() throws Exception {
        standalone = new Standalone(TestClusters.options(dir.toFile(), c -> c)).start();
    }

    @AfterAll
    static void stop() throws Exception {
        standalone.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"proxy", "broker"})
    void theServicesAndTheirDescriptionsAreServed(String server) throws Exception {
        int port = server.equals("proxy") ? standalone.proxyPort() : standalone.brokers().get(0).port();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            List<String> services = ask(channel, ServerReflectionRequest.newBuilder().setListServices("").build())
                    .getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList();
            assertThat(services).contains("tributary.v1.MessagingService", "tributary.v1.LookupService", "tributary.v1.AdminService",
                    "grpc.reflection.v1.ServerReflection").doesNotContain("tributary.internal.v1.BrokerControlService");

            ServerReflectionResponse files = ask(channel, ServerReflectionRequest.newBuilder()
                    .setFileContainingSymbol("tributary.v1.MessagingService").build());
            List<FileDescriptorProto> protos = new ArrayList<>();
            for (var bytes : files.getFileDescriptorResponse().getFileDescriptorProtoList()) {
                protos.add(FileDescriptorProto.parseFrom(bytes));
            }
            ServiceDescriptorProto messaging = protos.stream().flatMap(f -> f.getServiceList().stream())
                    .filter(s -> s.getName().equals("MessagingService")).findFirst().orElseThrow();
            assertThat(messaging.getMethodList()).extracting(MethodDescriptorProto::getName).contains("Publish", "Subscribe", "Receive",
                    "Acknowledge");
            // the file and what it imports, so a client can build every message type
            assertThat(protos).extracting(FileDescriptorProto::getName).contains("tributary/v1/messaging.proto",
                    "tributary/v1/common.proto");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** One request on the reflection stream, its one answer. */
    private static ServerReflectionResponse ask(ManagedChannel channel, ServerReflectionRequest request) throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        answer.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        answer.completeExceptionally(new IllegalStateException("no answer"));
                    }
                });
        requests.onNext(request);
        requests.onCompleted();
        return answer.get(15, TimeUnit.SECONDS);
    }
}
