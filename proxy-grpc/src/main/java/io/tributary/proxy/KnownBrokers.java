package io.tributary.proxy;

import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.tributary.protocol.ErrorReasons;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The brokers of the configured broker service URL, used for calls any broker can answer (lookups, admin).
 * Calls start at the next broker in turn and move on to the following one while a broker is unavailable.
 */
public final class ConfiguredBrokers {
    private static final Logger LOG = LoggerFactory.getLogger(ConfiguredBrokers.class);

    private final List<String> addresses;
    private final BrokerChannels channels;
    private final AtomicInteger next = new AtomicInteger();

    public ConfiguredBrokers(List<String> addresses, BrokerChannels channels) {
        if (addresses == null || addresses.isEmpty()) {
            throw new IllegalArgumentException("at least one broker address is required");
        }
        this.addresses = List.copyOf(addresses);
        this.channels = channels;
    }

    public List<String> addresses() {
        return addresses;
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
        int start = Math.floorMod(next.getAndIncrement(), addresses.size());
        attempt(method, request, options, ctx, start, 0, result);
        return result;
    }

    private <Q, R> void attempt(MethodDescriptor<Q, R> method, Q request, CallOptions options, Context ctx,
                                int start, int tried, CompletableFuture<R> result) {
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
                attempt(method, request, options, ctx, start, tried + 1, result);
            } else {
                result.completeExceptionally(error);
            }
        });
    }
}
