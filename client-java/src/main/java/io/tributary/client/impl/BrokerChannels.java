package io.tributary.client.impl;

import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.client.TributaryClientException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of a {@link io.tributary.client.ConnectionMode#DIRECT} client to the brokers: one
 * channel per broker address, made on first use with the service URL's TLS and token, closed with
 * the client; topic lookups through the service URL; which addresses this client has ever reached
 * (a stream opened there), so that an address it never reached can be told apart from a broker
 * that went away. Thread-safe.
 */
public final class BrokerChannels {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerChannels.class);

    private final Function<String, ManagedChannel> channelFactory;
    private final ClientChannels.Security security;
    private final LookupServiceGrpc.LookupServiceStub lookup;
    private final Duration lookupTimeout;
    private final Set<String> reached = ConcurrentHashMap.newKeySet();
    private final Set<String> fallbackLogged = ConcurrentHashMap.newKeySet();

    // guarded by this
    private final Map<String, ManagedChannel> channels = new HashMap<>();
    private final Map<String, MessagingServiceGrpc.MessagingServiceStub> stubs = new HashMap<>();
    private boolean closed;

    /**
     * @param channelFactory makes a channel to a {@code host:port} (the client's settings and TLS)
     * @param security the token to put on every call of those channels
     * @param service the service URL's channel (with its credentials), for lookups
     * @param lookupTimeout the deadline of one lookup
     */
    public BrokerChannels(Function<String, ManagedChannel> channelFactory, ClientChannels.Security security,
                          Channel service, Duration lookupTimeout) {
        this.channelFactory = channelFactory;
        this.security = security;
        this.lookup = LookupServiceGrpc.newStub(service);
        this.lookupTimeout = lookupTimeout;
    }

    /** The owner's address of {@code topic}, as the service URL answers a Lookup: "" when it names none. */
    public CompletableFuture<String> lookup(String topic) {
        CompletableFuture<String> result = new CompletableFuture<>();
        LookupRequest request = LookupRequest.newBuilder().setTopic(topic).build();
        // a stream's lookup must not inherit the deadline or cancellation of the caller's call
        Context.ROOT.run(() -> lookup.withDeadlineAfter(lookupTimeout.toNanos(), TimeUnit.NANOSECONDS)
                .lookup(request, new StreamObserver<LookupResponse>() {
                    @Override
                    public void onNext(LookupResponse value) {
                        result.complete(value.getBrokerAddress());
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        result.complete(""); // no answer: nothing named
                    }
                }));
        return result;
    }

    /** The messaging stub on the channel to {@code address}; null once closed. */
    public synchronized MessagingServiceGrpc.MessagingServiceStub stub(String address) {
        if (closed) {
            return null;
        }
        MessagingServiceGrpc.MessagingServiceStub stub = stubs.get(address);
        if (stub == null) {
            ManagedChannel channel = channelFactory.apply(address);
            channels.put(address, channel);
            stub = MessagingServiceGrpc.newStub(ClientChannels.withCredentials(channel, security));
            stubs.put(address, stub);
        }
        return stub;
    }

    /** A stream opened on {@code address}: the client can reach it. */
    public void reached(String address) {
        reached.add(address);
    }

    /** Whether a stream of this client ever opened on {@code address}. */
    public boolean everReached(String address) {
        return reached.contains(address);
    }

    /** A topic's stream goes through the service URL because {@code address} cannot be reached; logged once per address. */
    void fellBack(String topic, String address, String why) {
        if (address.isEmpty()) {
            LOG.info("Streams of {} go through the service URL: {}", topic, why);
        } else if (fallbackLogged.add(address)) {
            LOG.info("Cannot reach broker {} ({}) for {}: streams of topics it owns go through the service URL",
                    address, why, topic);
        } else {
            LOG.debug("Cannot reach broker {} for {}: through the service URL", address, topic);
        }
    }

    /** Starts closing every channel; what is made later is refused. */
    public void shutdown() {
        for (ManagedChannel c : closeAll()) {
            c.shutdown();
        }
    }

    /** Waits up to {@code timeout} for the channels to end, then ends them at once. */
    public void awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (ManagedChannel c : closeAll()) {
            if (!c.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                c.shutdownNow();
            }
        }
    }

    private synchronized List<ManagedChannel> closeAll() {
        closed = true;
        return List.copyOf(channels.values());
    }

    /** A channel to {@code target} as the client makes them; fails clearly on unreadable TLS files. */
    static ManagedChannel unchecked(ChannelMaker maker, String target) {
        try {
            return maker.make(target);
        } catch (TributaryClientException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Makes a channel to a {@code host:port}. */
    interface ChannelMaker {
        ManagedChannel make(String target) throws TributaryClientException;
    }
}
