package io.tributary.security.auth;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.tributary.protocol.security.AuthHeaders;
import io.tributary.protocol.security.ClientTls;
import io.tributary.protocol.security.TlsFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real gRPC server on loopback whose one service answers who the caller is: unary {@code WhoAmI}
 * and server-streaming {@code Watch} (one message, then open until the call ends); plaintext or TLS.
 */
final class WhoAmIServer implements AutoCloseable {
    static final MethodDescriptor.Marshaller<String> TEXT = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
    static final MethodDescriptor<String, String> WHO_AM_I = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("test.Who/WhoAmI")
            .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();
    static final MethodDescriptor<String, String> WATCH = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING).setFullMethodName("test.Who/Watch")
            .setRequestMarshaller(TEXT).setResponseMarshaller(TEXT).build();

    private final Server server;
    private final List<ManagedChannel> channels = new CopyOnWriteArrayList<>();
    /** The callers of the Watch streams the service is serving: a stream leaves when its handler hears it ended. */
    final List<String> watching = new CopyOnWriteArrayList<>();

    /** The TLS files clients connect with; null: plaintext. */
    volatile TlsFiles clientTls;

    WhoAmIServer(AuthenticationInterceptor interceptor) {
        this(interceptor, null);
    }

    /** Over TLS with {@code tls} (null: plaintext). */
    WhoAmIServer(AuthenticationInterceptor interceptor, SslContext tls) {
        ServerServiceDefinition service = ServerServiceDefinition.builder("test.Who")
                .addMethod(WHO_AM_I, ServerCalls.asyncUnaryCall((req, out) -> {
                    out.onNext(describe(AuthContext.current()));
                    out.onCompleted();
                }))
                .addMethod(WATCH, ServerCalls.asyncServerStreamingCall((req, out) -> {
                    String who = describe(AuthContext.current());
                    watching.add(who);
                    ((ServerCallStreamObserver<String>) out).setOnCancelHandler(() -> watching.remove(who));
                    out.onNext(who);
                }))
                .build();
        try {
            NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(ServerInterceptors.intercept(service, interceptor));
            if (tls != null) {
                b.sslContext(tls);
            }
            server = b.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String describe(Principal p) {
        return p == null ? "anonymous" : "role=" + p.role() + " caller=" + p.caller();
    }

    int port() {
        return server.getPort();
    }

    /** WhoAmI with {@code token} (null: no authorization header) and optionally a forwarded role. */
    String whoAmI(String token, String forwardedRole) {
        return ClientCalls.blockingUnaryCall(channel(token, forwardedRole), WHO_AM_I, CallOptions.DEFAULT
                .withDeadlineAfter(20, TimeUnit.SECONDS), "");
    }

    /** WhoAmI on a channel that sends the SDK's bearer credentials. */
    String whoAmIWith(io.grpc.CallCredentials credentials) {
        ManagedChannel channel = ClientTls.apply(NettyChannelBuilder.forAddress("127.0.0.1", port()), clientTls).build();
        channels.add(channel);
        return ClientCalls.blockingUnaryCall(channel, WHO_AM_I, CallOptions.DEFAULT.withCallCredentials(credentials)
                .withDeadlineAfter(20, TimeUnit.SECONDS), "");
    }

    String whoAmI(String token) {
        return whoAmI(token, null);
    }

    /** The status a WhoAmI with {@code token} fails with; fails the test if the call succeeds. */
    Status refusal(String token, String forwardedRole) {
        try {
            String answer = whoAmI(token, forwardedRole);
            throw new AssertionError("the call was admitted as " + answer);
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    Status refusal(String token) {
        return refusal(token, null);
    }

    /** Starts a Watch stream with {@code token}; what it receives and how it ends are recorded. */
    Watch watch(String token) {
        Watch w = new Watch();
        ClientCalls.asyncServerStreamingCall(channel(token, null).newCall(WATCH, CallOptions.DEFAULT), "", w);
        return w;
    }

    /** What a Watch stream received and how it ended. */
    static final class Watch implements StreamObserver<String> {
        final List<String> received = new CopyOnWriteArrayList<>();
        final AtomicReference<Status> ended = new AtomicReference<>();

        @Override
        public void onNext(String value) {
            received.add(value);
        }

        @Override
        public void onError(Throwable t) {
            ended.set(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            ended.set(Status.OK);
        }
    }

    private io.grpc.Channel channel(String token, String forwardedRole) {
        ManagedChannel channel = ClientTls.apply(NettyChannelBuilder.forAddress("127.0.0.1", port()), clientTls).build();
        channels.add(channel);
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(AuthHeaders.AUTHORIZATION, AuthHeaders.BEARER + token);
        }
        if (forwardedRole != null) {
            headers.put(AuthHeaders.ORIGINAL_ROLE, forwardedRole);
        }
        return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** Closes every client channel (ending their streams) but keeps the server. */
    void disconnectClients() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
        channels.clear();
    }

    @Override
    public void close() throws InterruptedException {
        disconnectClients();
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
}
