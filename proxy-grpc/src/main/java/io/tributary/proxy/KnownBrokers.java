package io.tributary.proxy;

import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.ErrorReasons;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The brokers the proxy knows, for calls any broker can answer (lookups, admin): those registered in
 * ZooKeeper when the proxy discovers them ({@link BrokerDiscovery}), else (or while none is registered)
 * those of the configured broker service URL. Calls start at the next broker in turn and move on to the
 * following one while a broker is unavailable.
 */
public final class KnownBrokers {
    private static final Logger LOG = LoggerFactory.getLogger(KnownBrokers.class);

    private final Supplier<List<String>> addresses;
    private final BrokerChannels channels;
    private final AtomicInteger next = new AtomicInteger();

    /** The brokers {@code addresses} names at each call. */
    public KnownBrokers(Supplier<List<String>> addresses, BrokerChannels channels) {
        this.addresses = addresses;
        this.channels = channels;
    }

    /** The brokers known now. */
    public List<String> addresses() {
        return addresses.get();
    }

    public BrokerChannels channels() {
        return channels;
    }

    /**
     * Sends a unary call to one configured broker, trying the others in turn while the broker reached is
     * unavailable (transport failure, BROKER_UNAVAILABLE, SERVICE_NOT_READY). Any other failure, and the last
     * broker's failure, completes the future as is.
     */
    public <Q, R> CompletableFuture<R> call(MethodDescriptor<Q, R> method, Q request, CallOptions options,
                                            Context ctx) {
        CompletableFuture<R> result = new CompletableFuture<>();
        List<String> known = addresses.get();
        if (known.isEmpty()) {
            result.completeExceptionally(ErrorReasons.toStatus(ErrorReasons.detail(ErrorReason.BROKER_UNAVAILABLE,
                    "no broker is known: none is registered in ZooKeeper and no broker service URL is configured")));
            return result;
        }
        int start = Math.floorMod(next.getAndIncrement(), known.size());
        attempt(method, request, options, ctx, known, start, 0, result);
        return result;
    }

    private <Q, R> void attempt(MethodDescriptor<Q, R> method, Q request, CallOptions options, Context ctx,
                                List<String> addresses, int start, int tried, CompletableFuture<R> result) {
        String address = addresses.get((start + tried) % addresses.size());
        // a frozen broker (its connection open, nothing answering) must not hold the call until its deadline
        // while other brokers could answer: every attempt but the last is bounded by the stall time
        boolean othersLeft = tried + 1 < addresses.size();
        CallOptions attemptOptions = options;
        Deadline stall = Deadline.after(StreamForwarder.STALL_TIME.toNanos(), TimeUnit.NANOSECONDS);
        if (othersLeft && (options.getDeadline() == null || stall.isBefore(options.getDeadline()))) {
            attemptOptions = options.withDeadline(stall);
        }
        boolean attemptBounded = attemptOptions != options;
        CompletableFuture<R> call;
        try {
            call = Calls.unary(channels.channel(address), method, attemptOptions, request, ctx);
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return;
        }
        call.whenComplete((response, error) -> {
            if (error == null) {
                result.complete(response);
            } else if (othersLeft && !ctx.isCancelled() && (Calls.isBrokerUnavailable(error) || attemptBounded
                    && Status.fromThrowable(ErrorReasons.unwrap(error)).getCode() == Status.Code.DEADLINE_EXCEEDED)) {
                LOG.debug("{} failed on broker {} ({}); trying the next broker",
                        method.getBareMethodName(), address, error.getMessage());
                attempt(method, request, options, ctx, addresses, start, tried + 1, result);
            } else {
                result.completeExceptionally(error);
            }
        });
    }
}
