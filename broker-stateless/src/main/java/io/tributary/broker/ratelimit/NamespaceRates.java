package io.tributary.broker.ratelimit;

import io.tributary.api.v1.Rate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The publish buckets of namespaces on this broker, one per namespace, shared by its topics here. A
 * namespace's limit holds for all brokers together: this broker enforces the limit times its share
 * of the namespace's bundles (the ones it owns over all of them), recomputed every second so that
 * it follows ownership changes.
 */
public final class NamespaceRates {

    /** One namespace's bucket, its limit and this broker's share of it. */
    public static final class Shared {
        private final String namespace;
        private final TokenBucket bucket = new TokenBucket();
        private volatile Rate limit = Rate.getDefaultInstance();
        private volatile double share = 1;
        private volatile Rate enforced = Rate.getDefaultInstance();

        Shared(String namespace) {
            this.namespace = namespace;
        }

        /** The namespace's limit, over all brokers (from its policies). */
        void limit(Rate r) {
            if (!r.equals(limit)) {
                limit = r;
                apply();
            }
        }

        void share(double s) {
            if (s != share) {
                share = s;
                apply();
            }
        }

        private synchronized void apply() {
            Rate r = Rate.newBuilder().setMessagesPerSecond(scale(limit.getMessagesPerSecond(), share))
                    .setBytesPerSecond(scale(limit.getBytesPerSecond(), share)).build();
            enforced = r;
            bucket.setRate(r);
        }

        private static long scale(long limit, double share) {
            return limit <= 0 ? 0 : Math.max(1, Math.round(limit * share));
        }

        TokenBucket bucket() {
            return bucket;
        }

        /** This broker's share of the namespace's limit, as it is enforced. */
        public Rate enforced() {
            return enforced;
        }

        public String namespace() {
            return namespace;
        }
    }

    private final Map<String, Shared> byNamespace = new ConcurrentHashMap<>();
    private final ToDoubleFunction<String> shareOf;

    /**
     * @param shareOf   this broker's share of a namespace's bundles, in (0, 1]
     * @param scheduler recomputes the shares every second
     */
    public NamespaceRates(ToDoubleFunction<String> shareOf, ScheduledExecutorService scheduler) {
        this.shareOf = shareOf;
        if (scheduler != null) {
            scheduler.scheduleWithFixedDelay(this::refresh, 1, 1, TimeUnit.SECONDS);
        }
    }

    /** A registry without sharing: each namespace's whole limit applies here (one broker; tests). */
    public static NamespaceRates unshared() {
        return new NamespaceRates(ns -> 1, null);
    }

    /** The namespace's shared bucket on this broker. */
    public Shared of(String namespace) {
        return byNamespace.computeIfAbsent(namespace, ns -> {
            Shared s = new Shared(ns);
            try {
                s.share(shareOf.applyAsDouble(ns));
            } catch (RuntimeException e) {
                // the bundles are not known yet: the whole limit until the next refresh
            }
            return s;
        });
    }

    /** Recomputes every namespace's share (after an ownership change; every second). */
    public void refresh() {
        for (Shared s : byNamespace.values()) {
            try {
                s.share(shareOf.applyAsDouble(s.namespace()));
            } catch (RuntimeException e) {
                // the namespace's bundles are not known now: keep the last share
            }
        }
    }
}
