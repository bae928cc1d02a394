package io.tributary.client.impl.stream;

import io.grpc.Context;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.TimeoutException;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.TopicRoute;
import io.tributary.protocol.ErrorReasons;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One logical bidirectional stream (a producer's Publish, a consumer's Subscribe on one topic)
 * across the gRPC calls that carry it: the only place that opens a call, times its open out,
 * reconnects with {@link Backoff} when a call is lost, half-closes it and times the close out.
 *
 * <p><b>Lifecycle.</b> {@link #start()} opens the first call ({@link State#OPENING}) and sends
 * {@link #openRequest()} on it. The subclass recognises the broker's answer in
 * {@link #onResponse} and calls {@link #opened()} ({@link State#OPEN}). A call that ends, or is
 * not answered within the operation timeout, is lost: whether to open another is decided by
 * {@link ErrorReasons#isRetriable} alone, and a first open is retried only until the operation
 * timeout after the session was made. A call refused as UNAUTHENTICATED (say its token expired) is
 * reopened once, at once, with a fresh token ({@link ClientContext#authenticationRefused}); refused
 * again before it opens, the session fails. A retriable loss calls {@link #onDisconnected} and
 * opens a new call after a backoff; anything else calls {@link #onFailed} ({@link State#FAILED}).
 * {@link #close} half-closes an open call ({@link State#CLOSING}) and waits for the server to end
 * it, at most the operation timeout, then calls {@link #onClosed} ({@link State#CLOSED}).
 *
 * <p><b>Generations.</b> Every call has a generation number; responses and ends of a call that is
 * no longer the current one are ignored, so a late callback of a lost call cannot touch the state
 * of its successor.
 *
 * <p><b>Threading.</b> The session has no lock of its own: it is guarded by its owner's lock
 * (the producer's or the consumer's), which it takes for gRPC callbacks and timers. Every method
 * and hook runs with that lock held, except {@link #onResponseUnlocked} and
 * {@link #runIfCurrent}. Futures and application callbacks go into the {@link Completions} handed
 * to the hooks and run after the lock is released.
 *
 * @param <Req> the requests the client sends
 * @param <Resp> the responses the server sends
 */
public abstract class StreamSession<Req, Resp> {
    private static final Logger LOG = LoggerFactory.getLogger(StreamSession.class);

    /** Where a session is; only ever moves forward, except OPEN back to OPENING when a call is lost. */
    public enum State {
        /** Made, not started. */
        NEW,
        /** A call is being opened, or the session waits to open the next one. */
        OPENING,
        /** The current call is open: requests can be sent. */
        OPEN,
        /** The current call is half-closed; waiting for the server to end it. */
        CLOSING,
        /** Closed by its owner. */
        CLOSED,
        /** Lost for good: a failure that is not retriable, or no first open within the timeout. */
        FAILED
    }

    /** The owner's lock; guards everything below. */
    protected final ReentrantLock lock;
    private final ClientContext client;
    private final long operationTimeoutNanos;
    private final long firstOpenDeadlineNanos;
    private final Backoff backoff = new Backoff();

    private State state = State.NEW;
    private Call current;
    private long generation;
    /** The open timeout, then the close timeout, of the current call. */
    private ScheduledFuture<?> timer;
    private ScheduledFuture<?> reconnectTask;
    private boolean everOpened;
    /** Whether a call refused as UNAUTHENTICATED was reopened with a fresh token since the session was last open. */
    private boolean retriedWithFreshToken;
    private ErrorDetail lastError;
    /** Where calls open (the service URL or the topic's owner); made at the first open. */
    private TopicRoute route;
    /** The stub the current call was started on. */
    private MessagingServiceGrpc.MessagingServiceStub stub;

    /**
     * @param lock the owner's lock, held for every hook
     * @param client the client's stub factory, timers and operation timeout
     */
    protected StreamSession(ReentrantLock lock, ClientContext client) {
        this.lock = lock;
        this.client = client;
        this.operationTimeoutNanos = client.operationTimeout().toNanos();
        this.firstOpenDeadlineNanos = System.nanoTime() + operationTimeoutNanos;
    }

    // ---------------------------------------------------------------- hooks

    /**
     * Starts a call on the stub, e.g. {@code stub().publish(observer)}. Runs in
     * {@link Context#ROOT}, so the call inherits no deadline or cancellation of the caller.
     */
    protected abstract void startCall(ClientResponseObserver<Req, Resp> observer);

    /** The topic the stream serves, which decides where its calls go ({@link ClientContext#route}); null: the service URL. */
    protected String topic() {
        return null;
    }

    /** The stub to start the current call on (from {@link #startCall}): the service URL's or the topic owner's. */
    protected final MessagingServiceGrpc.MessagingServiceStub stub() {
        return stub;
    }

    /** The first request of every call (the open); computed afresh for each call. */
    protected abstract Req openRequest();

    /** A response of the current call; calls {@link #opened()} when it is the answer to the open. */
    protected abstract void onResponse(Resp response, Completions done);

    /**
     * The session cannot go on: {@code e} says why. The session is {@link State#FAILED} and its
     * call cancelled already.
     */
    protected abstract void onFailed(TributaryClientException e, Completions done);

    /** What opening achieves, for messages: "create the producer", "subscribe to t". */
    protected abstract String describe();

    /**
     * A response as it arrives, on the gRPC thread without the lock: a subclass may do costly work
     * (decoding) here, then continue with {@link #runIfCurrent}. By default it hands the response
     * to {@link #onResponse} under the lock if its call is still the current one.
     */
    protected void onResponseUnlocked(long callGeneration, Resp response) {
        runIfCurrent(callGeneration, done -> onResponse(response, done));
    }

    /**
     * The current call was lost with a retriable {@code cause}; a new call opens after a backoff
     * unless this hook closes or aborts the session. What was sent on the lost call may or may not
     * have arrived.
     */
    protected void onDisconnected(ErrorDetail cause, Completions done) {
    }

    /** The session is closed: after {@link #close}, once the server ended the call or did not in time. */
    protected void onClosed(Completions done) {
    }

    // ---------------------------------------------------------------- the owner's calls (lock held)

    /** Opens the first call. */
    public void start() {
        assert lock.isHeldByCurrentThread();
        if (state != State.NEW) {
            throw new IllegalStateException("the session was started already: " + state);
        }
        state = State.OPENING;
        connect();
    }

    /** Sends a request on the open call; false (and nothing sent) unless {@link #isOpen()}. */
    public boolean send(Req request) {
        assert lock.isHeldByCurrentThread();
        if (state != State.OPEN) {
            return false;
        }
        current.send(request);
        return true;
    }

    /**
     * The answer to the open arrived (from {@link #onResponse}): the session is open, its backoff
     * starts again. False when the call was open already (a second answer, to be ignored).
     */
    protected final boolean opened() {
        assert lock.isHeldByCurrentThread();
        if (state != State.OPENING || current == null) {
            return false;
        }
        cancelTimer();
        state = State.OPEN;
        everOpened = true;
        route.opened();
        retriedWithFreshToken = false;
        lastError = null;
        backoff.reset();
        return true;
    }

    /**
     * The current call cannot be used any more although gRPC has not ended it (say the broker
     * refused a request with a retriable error): it is cancelled and handled like a lost call
     * ending with {@code cause}.
     */
    public void lost(ErrorDetail cause, Completions done) {
        assert lock.isHeldByCurrentThread();
        Call c = current;
        if (c == null || (state != State.OPENING && state != State.OPEN)) {
            return;
        }
        current = null;
        cancelTimer();
        c.cancel(cause.getReason() + ": " + cause.getMessage());
        handleLoss(cause, null, done);
    }

    /**
     * Closes the session: an open call is half-closed and the server ends it after answering what
     * it was sent; anything else ends at once. {@link #onClosed} follows, now or later.
     */
    public void close(Completions done) {
        assert lock.isHeldByCurrentThread();
        if (state == State.CLOSING || state == State.CLOSED || state == State.FAILED) {
            return;
        }
        Call c = current;
        if (state == State.OPEN) {
            state = State.CLOSING;
            cancelTimer();
            try {
                c.requests.onCompleted();
            } catch (RuntimeException e) {
                LOG.debug("{}: half-close failed: {}", describe(), e.toString());
            }
            long g = c.generation;
            timer = client.schedule(() -> closeTimedOut(g), operationTimeoutNanos, TimeUnit.NANOSECONDS);
            if (timer != null) {
                return;
            }
            // the client's timers are gone: nothing would end the wait
            c.cancel("the client is closed");
        } else if (c != null) {
            c.cancel("closed before it was open");
        }
        finishClose(done);
    }

    /** Ends the session now, without half-close and without calling a hook (its owner failed or gave it up). */
    public void abort(String why) {
        assert lock.isHeldByCurrentThread();
        if (state == State.CLOSED || state == State.FAILED) {
            return;
        }
        state = State.CLOSED;
        endCall(why);
    }

    /**
     * Runs {@code task} under the lock if call {@code callGeneration} is still the current one
     * (from {@link #onResponseUnlocked}); completions run after the lock is released.
     */
    protected final void runIfCurrent(long callGeneration, Consumer<Completions> task) {
        Completions.underLock(lock, done -> {
            if (!isCurrent(callGeneration)) {
                return;
            }
            task.accept(done);
        });
    }

    /** Whether call {@code callGeneration} is the current one and not over. */
    protected final boolean isCurrent(long callGeneration) {
        assert lock.isHeldByCurrentThread();
        return current != null && current.generation == callGeneration;
    }

    public State state() {
        return state;
    }

    /** Whether requests can be sent now. */
    public boolean isOpen() {
        return state == State.OPEN;
    }

    /** Whether the session was open at least once (so a loss now means a reconnect, not a failed open). */
    public boolean everOpened() {
        return everOpened;
    }

    /** The cause of the last lost call since the session was last open; null if none. */
    public ErrorDetail lastError() {
        return lastError;
    }

    /** The generation of the current call; 0 before the first. */
    public long generation() {
        return generation;
    }

    // ---------------------------------------------------------------- internals

    /** Opens the next call where the route says, at once or once the topic's owner is looked up. */
    private void connect() {
        if (route == null) {
            route = client.route(topic());
        }
        CompletableFuture<MessagingServiceGrpc.MessagingServiceStub> next = route.next();
        if (next.isDone() && !next.isCompletedExceptionally()) {
            connectOn(next.join());
            return;
        }
        long g = generation;
        // after the lookup, on a timer thread: never on this thread, which holds the lock
        next.whenCompleteAsync((s, t) -> Completions.underLock(lock, done -> {
            if (state != State.OPENING || current != null || generation != g) {
                return; // closed, aborted or failed meanwhile
            }
            if (t == null) {
                connectOn(s);
            } else {
                handleLoss(ErrorReasons.detailOf(t), t, done);
            }
        }), client.scheduler());
    }

    private void connectOn(MessagingServiceGrpc.MessagingServiceStub on) {
        stub = on;
        Call c = new Call(++generation);
        current = c;
        // a long-lived stream must not inherit the deadline or cancellation of whatever call the
        // application happens to be serving when it opens us
        Context previous = Context.ROOT.attach();
        try {
            startCall(c);
        } finally {
            Context.ROOT.detach(previous);
        }
        c.send(openRequest());
        long g = c.generation;
        timer = client.schedule(() -> openTimedOut(g), operationTimeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void openTimedOut(long callGeneration) {
        lock.lock();
        try {
            if (isCurrent(callGeneration) && state == State.OPENING) {
                // cancelling ends the call with CANCELLED, which is retried like any lost call
                current.cancel("no answer to the request to " + describe() + " within " + timeout());
            }
        } finally {
            lock.unlock();
        }
    }

    private void closeTimedOut(long callGeneration) {
        Completions.underLock(lock, done -> {
            if (isCurrent(callGeneration) && state == State.CLOSING) {
                current.cancel("the server did not end the stream after it was half-closed");
                finishClose(done);
            }
        });
    }

    /** The call ended: {@code t} is null when the server completed it. */
    private void ended(Call c, Throwable t) {
        Completions.underLock(lock, done -> {
            if (c != current) {
                return;
            }
            if (state == State.CLOSING) {
                // the server ended the half-closed call, answering all it was sent
                finishClose(done);
            } else {
                current = null;
                cancelTimer();
                ErrorDetail detail = t == null
                        ? ErrorReasons.detail(ErrorReason.BROKER_UNAVAILABLE, "the server ended the stream")
                        : ErrorReasons.detailOf(t);
                handleLoss(detail, t, done);
            }
        });
    }

    /**
     * Whether a reason that is not retriable in general is retried when reopening a session that was
     * open before (for a producer, PRODUCER_BUSY: the broker has not yet noticed that the session's
     * previous stream ended). None by default.
     */
    protected boolean retriesOnReconnect(ErrorReason reason) {
        return false;
    }

    /** The current call is gone: open another if the failure is retriable, else fail. */
    private void handleLoss(ErrorDetail detail, Throwable t, Completions done) {
        boolean freshToken = detail.getReason() == ErrorReason.NOT_AUTHENTICATED && !retriedWithFreshToken;
        if (!freshToken && !ErrorReasons.isRetriable(detail.getReason())
                && !(everOpened && retriesOnReconnect(detail.getReason()))) {
            fail(TributaryClientException.of(detail, t), done);
        } else if (!everOpened && System.nanoTime() - firstOpenDeadlineNanos >= 0) {
            fail(new TimeoutException("could not " + describe() + " within " + timeout() + "; last error "
                    + detail.getReason() + ": " + detail.getMessage()), done);
        } else {
            state = State.OPENING;
            lastError = detail;
            if (route != null) {
                route.lost(detail, t);
            }
            onDisconnected(detail, done);
            if (state != State.OPENING || current != null) {
                return; // the hook closed or aborted the session
            }
            long delayMs;
            if (freshToken) {
                // the broker ended the stream because the token expired (or refused it): reopen at once
                // with a fresh one; if that is refused too, the session fails and the owner reports it
                retriedWithFreshToken = true;
                client.authenticationRefused();
                delayMs = 0;
            } else {
                delayMs = backoff.nextDelayMs(detail);
            }
            long g = generation;
            reconnectTask = client.schedule(() -> reconnect(g), delayMs, TimeUnit.MILLISECONDS);
            if (reconnectTask == null) {
                fail(new AlreadyClosedException("the client is closed"), done);
            }
        }
    }

    private void reconnect(long lostGeneration) {
        lock.lock();
        try {
            // a newer call, or the end of the session, makes this task stale
            if (state == State.OPENING && current == null && generation == lostGeneration) {
                reconnectTask = null;
                connect();
            }
        } finally {
            lock.unlock();
        }
    }

    private void fail(TributaryClientException e, Completions done) {
        state = State.FAILED;
        endCall("the stream failed");
        onFailed(e, done);
    }

    private void finishClose(Completions done) {
        state = State.CLOSED;
        current = null;
        cancelTimer();
        cancelReconnect();
        onClosed(done);
    }

    private void endCall(String why) {
        cancelTimer();
        cancelReconnect();
        Call c = current;
        current = null;
        if (c != null) {
            c.cancel(why);
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void cancelReconnect() {
        if (reconnectTask != null) {
            reconnectTask.cancel(false);
            reconnectTask = null;
        }
    }

    private Duration timeout() {
        return client.operationTimeout();
    }

    /** One gRPC call of the session. */
    private final class Call implements ClientResponseObserver<Req, Resp> {
        final long generation;
        private ClientCallStreamObserver<Req> requests;

        Call(long generation) {
            this.generation = generation;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<Req> requestStream) {
            this.requests = requestStream;
        }

        void send(Req request) {
            try {
                requests.onNext(request);
            } catch (RuntimeException e) {
                // the call is already over; its onError brings the reconnect
                LOG.debug("{}: could not send on a finished stream: {}", describe(), e.toString());
            }
        }

        void cancel(String why) {
            try {
                requests.cancel(why, null);
            } catch (RuntimeException e) {
                LOG.debug("{}: cancel failed: {}", describe(), e.toString());
            }
        }

        @Override
        public void onNext(Resp response) {
            onResponseUnlocked(generation, response);
        }

        @Override
        public void onError(Throwable t) {
            ended(this, t);
        }

        @Override
        public void onCompleted() {
            ended(this, null);
        }
    }
}
