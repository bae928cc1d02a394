package io.tributary.proxy;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.AcknowledgeRequest;
import io.tributary.api.v1.AcknowledgeResponse;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.CreateTopicResponse;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.DeleteTopicResponse;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.ListTenantsResponse;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ProducerOpened;
import io.tributary.api.v1.PublishAck;
import io.tributary.api.v1.PublishRequest;
import io.tributary.api.v1.PublishResponse;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.api.v1.ReceiveResponse;
import io.tributary.api.v1.ReceivedMessage;
import io.tributary.api.v1.SubscribeRequest;
import io.tributary.api.v1.SubscribeResponse;
import io.tributary.api.v1.Subscribed;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A test double of a broker, served over real gRPC on localhost: it answers lookups, publish and subscribe
 * streams and unary receive/ack in scripted ways, and records what it saw.
 */
final class FakeBroker implements AutoCloseable {
    final String name;
    final Server server;
    final String address;

    // ---- scripting ----
    /** topic -> owner address for lookups; null answer means "me" */
    volatile Function<String, String> owners = t -> null;
    /** topic -> error for lookups; null means answer normally */
    volatile Function<String, StatusRuntimeException> lookupErrors = t -> null;
    /** topic -> error that fails a publish stream right after its open request */
    volatile Function<String, StatusRuntimeException> publishOpenErrors = t -> null;
    /** when true the broker reads publish requests only when the test asks ({@link #requestPublish}) */
    volatile boolean manualPublishReads;
    /** a subscribe stream gets this many MessageBatch responses of floodSize bytes, sent while isReady() */
    volatile int floodCount;
    volatile int floodSize;
    /** receive handler; default: one message whose value is the broker's name */
    volatile Function<ReceiveRequest, StatusRuntimeException> receiveErrors = r -> null;

    // ---- observations ----
    final AtomicInteger lookups = new AtomicInteger();
    final List<PublishRequest> publishRequests = new CopyOnWriteArrayList<>();
    final List<SubscribeRequest> subscribeRequests = new CopyOnWriteArrayList<>();
    final AtomicBoolean publishHalfClosed = new AtomicBoolean();
    final AtomicInteger streamsCancelled = new AtomicInteger();
    final AtomicInteger receives = new AtomicInteger();
    final AtomicReference<io.grpc.Deadline> lastReceiveDeadline = new AtomicReference<>();
    final AtomicInteger acks = new AtomicInteger();
    final List<String> adminCalls = new CopyOnWriteArrayList<>();
    final AtomicReference<ServerCallStreamObserver<PublishResponse>> lastPublishCall = new AtomicReference<>();
    final Flood flood = new Flood();

    /** The state of the last flooding subscribe stream. */
    static final class Flood {
        final AtomicInteger sent = new AtomicInteger();
        /** true while the pump stopped because the call was not ready, until onReady resumes it */
        final AtomicBoolean blocked = new AtomicBoolean();
        final AtomicInteger blockedCount = new AtomicInteger();
    }

    /** Who each call came as, in arrival order: its identity headers and the principal authentication found. */
    record CallIdentity(String method, String authorization, String originalRole,
                        io.tributary.security.auth.Principal principal) {}

    final List<CallIdentity> identities = new CopyOnWriteArrayList<>();

    FakeBroker(String name) throws IOException {
        this(name, null, null);
    }

    /**
     * A broker whose services run behind {@code authentication} (null: none), over TLS when
     * {@code tls} is given.
     */
    FakeBroker(String name, io.grpc.ServerInterceptor authentication,
               io.grpc.netty.shaded.io.netty.handler.ssl.SslContext tls) throws IOException {
        this.name = name;
        NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .maxInboundMessageSize(16 * 1024 * 1024);
        if (tls != null) {
            b.sslContext(tls);
        }
        for (io.grpc.BindableService service : List.of(new Lookup(), new Messaging(), new Admin())) {
            io.grpc.ServerServiceDefinition def = io.grpc.ServerInterceptors.intercept(service, recordIdentity());
            b.addService(authentication == null ? def : io.grpc.ServerInterceptors.intercept(def, authentication));
        }
        this.server = b.build().start();
        this.address = "127.0.0.1:" + server.getPort();
    }

    private io.grpc.ServerInterceptor recordIdentity() {
        return new io.grpc.ServerInterceptor() {
            @Override
            public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, io.grpc.Metadata headers,
                                                                     io.grpc.ServerCallHandler<Q, R> next) {
                identities.add(new CallIdentity(call.getMethodDescriptor().getBareMethodName(),
                        headers.get(io.tributary.protocol.security.AuthHeaders.AUTHORIZATION),
                        headers.get(io.tributary.protocol.security.AuthHeaders.ORIGINAL_ROLE),
                        io.tributary.security.auth.AuthContext.current()));
                return next.startCall(call, headers);
            }
        };
    }

    void requestPublish(int n) {
        lastPublishCall.get().request(n);
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private final class Lookup extends LookupServiceGrpc.LookupServiceImplBase {
        @Override
        public void lookup(LookupRequest request, StreamObserver<LookupResponse> out) {
            lookups.incrementAndGet();
            StatusRuntimeException error = lookupErrors.apply(request.getTopic());
            if (error != null) {
                out.onError(error);
                return;
            }
            String owner = owners.apply(request.getTopic());
            out.onNext(LookupResponse.newBuilder()
                    .setTopic(request.getTopic())
                    .setBundle("0x00000000_0xffffffff")
                    .setBrokerId(name)
                    .setBrokerAddress(owner == null ? address : owner)
                    .build());
            out.onCompleted();
        }
    }

    private final class Messaging extends MessagingServiceGrpc.MessagingServiceImplBase {
        @Override
        public StreamObserver<PublishRequest> publish(StreamObserver<PublishResponse> responseObserver) {
            ServerCallStreamObserver<PublishResponse> out = (ServerCallStreamObserver<PublishResponse>) responseObserver;
            out.setOnCancelHandler(streamsCancelled::incrementAndGet);
            if (manualPublishReads) {
                out.disableAutoRequest();
                out.request(1);
            }
            lastPublishCall.set(out);
            return new StreamObserver<>() {
                boolean failed;

                @Override
                public void onNext(PublishRequest request) {
                    publishRequests.add(request);
                    if (failed) {
                        return;
                    }
                    if (request.hasOpen()) {
                        StatusRuntimeException error = publishOpenErrors.apply(request.getOpen().getTopic());
                        if (error != null) {
                            failed = true;
                            out.onError(error);
                            return;
                        }
                        out.onNext(PublishResponse.newBuilder().setOpened(ProducerOpened.newBuilder()
                                .setProducerName(request.getOpen().getProducerName().isEmpty()
                                        ? name + "-producer" : request.getOpen().getProducerName())
                                .setLastSequenceId(-1)
                                .setMaxMessageSize(5 * 1024 * 1024)).build());
                    } else {
                        out.onNext(PublishResponse.newBuilder().setAck(PublishAck.newBuilder()
                                .setSequenceId(request.getBatch().getSequenceId())
                                .setMessageId(MessageId.newBuilder().setLedgerId(1)
                                        .setEntryId(request.getBatch().getSequenceId()))).build());
                    }
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    publishHalfClosed.set(true);
                    if (!failed) {
                        out.onCompleted();
                    }
                }
            };
        }

        @Override
        public StreamObserver<SubscribeRequest> subscribe(StreamObserver<SubscribeResponse> responseObserver) {
            ServerCallStreamObserver<SubscribeResponse> out = (ServerCallStreamObserver<SubscribeResponse>) responseObserver;
            out.setOnCancelHandler(streamsCancelled::incrementAndGet);
            AtomicBoolean opened = new AtomicBoolean();
            Flood state = flood;
            int count = floodCount;
            ByteString payload = ByteString.copyFrom(new byte[Math.max(floodSize, 1)]);
            Runnable pump = new Runnable() {
                boolean done;

                @Override
                public synchronized void run() {
                    if (!opened.get() || done) {
                        return;
                    }
                    state.blocked.set(false);
                    while (out.isReady() && state.sent.get() < count) {
                        int i = state.sent.get();
                        out.onNext(SubscribeResponse.newBuilder().setMessages(MessageBatch.newBuilder()
                                .setMessageId(MessageId.newBuilder().setLedgerId(7).setEntryId(i))
                                .setEntry(payload)).build());
                        state.sent.incrementAndGet();
                    }
                    if (state.sent.get() >= count) {
                        done = true;
                        out.onCompleted();
                    } else {
                        state.blocked.set(true);
                        state.blockedCount.incrementAndGet();
                    }
                }
            };
            out.setOnReadyHandler(pump);
            return new StreamObserver<>() {
                @Override
                public void onNext(SubscribeRequest request) {
                    subscribeRequests.add(request);
                    if (request.hasOpen()) {
                        out.onNext(SubscribeResponse.newBuilder().setSubscribed(Subscribed.newBuilder()
                                .setConsumerName(name + "-consumer")).build());
                        if (count > 0) {
                            opened.set(true);
                            pump.run();
                        }
                    }
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    if (count == 0) {
                        out.onCompleted();
                    }
                }
            };
        }

        @Override
        public void receive(ReceiveRequest request, StreamObserver<ReceiveResponse> out) {
            receives.incrementAndGet();
            lastReceiveDeadline.set(io.grpc.Context.current().getDeadline());
            StatusRuntimeException error = receiveErrors.apply(request);
            if (error != null) {
                out.onError(error);
                return;
            }
            out.onNext(ReceiveResponse.newBuilder().addMessages(ReceivedMessage.newBuilder()
                    .setValue(ByteString.copyFromUtf8(name))
                    .setMessageId(MessageId.newBuilder().setLedgerId(3).setEntryId(4))).build());
            out.onCompleted();
        }

        @Override
        public void acknowledge(AcknowledgeRequest request, StreamObserver<AcknowledgeResponse> out) {
            acks.incrementAndGet();
            out.onNext(AcknowledgeResponse.getDefaultInstance());
            out.onCompleted();
        }
    }

    private final class Admin extends AdminServiceGrpc.AdminServiceImplBase {
        @Override
        public void listTenants(ListTenantsRequest request, StreamObserver<ListTenantsResponse> out) {
            adminCalls.add("ListTenants");
            out.onNext(ListTenantsResponse.newBuilder().addTenants("public").addTenants(name).build());
            out.onCompleted();
        }

        @Override
        public void createTopic(CreateTopicRequest request, StreamObserver<CreateTopicResponse> out) {
            adminCalls.add("CreateTopic " + request.getTopic());
            if (request.getTopic().endsWith("/exists")) {
                out.onError(io.tributary.protocol.ErrorReasons.toStatus(io.tributary.protocol.ErrorReasons.detail(
                        io.tributary.api.v1.ErrorReason.TOPIC_ALREADY_EXISTS, "topic exists")));
                return;
            }
            out.onNext(CreateTopicResponse.getDefaultInstance());
            out.onCompleted();
        }

        @Override
        public void deleteTopic(DeleteTopicRequest request, StreamObserver<DeleteTopicResponse> out) {
            adminCalls.add("DeleteTopic " + request.getTopic());
            out.onNext(DeleteTopicResponse.getDefaultInstance());
            out.onCompleted();
        }
    }

    static StatusRuntimeException unavailable() {
        return Status.UNAVAILABLE.withDescription("scripted").asRuntimeException();
    }
}
