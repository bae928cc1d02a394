package io.tributary.proxy;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.tributary.metrics.Readiness;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Whether the proxy can reach a broker, for {@code /health/ready}: ready while some broker answered a
 * forwarded call within {@link #RECENT}; otherwise each configured broker is asked for its health (one
 * check at a time however many probes come, each bounded by {@link #CHECK_TIMEOUT}), and the proxy is
 * ready once one says SERVING. A broker that answers with an error of its own (a refusal, NOT_OWNER)
 * counts as reachable; a transport failure or BROKER_UNAVAILABLE / SERVICE_NOT_READY does not.
 */
final class BrokerReachability implements Readiness {
    /** A broker answered this recently: no need to ask. */
    static final Duration RECENT = Duration.ofSeconds(5);
    /** The longest a probe waits for the brokers' health checks. */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

    private final Supplier<List<String>> addresses;
    private final Function<String, Channel> channels;
    /** System.nanoTime() of the last answer from a broker; 0: none yet. */
    private volatile long lastAnswerNanos;
    private CompletableFuture<String> check;

    /** @param channels the channel to a broker address (the proxy's {@link BrokerChannels}) */
    BrokerReachability(Supplier<List<String>> addresses, Function<String, Channel> channels) {
        this.addresses = addresses;
        this.channels = channels;
    }

    /** Notes every answer brokers give to forwarded calls; put it on the channels to brokers. */
    ClientInterceptor observer() {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                ClientCall<Q, R> call = next.newCall(method, options);
                if (method.getFullMethodName().equals(HealthGrpc.getCheckMethod().getFullMethodName())) {
                    return call; // a NOT_SERVING answer is no sign of a serving broker: the check decides itself
                }
                return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onHeaders(Metadata h) {
                                answered();
                                super.onHeaders(h);
                            }

                            @Override
                            public void onMessage(R message) {
                                answered();
                                super.onMessage(message);
                            }

                            @Override
                            public void onClose(Status status, Metadata trailers) {
                                if (status.isOk() || brokerAnswered(status, trailers)) {
                                    answered();
                                }
                                super.onClose(status, trailers);
                            }
                        }, headers);
                    }
                };
            }
        };
    }

    private static boolean brokerAnswered(Status status, Metadata trailers) {
        Status.Code code = status.getCode();
        if (code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.CANCELLED) {
            return false;
        }
        return !Calls.isBrokerUnavailable(status.asRuntimeException(trailers));
    }

    private void answered() {
        lastAnswerNanos = System.nanoTime();
    }

    @Override
    public String notReadyBecause() {
        long last = lastAnswerNanos;
        if (last != 0 && System.nanoTime() - last < RECENT.toNanos()) {
            return null;
        }
        CompletableFuture<String> current = currentCheck();
        try {
            return current.get(CHECK_TIMEOUT.toMillis() + 250, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return "no broker answered a health check within " + CHECK_TIMEOUT.toMillis() + " ms (" + addresses.get() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while checking the brokers";
        } catch (ExecutionException e) {
            return "checking the brokers failed: " + e.getCause();
        }
    }

    /** The health check under way, or a new one: probes arriving meanwhile share it. */
    private synchronized CompletableFuture<String> currentCheck() {
        if (check == null || check.isDone()) {
            check = checkBrokers();
        }
        return check;
    }

    /** Asks every configured broker at once; null as soon as one is SERVING, else why none is. */
    private CompletableFuture<String> checkBrokers() {
        CompletableFuture<String> result = new CompletableFuture<>();
        Map<String, String> failures = new TreeMap<>();
        List<String> known = addresses.get();
        if (known.isEmpty()) {
            result.complete("no broker known: none is registered in ZooKeeper and no broker service URL is configured");
            return result;
        }
        HealthCheckRequest request = HealthCheckRequest.getDefaultInstance();
        Context previous = Context.ROOT.attach(); // no client's role or deadline goes with it
        try {
            for (String address : known) {
                Channel channel;
                try {
                    channel = channels.apply(address);
                } catch (RuntimeException e) {
                    failed(result, failures, known.size(), address, e.getMessage());
                    continue;
                }
                Futures.addCallback(HealthGrpc.newFutureStub(channel)
                        .withDeadlineAfter(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                        .check(request), new FutureCallback<>() {
                            @Override
                            public void onSuccess(HealthCheckResponse response) {
                                if (response.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                                    answered();
                                    result.complete(null);
                                } else {
                                    failed(result, failures, known.size(), address, response.getStatus().name());
                                }
                            }

                            @Override
                            public void onFailure(Throwable t) {
                                Status s = Status.fromThrowable(t);
                                failed(result, failures, known.size(), address, s.getCode()
                                        + (s.getDescription() == null ? "" : " " + s.getDescription()));
                            }
                        }, MoreExecutors.directExecutor());
            }
        } finally {
            Context.ROOT.detach(previous);
        }
        return result;
    }

    private void failed(CompletableFuture<String> result, Map<String, String> failures, int asked, String address,
                        String why) {
        synchronized (failures) {
            failures.put(address, why);
            if (failures.size() == asked) {
                result.complete("no broker reachable: " + failures);
            }
        }
    }
}
