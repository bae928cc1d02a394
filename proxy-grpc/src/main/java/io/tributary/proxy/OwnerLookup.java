package io.tributary.proxy;

import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Status;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.LookupRequest;
import io.tributary.api.v1.LookupResponse;
import io.tributary.api.v1.LookupServiceGrpc;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.security.auth.AuthContext;
import io.tributary.security.auth.Principal;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which broker owns a topic, asked of the configured brokers through {@code LookupService.Lookup} and
 * remembered for a while. Concurrent lookups of one topic share a single call; a failed lookup is not
 * remembered. Nothing here blocks: every answer is a future.
 */
public final class OwnerLookup {
    private static final Logger LOG = LoggerFactory.getLogger(OwnerLookup.class);

    /** How long the proxy waits for a lookup it makes on its own behalf (the broker may assign the bundle). */
    public static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(30);
    /** Above this many cached topics, expired entries are swept (and, if that is not enough, all of them). */
    static final int MAX_ENTRIES = 100_000;

    private final KnownBrokers brokers;
    private final long ttlNanos;
    private final LongSupplier nanoClock;
    private final Map<TopicName, Entry> cache = new ConcurrentHashMap<>();
    private final ProxyMetrics metrics;

    public OwnerLookup(KnownBrokers brokers, Duration ttl) {
        this(brokers, ttl, new ProxyMetrics());
    }

    /** @param metrics counts lookups, cache hits and misses, and the redirects the forwarders follow */
    public OwnerLookup(KnownBrokers brokers, Duration ttl, ProxyMetrics metrics) {
        this(brokers, ttl, System::nanoTime, metrics);
    }

    OwnerLookup(KnownBrokers brokers, Duration ttl, LongSupplier nanoClock) {
        this(brokers, ttl, nanoClock, new ProxyMetrics());
    }

    private OwnerLookup(KnownBrokers brokers, Duration ttl, LongSupplier nanoClock, ProxyMetrics metrics) {
        this.brokers = Objects.requireNonNull(brokers, "brokers");
        this.ttlNanos = ttl.toNanos();
        this.nanoClock = nanoClock;
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** The proxy's metrics, where the forwarders count the redirects they follow. */
    ProxyMetrics metrics() {
        return metrics;
    }

    /** One cached answer; {@code expiresAt} is set once the lookup has succeeded. */
    private static final class Entry {
        final CompletableFuture<String> owner;
        /** the client the lookup is made for (null with authentication off) */
        final Principal principal;
        volatile long expiresAt;
        volatile boolean resolved;

        Entry(CompletableFuture<String> owner, Principal principal) {
            this.owner = owner;
            this.principal = principal;
        }

        boolean usable(long now) {
            return !resolved ? !owner.isCompletedExceptionally() : now - expiresAt < 0;
        }
    }

    /**
     * The owner's address ({@code host:port}) of a topic: from the cache while fresh, else from a lookup.
     * The lookup runs detached from the caller's context, so one caller cancelling does not fail the others
     * waiting on the same lookup; it is bounded by {@link #LOOKUP_TIMEOUT}.
     */
    public CompletableFuture<String> ownerOf(TopicName topic) {
        long now = nanoClock.getAsLong();
        Entry existing = cache.get(topic);
        if (existing != null && existing.usable(now)) {
            metrics.lookupCacheHits.inc();
            return forCaller(topic, existing);
        }
        Entry[] created = new Entry[1];
        Entry entry = cache.compute(topic, (k, old) -> {
            if (old != null && old.usable(nanoClock.getAsLong())) {
                return old;
            }
            created[0] = new Entry(new CompletableFuture<>(), AuthContext.current());
            return created[0];
        });
        if (entry == created[0]) {
            metrics.lookupCacheMisses.inc();
            sweepIfLarge();
            startLookup(topic, entry);
            return entry.owner;
        }
        metrics.lookupCacheHits.inc(); // another caller's lookup, just started
        return forCaller(topic, entry);
    }

    /**
     * A lookup made for another client, as the caller sees it: an owner found is everyone's answer, but
     * the other client's refusal (its role may not look the topic up, its token expired) is not the
     * caller's, so the caller looks the topic up as itself then.
     */
    private CompletableFuture<String> forCaller(TopicName topic, Entry entry) {
        Context caller = Context.current();
        if (Objects.equals(entry.principal, AuthContext.current())) {
            return entry.owner;
        }
        return entry.owner.exceptionallyCompose(e -> {
            Status.Code code = Status.fromThrowable(ErrorReasons.unwrap(e)).getCode();
            if (code != Status.Code.PERMISSION_DENIED && code != Status.Code.UNAUTHENTICATED) {
                return CompletableFuture.failedFuture(e);
            }
            Context previous = caller.attach();
            try {
                return ownerOf(topic); // the failed entry is gone from the cache by now
            } finally {
                caller.detach(previous);
            }
        });
    }

    private void startLookup(TopicName topic, Entry entry) {
        LookupRequest request = LookupRequest.newBuilder().setTopic(topic.toString()).build();
        CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(LOOKUP_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS);
        // detached from the caller's cancellation, but on behalf of the caller's role: the broker checks the
        // lookup as that client's, as if the client had asked itself
        Context detached = Context.ROOT.withValue(AuthContext.PRINCIPAL, AuthContext.current());
        brokers.call(LookupServiceGrpc.getLookupMethod(), request, options, detached)
                .whenComplete((response, error) -> {
                    if (error == null && response.getBrokerAddress().isBlank()) {
                        error = new TributaryException(ErrorReason.BROKER_UNAVAILABLE,
                                "lookup of " + topic + " named no owner");
                    }
                    metrics.lookups.labels(error == null ? "ok" : "failed").inc();
                    if (error != null) {
                        LOG.debug("Lookup of {} failed: {}", topic, error.toString());
                        cache.remove(topic, entry);
                        entry.owner.completeExceptionally(error);
                        return;
                    }
                    entry.expiresAt = nanoClock.getAsLong() + ttlNanos;
                    entry.resolved = true;
                    LOG.debug("Topic {} is owned by {}", topic, response.getBrokerAddress());
                    entry.owner.complete(response.getBrokerAddress());
                });
    }

    /**
     * Forwards a client's lookup as is to a configured broker, within the client's context (deadline and
     * cancellation), and remembers the answer for the topic.
     */
    public CompletableFuture<LookupResponse> lookup(TopicName topic, LookupRequest request, Context ctx) {
        return brokers.call(LookupServiceGrpc.getLookupMethod(), request, CallOptions.DEFAULT, ctx)
                .whenComplete((response, error) -> metrics.lookups.labels(error == null ? "ok" : "failed").inc())
                .thenApply(response -> {
                    if (!response.getBrokerAddress().isBlank()) {
                        remember(topic, response.getBrokerAddress());
                    }
                    return response;
                });
    }

    /** Records an owner learnt elsewhere (a broker's NOT_OWNER naming the new owner, a forwarded lookup). */
    public void remember(TopicName topic, String owner) {
        if (ttlNanos <= 0) {
            return;
        }
        Entry e = new Entry(CompletableFuture.completedFuture(owner), null); // an owner, not a refusal: anyone's
        e.expiresAt = nanoClock.getAsLong() + ttlNanos;
        e.resolved = true;
        cache.put(topic, e);
        sweepIfLarge();
    }

    /** Forgets the owner of a topic, so that the next {@link #ownerOf} looks it up again. */
    public void invalidate(TopicName topic) {
        Entry e = cache.remove(topic);
        if (e != null) {
            LOG.debug("Forgot the owner of {}", topic);
        }
    }

    /** Forgets the owner of a topic only if it is still {@code staleOwner} (a newer answer is kept). */
    public void invalidate(TopicName topic, String staleOwner) {
        cache.computeIfPresent(topic, (k, e) -> {
            if (!e.owner.isDone()) {
                return e;
            }
            if (e.owner.isCompletedExceptionally()) {
                return null;
            }
            String current = e.owner.getNow(null);
            return current == null || current.equals(staleOwner) ? null : e;
        });
    }

    /** Number of cached topics, fresh or not (for tests and metrics). */
    public int size() {
        return cache.size();
    }

    private void sweepIfLarge() {
        if (cache.size() <= MAX_ENTRIES) {
            return;
        }
        long now = nanoClock.getAsLong();
        cache.entrySet().removeIf(en -> en.getValue().resolved && now - en.getValue().expiresAt >= 0);
        if (cache.size() > MAX_ENTRIES) {
            cache.entrySet().removeIf(en -> en.getValue().resolved);
        }
    }
}
