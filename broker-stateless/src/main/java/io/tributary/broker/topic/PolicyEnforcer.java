package io.tributary.broker.topic;

import io.tributary.broker.dispatch.Subscription;
import io.tributary.protocol.EntryCodec;
import io.tributary.protocol.TopicName;
import io.tributary.storage.log.ManagedLog;
import io.tributary.storage.log.Position;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a topic's namespace policies, every policy check interval: ledger rollover by age,
 * message TTL, backlog-quota eviction (and a fresh quota check for held publishes), and retention.
 * Each step runs on the topic's executor.
 */
final class PolicyEnforcer {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyEnforcer.class);

    private final TopicName name;
    private final ManagedLog log;
    private final Executor executor;
    private final BacklogQuotaGuard quota;
    /** The topic's open durable subscriptions (call on the executor). */
    private final Supplier<List<Subscription>> durableSubscriptions;

    /** The names of the topic's subscriptions stored in ZooKeeper, loaded here or not. */
    private final Supplier<CompletableFuture<List<String>>> storedSubscriptions;

    PolicyEnforcer(TopicName name, ManagedLog log, Executor executor, BacklogQuotaGuard quota,
                   Supplier<List<Subscription>> durableSubscriptions,
                   Supplier<CompletableFuture<List<String>>> storedSubscriptions) {
        this.name = name;
        this.log = log;
        this.executor = executor;
        this.quota = quota;
        this.durableSubscriptions = durableSubscriptions;
        this.storedSubscriptions = storedSubscriptions;
    }

    /**
     * Applies the policies once: rolls an old ledger over, expires messages past the TTL, enforces
     * the backlog quota, and deletes ledgers that every subscription acknowledged and retention no
     * longer covers. Returns the ledgers deleted.
     */
    CompletableFuture<List<Long>> maintain(Policies p) {
        return CompletableFuture.supplyAsync(() -> {
            quota.policies(p);
            return log.rolloverIfAged().exceptionally(e -> false);
        }, executor).thenCompose(f -> f).thenComposeAsync(rolled -> {
            if (p.messageTtlMs() <= 0 || durableSubscriptions.get().stream().allMatch(s -> s.cursor().backlog() == 0)) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            long cutoff = System.currentTimeMillis() - p.messageTtlMs();
            return log.findFirst(e -> EntryCodec.header(e).getPublishTimeMs(), cutoff).thenAcceptAsync(firstLive -> {
                for (Subscription s : durableSubscriptions.get()) {
                    s.recordExpired(s.skipTo(firstLive));
                }
            }, executor);
        }, executor).thenComposeAsync(v -> {
            if (BacklogQuotaGuard.evicts(p)) {
                for (Subscription s : durableSubscriptions.get()) {
                    if (s.backlogBytes() > p.backlogQuotaBytes()) {
                        long skipped = s.skipTo(log.positionWithBytesAfter(p.backlogQuotaBytes()));
                        LOG.info("{}/{}: backlog over the quota of {} bytes; evicted {} entries", name, s.name(),
                                p.backlogQuotaBytes(), skipped);
                    }
                }
            }
            quota.recheck();
            return storedSubscriptions.get();
        }, executor).thenComposeAsync(stored -> {
            // never trim past a stored cursor that is not loaded here: its position is unknown
            Set<String> loaded = new HashSet<>();
            Position consumed = log.lastConfirmed();
            for (Subscription s : durableSubscriptions.get()) {
                loaded.add(s.name());
                Position md = s.cursor().markDeletePosition();
                if (md.isBefore(consumed)) {
                    consumed = md;
                }
            }
            List<String> missing = stored.stream().filter(n -> !loaded.contains(n)).toList();
            if (!missing.isEmpty()) {
                LOG.info("{}: not trimming: the cursor(s) of {} are stored but not loaded", name, missing);
                return CompletableFuture.completedFuture(List.<Long>of());
            }
            return log.trimLedgers(consumed, p.retentionTimeMs(), p.retentionSizeBytes(), System.currentTimeMillis());
        }, executor);
    }
}
