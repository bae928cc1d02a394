package io.tributary.broker.loadmanager;

import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.cluster.BrokerClients;
import io.tributary.broker.cluster.ClusterView;
import io.tributary.broker.metrics.BrokerMetrics;
import io.tributary.broker.namespace.Bundle;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.ownership.BundleMover;
import io.tributary.broker.ownership.OwnershipService;
import io.tributary.broker.ownership.OwnershipService.Owner;
import io.tributary.internal.v1.AcquireBundleRequest;
import io.tributary.internal.v1.AssignBundleRequest;
import io.tributary.internal.v1.BrokerRegistration;
import io.tributary.internal.v1.DrainBrokerRequest;
import io.tributary.internal.v1.LoadReport;
import io.tributary.internal.v1.SplitBundleRequest;
import io.tributary.internal.v1.UnloadBundleRequest;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.meta.MetadataPaths;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads bundles over brokers. Every broker runs one: it publishes the broker's load report and
 * takes part in the leader election (Curator LeaderLatch on {@code leader}). The leader assigns
 * unowned bundles and, every interval, sheds and splits per {@link BalancingPolicy}; the others
 * send it their assignment requests. Moves are carried out by the bundle's owner
 * ({@link BundleMover}), which the leader calls.
 */
public final class LoadManager implements OwnershipService.Assigner, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoadManager.class);

    private final LoadBalancerConfig config;
    private final OwnershipService ownership;
    private final BundleMover mover;
    private final LoadReporter reporter;
    private final NamespaceService namespaces;
    private final ClusterView cluster;
    private final BrokerClients clients;
    private final BrokerMetrics metrics;
    private final ScheduledExecutorService scheduler;
    private final LeaderLatch latch;
    private final UnreportedAssignments unreported;
    private final Map<Bundle, CompletableFuture<Owner>> assigning = new ConcurrentHashMap<>();
    private volatile boolean cycleRunning;
    private volatile boolean closed;

    public LoadManager(LoadBalancerConfig config, CuratorFramework curator, OwnershipService ownership, BundleMover mover,
                       LoadReporter reporter, NamespaceService namespaces, ClusterView cluster, BrokerClients clients,
                       BrokerMetrics metrics, ScheduledExecutorService scheduler) {
        this.config = config;
        this.ownership = ownership;
        this.mover = mover;
        this.reporter = reporter;
        this.namespaces = namespaces;
        this.cluster = cluster;
        this.clients = clients;
        this.metrics = metrics;
        this.scheduler = scheduler;
        // a report older than a few intervals means the broker is in trouble; stop counting for it then
        this.unreported = new UnreportedAssignments(3 * config.reportInterval().toMillis() + 10_000);
        this.latch = new LeaderLatch(curator, MetadataPaths.LEADER, ownership.brokerId() + "|" + ownership.address());
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                metrics.isLeader.set(1);
                LOG.info("broker {} is now the load manager leader", ownership.brokerId());
            }

            @Override
            public void notLeader() {
                metrics.isLeader.set(0);
                LOG.info("broker {} is no longer the load manager leader", ownership.brokerId());
            }
        });
    }

    public void start() throws Exception {
        reporter.publish().get(10, TimeUnit.SECONDS);
        latch.start();
        long report = config.reportInterval().toMillis();
        scheduler.scheduleWithFixedDelay(reporter::publish, report, report, TimeUnit.MILLISECONDS);
        long interval = config.interval().toMillis();
        scheduler.scheduleWithFixedDelay(this::runCycleSafely, interval, interval, TimeUnit.MILLISECONDS);
    }

    public boolean isLeader() {
        return latch.hasLeadership();
    }

    // ------------------------------------------------------------------ assignment

    /** Chooses a broker for an unowned bundle: the leader decides; without one, this broker takes it. */
    @Override
    public CompletableFuture<Owner> assign(Bundle bundle) {
        if (isLeader()) {
            return assignAsLeader(bundle);
        }
        return cluster.leader().thenCompose(leader -> {
            if (leader.isEmpty() || leader.get()[0].equals(ownership.brokerId())) {
                // no leader yet (start-up, election in progress): serving beats waiting
                return ownership.acquire(bundle, "");
            }
            return clients.control(leader.get()[0], Duration.ofSeconds(10),
                            c -> c.assignBundle(AssignBundleRequest.newBuilder().setNamespace(bundle.namespace())
                                    .setBundle(bundle.name()).build()))
                    .thenApply(o -> new Owner(o.getBrokerId(), o.getAddress()))
                    .exceptionallyCompose(e -> ErrorReasons.detailOf(e).getReason() == ErrorReason.NOT_OWNER
                            ? ownership.ownerOf(bundle).thenApply(o -> o.orElseThrow(() -> new CompletionException(e)))
                            : CompletableFuture.failedFuture(new TributaryException(ErrorReason.SERVICE_NOT_READY,
                            "the load manager leader could not assign bundle " + bundle + ": " + ErrorReasons.detailOf(e).getMessage())));
        });
    }

    /** On the leader: the least loaded live broker takes the bundle. Concurrent requests share one decision. */
    public CompletableFuture<Owner> assignAsLeader(Bundle bundle) {
        CompletableFuture<Owner> f = new CompletableFuture<>();
        CompletableFuture<Owner> running = assigning.putIfAbsent(bundle, f);
        if (running != null) {
            return running;
        }
        ownership.ownerOf(bundle).thenCompose(existing -> existing.isPresent()
                        ? CompletableFuture.completedFuture(existing.get())
                        : reports().thenCompose(reports -> tryAssign(bundle, reports, new HashSet<>())))
                .whenComplete((owner, err) -> {
                    assigning.remove(bundle, f);
                    if (err != null) {
                        metrics.assignmentFailed("unowned", err);
                        f.completeExceptionally(err);
                    } else {
                        f.complete(owner);
                    }
                });
        return f;
    }

    private CompletableFuture<Owner> tryAssign(Bundle bundle, Map<String, LoadReport> reports, Set<String> failed) {
        long now = System.currentTimeMillis();
        Optional<String> choice = BalancingPolicy.leastLoaded(reports.values(), unreported.counts(reports.values(), now), failed);
        if (choice.isEmpty()) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.SERVICE_NOT_READY,
                    "no broker can take bundle " + bundle));
        }
        String id = choice.get();
        unreported.add(id, bundle, now);
        CompletableFuture<Owner> acquired = id.equals(ownership.brokerId())
                ? ownership.acquire(bundle, "")
                : clients.control(id, Duration.ofSeconds(10),
                        c -> c.acquireBundle(AcquireBundleRequest.newBuilder().setNamespace(bundle.namespace())
                                .setBundle(bundle.name()).build()))
                .thenApply(o -> new Owner(o.getBrokerId(), o.getAddress()));
        return acquired.thenApply(owner -> {
            metrics.assignments.labels("unowned").inc();
            LOG.info("assigned bundle {} to {} (least loaded of {} brokers)", bundle, owner.brokerId(), reports.size());
            return owner;
        }).exceptionallyCompose(e -> {
            if (ErrorReasons.detailOf(e).getReason() == ErrorReason.NOT_OWNER) {
                // somebody else got it first: that is the answer
                return ownership.ownerOf(bundle).thenApply(o -> o.orElseThrow(() -> new CompletionException(e)));
            }
            LOG.warn("broker {} could not take bundle {}: {}; trying another", id, bundle, e.toString());
            failed.add(id);
            return tryAssign(bundle, reports, failed);
        });
    }

    /** Load reports of live brokers, with this broker's freshest one. */
    private CompletableFuture<Map<String, LoadReport>> reports() {
        return cluster.loadReports().thenApply(r -> {
            Map<String, LoadReport> out = new HashMap<>(r);
            out.put(ownership.brokerId(), reporter.latest());
            return out;
        });
    }

    // ------------------------------------------------------------------ shedding and splitting

    private void runCycleSafely() {
        if (closed || !config.enabled() || !isLeader() || cycleRunning) {
            return;
        }
        cycleRunning = true;
        runCycle().whenComplete((v, e) -> {
            cycleRunning = false;
            if (e != null) {
                LOG.warn("load balancing cycle failed: {}", e.toString());
            }
        });
    }

    /** One leader cycle: split what is too hot or crowded, then shed from overloaded brokers. */
    public CompletableFuture<Void> runCycle() {
        return reports().thenCompose(reports -> {
            Map<String, Integer> bundleCounts = new HashMap<>();
            for (LoadReport r : reports.values()) {
                r.getBundlesList().forEach(b -> bundleCounts.merge(b.getNamespace(), 1, Integer::sum));
            }
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            for (BalancingPolicy.Split s : BalancingPolicy.splits(reports.values(), config, bundleCounts)) {
                LOG.info("splitting bundle {}/{} on {}: {}", s.namespace(), s.bundle(), s.owner(), s.reason());
                chain = chain.thenCompose(v -> control(reports, s.owner(), c -> c.splitBundle(SplitBundleRequest.newBuilder()
                        .setNamespace(s.namespace()).setBundle(s.bundle()).setReason(s.reason()).build()))
                        .handle((x, e) -> {
                            if (e != null && !BrokerMetrics.answeredByPeer(e)) {
                                metrics.splitFailed(s.reason(), e); // the owner never heard of it
                            }
                            return logFailure(e, "split of " + s.bundle());
                        }));
            }
            for (BalancingPolicy.Move m : BalancingPolicy.shed(reports.values(), config, System.currentTimeMillis())) {
                LOG.info("moving bundle {}/{} from {} to {} ({} msg/s): {}", m.namespace(), m.bundle(), m.from(), m.to(),
                        Math.round(m.load()), m.reason());
                chain = chain.thenCompose(v -> control(reports, m.from(), c -> c.unloadBundle(UnloadBundleRequest.newBuilder()
                        .setNamespace(m.namespace()).setBundle(m.bundle()).setDestinationBrokerId(m.to())
                        .setReason("shed: " + m.reason()).build()))
                        .handle((x, e) -> {
                            if (e != null && !BrokerMetrics.answeredByPeer(e)) {
                                metrics.unloadFailed("shed", e); // the owner never heard of it
                            }
                            return logFailure(e, "move of " + m.bundle());
                        }));
            }
            return chain;
        });
    }

    private static Void logFailure(Throwable e, String what) {
        if (e != null) {
            LOG.warn("{} failed: {}", what, e.toString());
        }
        return null;
    }

    private <T> CompletableFuture<T> control(Map<String, LoadReport> reports, String brokerId,
            java.util.function.Function<io.tributary.internal.v1.BrokerControlServiceGrpc.BrokerControlServiceFutureStub,
                    com.google.common.util.concurrent.ListenableFuture<T>> call) {
        LoadReport r = reports.get(brokerId);
        if (r == null) {
            return CompletableFuture.failedFuture(new TributaryException(ErrorReason.BROKER_UNAVAILABLE, "broker " + brokerId + " is gone"));
        }
        return clients.control(brokerId, Duration.ofSeconds(60), call);
    }

    // ------------------------------------------------------------------ operations (admin, shutdown)

    /** Moves a bundle to {@code destinationId}, or to the least loaded other broker if empty. */
    public CompletableFuture<Owner> unloadBundle(Bundle bundle, String destinationId, String reason) {
        return ownership.ownerOf(bundle).thenCompose(owner -> {
            if (owner.isEmpty()) {
                throw new CompletionException(new TributaryException(ErrorReason.NOT_ALLOWED,
                        "bundle " + bundle + " has no owner; it is assigned when a client first uses it"));
            }
            return destination(bundle, destinationId, Set.of(owner.get().brokerId())).thenApply(dest -> Map.entry(owner.get(), dest));
        }).whenComplete((target, e) -> {
            if (e != null) {
                metrics.unloadFailed(reason, e); // refused before any broker tried
            }
        }).thenCompose(target -> {
            Owner owner = target.getKey();
            Owner dest = target.getValue();
            if (owner.brokerId().equals(ownership.brokerId())) {
                return mover.unload(bundle, dest, reason);
            }
            return clients.control(owner.brokerId(), Duration.ofSeconds(60),
                            c -> c.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(bundle.namespace())
                                    .setBundle(bundle.name()).setDestinationBrokerId(dest.brokerId()).setReason(reason).build()))
                    .whenComplete((r, e) -> {
                        if (e != null && !BrokerMetrics.answeredByPeer(e)) {
                            metrics.unloadFailed(reason, e); // the owner never heard of it
                        }
                    })
                    .thenApply(r -> new Owner(r.getNewOwner().getBrokerId(), r.getNewOwner().getAddress()));
        });
    }

    /** Where {@code bundle} should move: the named live broker, or the least loaded one outside {@code exclude}. */
    public CompletableFuture<Owner> destination(Bundle bundle, String brokerId, Set<String> exclude) {
        if (brokerId != null && !brokerId.isEmpty()) {
            return cluster.brokers().thenApply(brokers -> {
                BrokerRegistration reg = brokers.get(brokerId);
                if (reg == null) {
                    throw new CompletionException(new TributaryException(ErrorReason.INVALID_REQUEST,
                            "no live broker " + brokerId));
                }
                if (exclude.contains(brokerId)) {
                    throw new CompletionException(new TributaryException(ErrorReason.INVALID_REQUEST,
                            "broker " + brokerId + " already owns the bundle"));
                }
                return new Owner(reg.getBrokerId(), reg.getAddress());
            });
        }
        return reports().thenApply(reports -> {
            long now = System.currentTimeMillis();
            String id = BalancingPolicy.leastLoaded(reports.values(), unreported.counts(reports.values(), now), exclude)
                    .orElseThrow(() -> new CompletionException(new TributaryException(ErrorReason.NOT_ALLOWED,
                            "no other broker to move to")));
            unreported.add(id, bundle, now);
            return new Owner(id, reports.get(id).getAddress());
        });
    }

    /** Moves every bundle off {@code brokerId} (this one, or another one asked to drain itself). */
    public CompletableFuture<Integer> drain(String brokerId) {
        if (brokerId.isEmpty() || brokerId.equals(ownership.brokerId())) {
            return drainSelf();
        }
        return cluster.brokers().thenCompose(brokers -> {
            BrokerRegistration reg = brokers.get(brokerId);
            if (reg == null) {
                throw new CompletionException(new TributaryException(ErrorReason.INVALID_REQUEST, "no live broker " + brokerId));
            }
            return clients.control(brokerId, Duration.ofMinutes(10),
                    c -> c.drainBroker(DrainBrokerRequest.newBuilder().setBrokerId(brokerId).build()))
                    .thenApply(r -> r.getBundlesMoved());
        });
    }

    /**
     * Stops taking new bundles and moves each owned one to the least loaded other broker, one after
     * the other. Completes with the number moved; with no other broker, nothing moves.
     */
    public CompletableFuture<Integer> drainSelf() {
        reporter.setDraining(true);
        return reporter.publish().thenCompose(r -> reports()).thenCompose(reports -> {
            if (BalancingPolicy.leastLoaded(reports.values(), Map.of(), Set.of(ownership.brokerId())).isEmpty()) {
                LOG.info("broker {} has no other broker to hand its bundles to", ownership.brokerId());
                return CompletableFuture.completedFuture(0);
            }
            List<Bundle> bundles = List.copyOf(ownership.ownedBundles());
            LOG.info("draining broker {}: {} bundles to move", ownership.brokerId(), bundles.size());
            CompletableFuture<Integer> chain = CompletableFuture.completedFuture(0);
            for (Bundle b : bundles) {
                chain = chain.thenCompose(moved -> mover.unloadTo(b, destination(b, "", Set.of(ownership.brokerId())), "drain")
                        .handle((owner, e) -> {
                            if (e != null) {
                                LOG.warn("draining bundle {} failed: {}", b, e.toString());
                                return moved;
                            }
                            return moved + 1;
                        }));
            }
            return chain;
        });
    }

    /** Splits a bundle, asking its owner. */
    public CompletableFuture<List<String>> split(Bundle bundle, String reason) {
        return ownership.ownerOf(bundle).thenCompose(owner -> {
            if (owner.isEmpty()) {
                TributaryException e = new TributaryException(ErrorReason.NOT_ALLOWED,
                        "bundle " + bundle + " has no owner; it can be split once it is used");
                metrics.splitFailed(reason, e);
                throw new CompletionException(e);
            }
            if (owner.get().brokerId().equals(ownership.brokerId())) {
                return mover.split(bundle, reason).thenApply(bs -> bs.stream().map(Bundle::name).toList());
            }
            return clients.control(owner.get().brokerId(), Duration.ofSeconds(60),
                    c -> c.splitBundle(SplitBundleRequest.newBuilder().setNamespace(bundle.namespace()).setBundle(bundle.name())
                            .setReason(reason).build()))
                    .whenComplete((r, e) -> {
                        if (e != null && !BrokerMetrics.answeredByPeer(e)) {
                            metrics.splitFailed(reason, e); // the owner never heard of it
                        }
                    })
                    .thenApply(r -> List.copyOf(r.getBundlesList()));
        });
    }

    public LoadReporter reporter() {
        return reporter;
    }

    /** Gives up leadership (another broker takes over within moments) and stops the cycles. */
    @Override
    public void close() {
        closed = true;
        try {
            latch.close(LeaderLatch.CloseMode.NOTIFY_LEADER);
        } catch (Exception e) {
            LOG.debug("leaving the election failed: {}", e.toString());
        }
    }

}
