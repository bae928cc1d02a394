package io.tributary.security.auth;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A streaming call admitted with a token that expires: at the expiry the call is closed with
 * {@code status} (UNAUTHENTICATED, "reconnect with a fresh token"). gRPC's ServerCall is not
 * thread-safe, so every method the application calls goes through one lock shared with the timer;
 * what the application sends after the timer closed the call is dropped, not thrown at it. The
 * timer is cancelled (and removed from the shared scheduler) as soon as the call ends otherwise.
 */
final class ExpiringCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private final Status status;
    private final Metadata trailers;
    private volatile boolean closed;
    private volatile boolean expired;
    private boolean ended;
    private ScheduledFuture<?> timer;

    ExpiringCall(ServerCall<Q, R> call, Status status, Metadata trailers) {
        super(call);
        this.status = status;
        this.trailers = trailers;
    }

    /** Starts the timer; call after the application's listener exists. */
    synchronized void closeAt(Instant expiry, Clock clock) {
        if (closed || ended) {
            return;
        }
        long delay = Math.max(0, Duration.between(clock.instant(), expiry).toMillis());
        timer = Background.EXPIRY.schedule(this::expire, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * The listener the transport calls: passes everything on, stops the timer when the call ends,
     * and once the token expired drops what the client still sends and reports the end as a
     * cancel. gRPC reports a call the server closed as completed, but the application did not
     * close it: only onCancel makes a stream handler (ServerCalls' request observer, its cancel
     * handler) let go of what it holds for the stream.
     */
    ServerCall.Listener<Q> watching(ServerCall.Listener<Q> listener) {
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                if (!expired) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                if (!expired) {
                    super.onHalfClose();
                }
            }

            @Override
            public void onReady() {
                if (!expired) {
                    super.onReady();
                }
            }

            @Override
            public void onComplete() {
                ended();
                if (expired) {
                    super.onCancel();
                } else {
                    super.onComplete();
                }
            }

            @Override
            public void onCancel() {
                ended();
                super.onCancel();
            }
        };
    }

    private synchronized void ended() {
        ended = true;
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private synchronized void expire() {
        if (closed || ended) {
            return;
        }
        closed = true;
        expired = true;
        super.close(status, trailers);
    }

    @Override
    public synchronized void close(Status s, Metadata t) {
        if (closed) {
            return;
        }
        closed = true;
        if (timer != null) {
            timer.cancel(false);
        }
        super.close(s, t);
    }

    @Override
    public synchronized void sendMessage(R message) {
        if (!closed) {
            super.sendMessage(message);
        }
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
        if (!closed) {
            super.sendHeaders(headers);
        }
    }

    @Override
    public synchronized void request(int n) {
        if (!closed) {
            super.request(n);
        }
    }

    @Override
    public synchronized void setMessageCompression(boolean enabled) {
        super.setMessageCompression(enabled);
    }

    @Override
    public synchronized void setCompression(String compressor) {
        super.setCompression(compressor);
    }

    @Override
    public boolean isReady() {
        return !closed && super.isReady();
    }
}
