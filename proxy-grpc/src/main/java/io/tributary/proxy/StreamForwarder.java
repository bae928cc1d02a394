package io.tributary.proxy;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards one bidirectional stream (Publish or Subscribe) from a client to the broker that owns the topic
 * named in the stream's first ("open") request.
 *
 * <p>Flow control is end to end and nothing is buffered beyond one message per direction: the proxy asks the
 * client for its next message only after forwarding the previous one to a backend call that {@code isReady()}
 * (otherwise when the backend call becomes ready), and asks the broker for its next response only after
 * relaying the previous one to a client call that {@code isReady()} (otherwise when the client call becomes
 * ready). Until the backend call exists only the first message is requested.
 *
 * <p>Stall detection: a broker that stops answering (frozen, like a long GC pause or SIGSTOP, with its
 * connection still open) is abandoned after {@link #STALL_TIME}, well within a ZooKeeper session timeout,
 * instead of when a keepalive or the client's send timeout gives up: when a request that expects a reply
 * (the open, every Publish batch) has waited that long and the broker sent nothing meanwhile, though the
 * proxy was asking it for responses, the owner is forgotten and the client's stream fails with a
 * retriable {@code BROKER_UNAVAILABLE}; the SDK reconnects and resends, and the next lookup finds the
 * owner anew (the bundle's new owner once the frozen broker's session expired).
 *
 * <p>Every interaction with the two calls happens under one lock per stream, since callbacks of the server
 * call and of the backend call run on different threads; no gRPC method called here blocks.
 */
final class StreamForwarder<ReqT, RespT> implements StreamObserver<ReqT> {
    private static final Logger LOG = LoggerFactory.getLogger(StreamForwarder.class);
    /** A broker silent this long while replies are owed is abandoned (below any sane zkSessionTimeout). */
    static final Duration STALL_TIME = Duration.ofSeconds(5);

    private enum Phase {
        /** waiting for the client's first request */
        AWAITING_OPEN,
        /** the open request arrived; looking up the owner */
        CONNECTING,
        /** the backend call is started; piping both ways */
        OPEN,
        /** the client call is finished (completed, failed or cancelled) */
        CLOSED
    }

    private final Object lock = new Object();
    private final MethodDescriptor<ReqT, RespT> method;
    private final Function<ReqT, String> openTopic;
    private final Predicate<ReqT> expectsReply;
    private final ScheduledExecutorService scheduler;
    /** requests forwarded that the broker owes a reply to (saturating: any response counts as one) */
    private int awaitingReplies;
    /** when the broker last sent something, or the wait for a reply began */
    private long lastBackendNanos;
    private ScheduledFuture<?> stallCheck;
    private final OwnerLookup lookup;
    private final BrokerChannels channels;
    private final ServerCallStreamObserver<RespT> client;
    /** the server call's context: the backend call inherits its deadline and cancellation */
    private final Context serverContext;

    private Phase phase = Phase.AWAITING_OPEN;
    private TopicName topic;
    private String owner;
    /** kept for the lifetime of the stream: what a resumption on a new owner would send again */
    private ReqT openRequest;
    private ClientCallStreamObserver<ReqT> backend;
    private boolean clientHalfClosed;
    private boolean backendHalfClosed;
    /** a client message was forwarded while the backend call was not ready: ask for the next one on ready */
    private boolean clientRequestPending;
    /** a response was relayed while the client call was not ready: ask the broker for more on ready */
    private boolean backendRequestPending;

    /**
     * Sets up forwarding for a stream; call from the service method and return the result as the request
     * observer.
     *
     * @param method     the same method on the broker
     * @param openTopic  the topic named by a request if it is the open request, else null
     * @param expectsReply whether the broker answers a request with exactly one response (stall detection)
     * @param scheduler  runs the stall checks
     */
    static <ReqT, RespT> StreamObserver<ReqT> start(MethodDescriptor<ReqT, RespT> method,
                                                   StreamObserver<RespT> responseObserver,
                                                   Function<ReqT, String> openTopic, Predicate<ReqT> expectsReply,
                                                   OwnerLookup lookup, BrokerChannels channels,
                                                   ScheduledExecutorService scheduler) {
        return new StreamForwarder<>(method, responseObserver, openTopic, expectsReply, lookup, channels, scheduler);
    }

    private StreamForwarder(MethodDescriptor<ReqT, RespT> method, StreamObserver<RespT> responseObserver,
                            Function<ReqT, String> openTopic, Predicate<ReqT> expectsReply, OwnerLookup lookup,
                            BrokerChannels channels, ScheduledExecutorService scheduler) {
        this.method = method;
        this.openTopic = openTopic;
        this.expectsReply = expectsReply;
        this.scheduler = scheduler;
        this.lookup = lookup;
        this.channels = channels;
        this.client = (ServerCallStreamObserver<RespT>) Objects.requireNonNull(responseObserver);
        this.serverContext = Context.current();
        client.disableAutoRequest();
        client.setOnReadyHandler(this::onClientReady);
        client.setOnCancelHandler(this::onClientCancelled);
        // only the open request until the backend call exists: nothing can pile up meanwhile
        client.request(1);
    }

    private String name() {
        return method.getBareMethodName();
    }

    // ---- client -> proxy ----

    @Override
    public void onNext(ReqT request) {
        synchronized (lock) {
            try {
                switch (phase) {
                    case AWAITING_OPEN -> open(request);
                    case OPEN -> forward(request);
                    case CONNECTING -> abort(new TributaryException(ErrorReason.INTERNAL_ERROR,
                            "proxy: " + name() + " request arrived before the stream was connected").toStatus());
                    case CLOSED -> { }
                }
            } catch (RuntimeException e) {
                abortOnBug(e);
            }
        }
    }

    private void open(ReqT request) {
        String topicName = openTopic.apply(request);
        if (topicName == null) {
            abort(new TributaryException(ErrorReason.INVALID_REQUEST,
                    "the first request of a " + name() + " stream must be 'open'").toStatus());
            return;
        }
        try {
            topic = TopicName.of(topicName);
        } catch (TributaryException e) {
            abort(e.toStatus());
            return;
        }
        openRequest = request;
        phase = Phase.CONNECTING;
        lookup.ownerOf(topic).whenComplete(this::onOwner);
    }

    private void forward(ReqT request) {
        if (backendHalfClosed) {
            return;
        }
        backend.onNext(request);
        if (expectsReply.test(request)) {
            awaitReply();
        }
        if (backend.isReady()) {
            client.request(1);
        } else {
            clientRequestPending = true;
        }
    }

    private void onOwner(String ownerAddress, Throwable error) {
        synchronized (lock) {
            if (phase != Phase.CONNECTING) {
                return; // the client went away meanwhile
            }
            if (error != null) {
                LOG.debug("{} {}: lookup failed: {}", name(), topic, error.toString());
                abort(Calls.toClientError(error));
                return;
            }
            try {
                connect(ownerAddress);
            } catch (RuntimeException e) {
                abortOnBug(e);
            }
        }
    }

    private void connect(String ownerAddress) {
        owner = ownerAddress;
        ManagedChannel channel = channels.channel(ownerAddress);
        LOG.debug("{} {}: forwarding to {}", name(), topic, ownerAddress);
        Context previous = serverContext.attach();
        try {
            ClientCall<ReqT, RespT> call = channel.newCall(method, CallOptions.DEFAULT);
            ClientCalls.asyncBidiStreamingCall(call, new BackendObserver()); // sets this.backend in beforeStart
        } finally {
            serverContext.detach(previous);
        }
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.OPEN;
        backend.onNext(openRequest);
        awaitReply();
        long period = Math.max(1, STALL_TIME.toMillis() / 5);
        stallCheck = scheduler.scheduleWithFixedDelay(this::checkStall, period, period, TimeUnit.MILLISECONDS);
        if (clientHalfClosed) {
            backendHalfClosed = true;
            backend.onCompleted();
        } else if (backend.isReady()) {
            client.request(1);
        } else {
            clientRequestPending = true;
        }
    }

    /** A request the broker owes a reply to was forwarded: if none was owed, the wait starts now. */
    private void awaitReply() {
        if (awaitingReplies++ == 0) {
            lastBackendNanos = System.nanoTime();
        }
    }

    private void checkStall() {
        synchronized (lock) {
            if (phase != Phase.OPEN) {
                stallCheck.cancel(false);
                return;
            }
            long silentNanos = System.nanoTime() - lastBackendNanos;
            // a client that does not read holds the broker's responses back: that is not a stall
            if (awaitingReplies == 0 || backendRequestPending || silentNanos < STALL_TIME.toNanos()) {
                return;
            }
            LOG.info("{} {}: broker {} sent nothing for {} ms while {} replies were owed; abandoning it",
                    name(), topic, owner, TimeUnit.NANOSECONDS.toMillis(silentNanos), awaitingReplies);
            lookup.invalidate(topic, owner);
            abort(new TributaryException(ErrorReason.BROKER_UNAVAILABLE, "proxy: broker " + owner
                    + " did not answer for " + TimeUnit.NANOSECONDS.toMillis(silentNanos) + " ms; reconnect").toStatus());
        }
    }

    @Override
    public void onError(Throwable t) {
        // the server stub reports a client cancellation here (and to the cancel handler)
        onClientCancelled();
    }

    @Override
    public void onCompleted() {
        synchronized (lock) {
            clientHalfClosed = true;
            try {
                switch (phase) {
                    case AWAITING_OPEN -> {
                        // the client closed without opening anything: nothing to forward
                        phase = Phase.CLOSED;
                        client.onCompleted();
                    }
                    case OPEN -> {
                        if (!backendHalfClosed) {
                            backendHalfClosed = true;
                            backend.onCompleted();
                        }
                    }
                    default -> { } // CONNECTING: half-closed right after the backend call is opened
                }
            } catch (RuntimeException e) {
                abortOnBug(e);
            }
        }
    }

    private void onClientCancelled() {
        synchronized (lock) {
            if (phase == Phase.CLOSED) {
                return;
            }
            phase = Phase.CLOSED;
            LOG.debug("{} {}: client cancelled", name(), topic);
            if (backend != null) {
                backend.cancel("the client cancelled the call", null);
            }
        }
    }

    private void onClientReady() {
        synchronized (lock) {
            if (phase == Phase.OPEN && backendRequestPending && client.isReady()) {
                backendRequestPending = false;
                backend.request(1);
            }
        }
    }

    private void onBackendReady() {
        synchronized (lock) {
            if (phase == Phase.OPEN && clientRequestPending && !clientHalfClosed && backend.isReady()) {
                clientRequestPending = false;
                client.request(1);
            }
        }
    }

    // ---- broker -> proxy ----

    private final class BackendObserver implements ClientResponseObserver<ReqT, RespT> {
        @Override
        public void beforeStart(ClientCallStreamObserver<ReqT> requestStream) {
            backend = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
            requestStream.setOnReadyHandler(StreamForwarder.this::onBackendReady);
        }

        @Override
        public void onNext(RespT response) {
            synchronized (lock) {
                if (phase == Phase.CLOSED) {
                    return;
                }
                lastBackendNanos = System.nanoTime();
                awaitingReplies = Math.max(0, awaitingReplies - 1);
                try {
                    client.onNext(response);
                    if (client.isReady()) {
                        backend.request(1);
                    } else {
                        backendRequestPending = true;
                    }
                } catch (RuntimeException e) {
                    abortOnBug(e);
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            synchronized (lock) {
                if (phase == Phase.CLOSED) {
                    return;
                }
                if (Calls.isOwnershipChange(t) || Calls.isOwnerUnreachable(t)) {
                    lookup.invalidate(topic, owner);
                    // a broker handing a bundle over names the new owner: the client's reconnect goes
                    // straight there, with no lookup
                    ErrorDetail detail = ErrorReasons.detailOf(t);
                    String named = detail.getOwnerAddress();
                    if (!named.isEmpty() && !named.equals(owner)) {
                        lookup.remember(topic, named);
                        lookup.metrics().redirect(detail.getReason());
                    }
                    if (resumeOnNewOwner(t)) {
                        return;
                    }
                }
                LOG.debug("{} {}: broker {} failed the stream: {}", name(), topic, owner, t.toString());
                phase = Phase.CLOSED;
                try {
                    client.onError(Calls.toClientError(t));
                } catch (RuntimeException e) {
                    LOG.debug("{} {}: could not fail the client call", name(), topic, e);
                }
            }
        }

        @Override
        public void onCompleted() {
            synchronized (lock) {
                if (phase == Phase.CLOSED) {
                    return;
                }
                phase = Phase.CLOSED;
                try {
                    client.onCompleted();
                } catch (RuntimeException e) {
                    LOG.debug("{} {}: could not complete the client call", name(), topic, e);
                }
            }
        }
    }

    /**
     * The seam for transparent resumption. Called (under the lock, cache entry already invalidated) when the
     * backend stream failed because the topic moved (NOT_OWNER, TOPIC_FENCED, BUNDLE_MOVING) or its owner
     * became unreachable. Resuming would mean: look the owner up again, open a new backend call, send
     * {@link #openRequest} again (and, for Publish, the batches not yet acknowledged, which the proxy would then
     * have to keep — bounded by the client's flow control), swallow the new "opened" reply, and carry on piping.
     * Today the proxy does not resume: it returns false, the client stream fails with the broker's status and
     * trailers, and the client SDK reconnects.
     *
     * @return true if the stream was resumed and the client must not see the failure
     */
    private boolean resumeOnNewOwner(Throwable backendError) {
        return false;
    }

    // ---- failure helpers (call under the lock) ----

    /** Fails the client call with {@code status} and cancels the backend call, if any. */
    private void abort(StatusRuntimeException status) {
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.CLOSED;
        try {
            client.onError(status);
        } catch (RuntimeException e) {
            LOG.debug("{} {}: could not fail the client call", name(), topic, e);
        }
        if (backend != null) {
            backend.cancel("the proxy ended the call: " + status.getStatus(), null);
        }
    }

    private void abortOnBug(RuntimeException e) {
        LOG.warn("{} {}: unexpected failure while forwarding", name(), topic, e);
        abort(new TributaryException(ErrorReason.INTERNAL_ERROR, "proxy: " + e).toStatus());
    }
}
