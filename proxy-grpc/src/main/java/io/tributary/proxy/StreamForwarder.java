package io.tributary.proxy;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards one bidirectional stream (Publish or Subscribe) from a client to the broker that owns the topic
 * named in the stream's first ("open") request, and moves it to the new owner when the topic moves.
 *
 * <p>Flow control is end to end and nothing is buffered beyond one message per direction: the proxy asks the
 * client for its next message only after forwarding the previous one to a backend call that {@code isReady()}
 * (otherwise when the backend call becomes ready), and asks the broker for its next response only after
 * relaying the previous one to a client call that {@code isReady()} (otherwise when the client call becomes
 * ready). Until the backend call exists only the first message is requested.
 *
 * <p>Moves are invisible to the client: when the backend stream fails because the topic moved
 * ({@code NOT_OWNER}, {@code TOPIC_FENCED}, {@code BUNDLE_MOVING}), its owner is stopping
 * ({@code BROKER_UNAVAILABLE}) or unreachable (a transport failure, or its server cancelling the call as it
 * shuts down), or stalls, the proxy finds the owner
 * again (straight to the owner a {@code NOT_OWNER} names, else by a lookup, with back-off), opens a new
 * backend call and sends it what a {@link StreamResumption} remembered (the open again, the unanswered
 * batches of a Publish stream, the outstanding permits and unanswered acks and seeks of a Subscribe stream),
 * swallows the second "opened" reply, and carries on piping. While a re-opened stream has not been answered
 * yet, any {@code UNAVAILABLE} failure is tried again. A resumption gives up, and the client's stream fails
 * with the last error, after {@code proxy.streamResumeTimeout} (30 s) or at the client's deadline, whichever
 * comes first.
 * Any other failure (NOT_AUTHORIZED, INVALID_REQUEST, CONSUMER_BUSY, SERVICE_NOT_READY ...) ends the
 * client's stream with the broker's status and trailers, as before.
 *
 * <p>Stall detection: a broker that stops answering (frozen, like a long GC pause or SIGSTOP, with its
 * connection still open) is abandoned after {@link #STALL_TIME}, well within a ZooKeeper session timeout,
 * instead of when a keepalive gives up: when a request that expects a reply (the open, every Publish batch)
 * has waited that long and the broker sent nothing meanwhile, though the proxy was asking it for responses,
 * the owner is forgotten and the stream is resumed as after a move (the bundle's new owner once the frozen
 * broker's session expired).
 *
 * <p>Every interaction with the calls happens under one lock per stream, since callbacks of the server
 * call and of the backend calls run on different threads; no gRPC method called here blocks.
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
        /** a backend call is started; piping both ways */
        OPEN,
        /** the backend call failed with a move: looking for the new owner (no backend call) */
        RESUMING,
        /** the client call is finished (completed, failed or cancelled) */
        CLOSED
    }

    private final Object lock = new Object();
    private final MethodDescriptor<ReqT, RespT> method;
    private final Function<ReqT, String> openTopic;
    private final Predicate<ReqT> expectsReply;
    private final StreamResumption<ReqT, RespT> resumption;
    /** how long a resumption may look for the new owner (the client's deadline, if earlier, wins); zero: none */
    private final Duration resumeTimeout;
    private final ScheduledExecutorService scheduler;
    private final ReplyWatch replies = new ReplyWatch();
    private ScheduledFuture<?> stallCheck;
    private final OwnerLookup lookup;
    private final ProxyMetrics metrics;
    private final BrokerChannels channels;
    private final ServerCallStreamObserver<RespT> client;
    /** the server call's context: the backend call inherits its deadline and cancellation */
    private final Context serverContext;

    private Phase phase = Phase.AWAITING_OPEN;
    private TopicName topic;
    private String owner;
    /** the client's first request, sent to the first owner as is */
    private ReqT openRequest;
    private ClientCallStreamObserver<ReqT> backend;
    private boolean clientHalfClosed;
    private boolean backendHalfClosed;
    /** a request of the client's is asked for and not yet arrived */
    private boolean clientRequested;
    /** a client message was forwarded while the backend call was not ready: ask for the next one on ready */
    private boolean clientRequestPending;
    /** a response was relayed while the client call was not ready: ask the broker for more on ready */
    private boolean backendRequestPending;

    /** the resumption under way, if any: active from a move until a new owner answers the stream */
    private final ResumeAttempts resume = new ResumeAttempts();
    /** the current backend call is a re-open whose first response has not come yet */
    private boolean reopening;

    /**
     * Sets up forwarding for a stream; call from the service method and return the result as the request
     * observer.
     *
     * @param method       the same method on the broker
     * @param openTopic    the topic named by a request if it is the open request, else null
     * @param expectsReply whether the broker answers a request with exactly one response (stall detection)
     * @param resumption   what the stream remembers to re-open on a new owner
     * @param resumeTimeout how long a resumption may look for the new owner; zero: streams are not resumed
     * @param scheduler    runs the stall checks and the resumptions' back-off
     */
    static <ReqT, RespT> StreamObserver<ReqT> start(MethodDescriptor<ReqT, RespT> method,
                                                   StreamObserver<RespT> responseObserver,
                                                   Function<ReqT, String> openTopic, Predicate<ReqT> expectsReply,
                                                   StreamResumption<ReqT, RespT> resumption, Duration resumeTimeout,
                                                   OwnerLookup lookup, BrokerChannels channels,
                                                   ScheduledExecutorService scheduler) {
        return new StreamForwarder<>(method, responseObserver, openTopic, expectsReply, resumption, resumeTimeout, lookup,
                channels, scheduler);
    }

    private StreamForwarder(MethodDescriptor<ReqT, RespT> method, StreamObserver<RespT> responseObserver,
                            Function<ReqT, String> openTopic, Predicate<ReqT> expectsReply,
                            StreamResumption<ReqT, RespT> resumption, Duration resumeTimeout, OwnerLookup lookup,
                            BrokerChannels channels, ScheduledExecutorService scheduler) {
        this.method = method;
        this.openTopic = openTopic;
        this.expectsReply = expectsReply;
        this.resumption = Objects.requireNonNull(resumption, "resumption");
        this.resumeTimeout = Objects.requireNonNull(resumeTimeout, "resumeTimeout");
        this.scheduler = scheduler;
        this.lookup = lookup;
        this.metrics = lookup.metrics();
        this.channels = channels;
        this.client = (ServerCallStreamObserver<RespT>) Objects.requireNonNull(responseObserver);
        this.serverContext = Context.current();
        client.disableAutoRequest();
        client.setOnReadyHandler(this::onClientReady);
        client.setOnCancelHandler(this::onClientCancelled);
        // only the open request until the backend call exists: nothing can pile up meanwhile
        askClient();
    }

    private String name() {
        return method.getBareMethodName();
    }

    /** Asks the client for its next request unless one is asked for already (or it has sent its last). */
    private void askClient() {
        if (!clientRequested && !clientHalfClosed) {
            clientRequested = true;
            client.request(1);
        }
    }

    // ---- client -> proxy ----

    @Override
    public void onNext(ReqT request) {
        synchronized (lock) {
            clientRequested = false;
            try {
                switch (phase) {
                    case AWAITING_OPEN -> open(request);
                    case OPEN -> forward(request);
                    case RESUMING -> {
                        // for the next owner; the client's next request waits until there is one
                        resumption.queued(request);
                        clientRequestPending = true;
                    }
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
        resumption.opened(request);
        phase = Phase.CONNECTING;
        lookup.ownerOf(topic).whenComplete(this::onOwner);
    }

    private void forward(ReqT request) {
        if (backendHalfClosed) {
            return;
        }
        backend.onNext(request);
        resumption.sent(request);
        if (expectsReply.test(request)) {
            replies.expect();
        }
        if (backend.isReady()) {
            askClient();
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

    /** Opens a backend call on {@code ownerAddress} and sends it the open (and, resuming, what it must see again). */
    private void connect(String ownerAddress) {
        owner = ownerAddress;
        ManagedChannel channel = channels.channel(ownerAddress);
        LOG.debug("{} {}: forwarding to {}", name(), topic, ownerAddress);
        Context previous = serverContext.attach();
        BackendObserver observer = new BackendObserver();
        try {
            ClientCall<ReqT, RespT> call = channel.newCall(method, CallOptions.DEFAULT);
            ClientCalls.asyncBidiStreamingCall(call, observer); // sets this.backend in beforeStart
        } finally {
            serverContext.detach(previous);
        }
        // the broker channels run callbacks on their event loop: a call that fails at once (a broker gone) has
        // already been handled here, by failing the stream or by resuming it elsewhere
        if (phase == Phase.CLOSED || backend == null || backend != observer.call) {
            return;
        }
        boolean again = phase == Phase.RESUMING;
        phase = Phase.OPEN;
        backendHalfClosed = false;
        backendRequestPending = false;
        reopening = again;
        if (again) {
            resume.attempted();
            for (ReqT r : resumption.replay()) {
                backend.onNext(r);
            }
            replies.reset(resumption.repliesOwedAfterReplay());
        } else {
            backend.onNext(openRequest);
            replies.reset(1);
        }
        if (stallCheck == null) {
            long period = Math.max(1, STALL_TIME.toMillis() / 5);
            stallCheck = scheduler.scheduleWithFixedDelay(this::checkStall, period, period, TimeUnit.MILLISECONDS);
        }
        if (clientHalfClosed) {
            backendHalfClosed = true;
            backend.onCompleted();
        } else if (backend.isReady()) {
            clientRequestPending = false;
            askClient();
        } else {
            clientRequestPending = true;
        }
    }

    private void checkStall() {
        synchronized (lock) {
            if (phase == Phase.CLOSED) {
                stallCheck.cancel(false);
                return;
            }
            if (phase != Phase.OPEN) {
                return;
            }
            long silentMs = replies.stalledMillis(STALL_TIME);
            // a client that does not read holds the broker's responses back: that is not a stall
            if (silentMs < 0 || backendRequestPending) {
                return;
            }
            LOG.info("{} {}: broker {} sent nothing for {} ms while {} replies were owed; abandoning it",
                    name(), topic, owner, silentMs, replies.owed());
            lookup.invalidate(topic, owner);
            StatusRuntimeException stalled = new TributaryException(ErrorReason.BROKER_UNAVAILABLE, "proxy: broker "
                    + owner + " did not answer for " + silentMs + " ms; reconnect").toStatus();
            ClientCallStreamObserver<ReqT> frozen = backend;
            try {
                if (resume(stalled, null)) {
                    frozen.cancel("the proxy abandoned a broker that did not answer", null);
                    return;
                }
            } catch (RuntimeException e) {
                abortOnBug(e);
                return;
            }
            abort(stalled);
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
                    // CONNECTING, RESUMING: half-closed right after the backend call is opened
                    default -> { }
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
            resumeEnded("abandoned");
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

    private void onBackendReady(ClientCallStreamObserver<ReqT> call) {
        synchronized (lock) {
            if (call == backend && phase == Phase.OPEN && clientRequestPending && !clientHalfClosed
                    && backend.isReady()) {
                clientRequestPending = false;
                askClient();
            }
        }
    }

    // ---- resumption (call under the lock) ----

    /** Whether a failure of the backend call is the topic moving away or its owner going away. */
    private boolean isMove(Throwable t) {
        // not when the client went away or its deadline passed: the backend call went with it
        return !serverContext.isCancelled() && Calls.isStreamMove(t, reopening);
    }

    /**
     * Starts or continues a resumption after the backend call failed with {@code error} (cached owner already
     * forgotten): the next attempt goes to {@code namedOwner} if a broker named one, else to the owner a new
     * lookup finds, after the back-off.
     *
     * @return false if the stream cannot be resumed (or the resumption's time is up): the caller fails it
     */
    private boolean resume(Throwable error, String namedOwner) {
        long now = System.nanoTime();
        if (!resume.active()) {
            if (resumeTimeout.isZero() || !resumption.resumable()) {
                LOG.debug("{} {}: cannot resume: {}", name(), topic, error.toString());
                return false;
            }
            resume.begin(now, resumeTimeout, serverContext.getDeadline());
            LOG.info("{} {}: owner {} failed the stream ({}); resuming it on the new owner", name(), topic, owner,
                    Calls.describe(error));
        }
        if (resume.expired(now)) {
            LOG.info("{} {}: no owner took the stream within {} ms ({} attempts); failing it", name(), topic,
                    resume.elapsedMillis(now), resume.attempts());
            resumeEnded("failed");
            return false;
        }
        phase = Phase.RESUMING;
        backend = null;
        reopening = false;
        replies.reset(0);
        String target = namedOwner == null || namedOwner.isBlank() ? null : namedOwner;
        scheduler.schedule(() -> nextAttempt(target), resume.nextDelayMillis(target != null, now), TimeUnit.MILLISECONDS);
        return true;
    }

    private void nextAttempt(String namedOwner) {
        CompletableFuture<String> next;
        synchronized (lock) {
            if (phase != Phase.RESUMING) {
                return;
            }
            if (namedOwner != null) {
                next = CompletableFuture.completedFuture(namedOwner);
            } else {
                Context previous = serverContext.attach(); // the lookup goes as the client's role
                try {
                    next = lookup.ownerOf(topic);
                } finally {
                    serverContext.detach(previous);
                }
            }
        }
        next.whenComplete(this::onResumeOwner);
    }

    private void onResumeOwner(String ownerAddress, Throwable error) {
        synchronized (lock) {
            if (phase != Phase.RESUMING) {
                return;
            }
            try {
                if (error == null) {
                    connect(ownerAddress);
                    return;
                }
                Status.Code code = Status.fromThrowable(ErrorReasons.unwrap(error)).getCode();
                boolean retriable = code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
                        || code == Status.Code.INTERNAL && ErrorReasons.detailOf(error).getReason()
                        == ErrorReason.METADATA_ERROR;
                LOG.debug("{} {}: lookup while resuming failed: {}", name(), topic, error.toString());
                if (retriable && resume(error, null)) {
                    return;
                }
                resumeEnded("failed");
                fail(error);
            } catch (RuntimeException e) {
                abortOnBug(e);
            }
        }
    }

    /** Counts a resumption that ended ({@code resumed}, {@code failed}, {@code abandoned}), if one was under way. */
    private void resumeEnded(String outcome) {
        if (resume.active()) {
            metrics.streamResume(resumption.kind(), outcome, resume.end(System.nanoTime()));
        }
    }

    // ---- broker -> proxy ----

    private final class BackendObserver implements ClientResponseObserver<ReqT, RespT> {
        private ClientCallStreamObserver<ReqT> call;

        @Override
        public void beforeStart(ClientCallStreamObserver<ReqT> requestStream) {
            call = requestStream;
            backend = requestStream;
            requestStream.disableAutoRequestWithInitial(1);
            requestStream.setOnReadyHandler(() -> onBackendReady(requestStream));
        }

        /** Callbacks of a backend call that was replaced (a resumption moved on) are ignored. */
        private boolean current() {
            return call == backend && phase != Phase.CLOSED;
        }

        @Override
        public void onNext(RespT response) {
            synchronized (lock) {
                if (!current()) {
                    return;
                }
                replies.received();
                try {
                    if (reopening) {
                        reopening = false;
                        LOG.info("{} {}: resumed on {} after {} ms", name(), topic, owner,
                                resume.elapsedMillis(System.nanoTime()));
                        resumeEnded("resumed");
                    }
                    RespT out = resumption.received(response);
                    for (ReqT r : resumption.toBroker()) {
                        if (!backendHalfClosed) {
                            backend.onNext(r);
                        }
                    }
                    if (out == null) {
                        backend.request(1); // swallowed: nothing went to the client
                        return;
                    }
                    client.onNext(out);
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
                if (!current()) {
                    return;
                }
                try {
                    if (isMove(t)) {
                        lookup.invalidate(topic, owner);
                        // a broker handing a bundle over names the new owner: the stream goes straight there
                        ErrorDetail detail = ErrorReasons.detailOf(t);
                        String named = detail.getOwnerAddress();
                        if (!named.isEmpty() && !named.equals(owner)) {
                            lookup.remember(topic, named);
                            metrics.redirect(detail.getReason());
                        } else {
                            named = null;
                        }
                        if (resume(t, named)) {
                            return;
                        }
                    }
                } catch (RuntimeException e) {
                    abortOnBug(e);
                    return;
                }
                LOG.debug("{} {}: broker {} failed the stream: {}", name(), topic, owner, t.toString());
                resumeEnded("failed");
                fail(t);
            }
        }

        @Override
        public void onCompleted() {
            synchronized (lock) {
                if (!current()) {
                    return;
                }
                phase = Phase.CLOSED;
                resumeEnded("failed");
                try {
                    client.onCompleted();
                } catch (RuntimeException e) {
                    LOG.debug("{} {}: could not complete the client call", name(), topic, e);
                }
            }
        }
    }

    // ---- failure helpers (call under the lock) ----

    /** Fails the client call with a broker's (or a lookup's) failure, status and trailers unchanged. */
    private void fail(Throwable t) {
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.CLOSED;
        try {
            client.onError(Calls.toClientError(t));
        } catch (RuntimeException e) {
            LOG.debug("{} {}: could not fail the client call", name(), topic, e);
        }
    }

    /** Fails the client call with {@code status} and cancels the backend call, if any. */
    private void abort(StatusRuntimeException status) {
        if (phase == Phase.CLOSED) {
            return;
        }
        phase = Phase.CLOSED;
        resumeEnded("failed");
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
