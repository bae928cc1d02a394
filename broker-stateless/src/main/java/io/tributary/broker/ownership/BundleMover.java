package io.tributary.broker.ownership;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.cluster.BrokerClients;
import io.tributary.broker.metrics.BrokerMetrics;
import io.tributary.broker.namespace.Bundle;
import io.tributary.broker.namespace.NamespaceService;
import io.tributary.broker.topic.TopicService;
import io.tributary.internal.v1.AcquireBundleRequest;
import io.tributary.internal.v1.BundleOwner;
import io.tributary.internal.v1.NamespacePolicies;
import io.tributary.internal.v1.PrepareBundleRequest;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the owner of a bundle does to hand it over or split it.
 *
 * <p>A move: the destination is told to expect the bundle (requests for it wait there instead of
 * failing); the bundle is marked moving here (new requests are answered with the destination's
 * address); its topics are closed, which lets in-flight appends finish, seals their ledgers and
 * persists cursors, and tells connected clients the new owner; the ownership znode is released; the
 * destination acquires the bundle and opens the topics at once. Clients and proxies go straight to
 * the destination: nobody has to look the topic up again.
 */
public final class BundleMover {
    private static final Logger LOG = LoggerFactory.getLogger(BundleMover.class);

    private final OwnershipService ownership;
    private final TopicService topics;
    private final NamespaceService namespaces;
    private final MetadataStore store;
    private final BrokerClients clients;
    private final BrokerMetrics metrics;
    private final Duration timeout;
    private final Map<Bundle, CompletableFuture<OwnershipService.Owner>> inProgress = new ConcurrentHashMap<>();

    public BundleMover(OwnershipService ownership, TopicService topics, NamespaceService namespaces, MetadataStore store,
                       BrokerClients clients, BrokerMetrics metrics, Duration timeout) {
        this.ownership = ownership;
        this.topics = topics;
        this.namespaces = namespaces;
        this.store = store;
        this.clients = clients;
        this.metrics = metrics;
        this.timeout = timeout;
    }

    /** Hands a bundle this broker owns to {@code destination}. */
    public CompletableFuture<OwnershipService.Owner> unload(Bundle bundle, OwnershipService.Owner destination, String reason) {
        if (!ownership.ownsLocally(bundle)) {
            return failed(new TributaryException(ErrorReason.NOT_OWNER,
                    "broker " + ownership.brokerId() + " does not own bundle " + bundle), e -> metrics.unloadFailed(reason, e));
        }
        if (destination.brokerId().equals(ownership.brokerId())) {
            return CompletableFuture.completedFuture(destination);
        }
        CompletableFuture<OwnershipService.Owner> f = new CompletableFuture<>();
        CompletableFuture<OwnershipService.Owner> running = inProgress.putIfAbsent(bundle, f);
        if (running != null) {
            return running;
        }
        long start = System.nanoTime();
        LOG.info("moving bundle {} from {} to {} ({})", bundle, ownership.brokerId(), destination.brokerId(), reason);
        clients.control(destination.brokerId(), timeout, c -> c.prepareBundle(PrepareBundleRequest.newBuilder()
                        .setNamespace(bundle.namespace()).setBundle(bundle.name()).setTimeoutMs(timeout.toMillis()).build()))
                .thenCompose(prepared -> {
                    ownership.markMoving(bundle, destination);
                    ErrorDetail movedTo = ErrorDetail.newBuilder().setReason(ErrorReason.NOT_OWNER)
                            .setMessage("bundle " + bundle + " moved to broker " + destination.brokerId())
                            .setOwnerAddress(destination.address()).build();
                    return topics.unloadBundle(bundle, movedTo);
                })
                .thenCompose(closed -> ownership.release(bundle).thenApply(v -> closed))
                .thenCompose(closed -> clients.control(destination.brokerId(), timeout,
                        c -> c.acquireBundle(AcquireBundleRequest.newBuilder().setNamespace(bundle.namespace())
                                .setBundle(bundle.name()).setPreviousBrokerId(ownership.brokerId())
                                .addAllTopics(closed.stream().map(TopicName::toString).toList()).build())))
                .whenComplete((owner, err) -> {
                    ownership.clearMoving(bundle);
                    inProgress.remove(bundle, f);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    if (err != null) {
                        // the bundle may be unowned now: the next lookup assigns it again
                        LOG.warn("moving bundle {} to {} failed after {} s: {}", bundle, destination.brokerId(),
                                String.format("%.3f", seconds), err.toString());
                        metrics.unloadFailed(reason, err);
                        f.completeExceptionally(err);
                    } else {
                        metrics.bundleMoveDuration.observe(seconds);
                        metrics.unloads.labels(BrokerMetrics.reasonLabel(reason)).inc();
                        LOG.info("bundle {} moved to {} in {} ms", bundle, owner.getBrokerId(), Math.round(seconds * 1000));
                        f.complete(new OwnershipService.Owner(owner.getBrokerId(), owner.getAddress()));
                    }
                });
        return f;
    }

    /**
     * {@link #unload} to where {@code destination} says; a destination that cannot be had (no such live
     * broker, no other broker) is a failed move too.
     */
    public CompletableFuture<OwnershipService.Owner> unloadTo(Bundle bundle, CompletableFuture<OwnershipService.Owner> destination,
                                                              String reason) {
        return destination.whenComplete((d, e) -> {
            if (e != null) {
                metrics.unloadFailed(reason, e);
            }
        }).thenCompose(d -> unload(bundle, d, reason));
    }

    private static <T> CompletableFuture<T> failed(Throwable e, java.util.function.Consumer<Throwable> count) {
        count.accept(e);
        return CompletableFuture.failedFuture(e);
    }

    /** Called on the destination of a move once it owns the bundle: opens the topics before clients ask. */
    public void preload(List<String> topicNames) {
        for (String t : topicNames) {
            try {
                topics.topic(TopicName.of(t), false).exceptionally(e -> null);
            } catch (RuntimeException e) {
                LOG.debug("not preloading {}: {}", t, e.toString());
            }
        }
    }

    /**
     * Splits a bundle this broker owns into two halves at its middle hash. Both halves stay here;
     * the load manager may move either afterwards.
     */
    public CompletableFuture<List<Bundle>> split(Bundle bundle, String reason) {
        if (!ownership.ownsLocally(bundle)) {
            return failed(new TributaryException(ErrorReason.NOT_OWNER,
                    "broker " + ownership.brokerId() + " does not own bundle " + bundle), e -> metrics.splitFailed(reason, e));
        }
        if (bundle.upper() - bundle.lower() < 2) {
            return failed(new TributaryException(ErrorReason.NOT_ALLOWED,
                    "bundle " + bundle + " is too small to split"), e -> metrics.splitFailed(reason, e));
        }
        long mid = bundle.lower() + (bundle.upper() - bundle.lower()) / 2;
        Bundle low = new Bundle(bundle.namespace(), bundle.lower(), mid);
        Bundle high = new Bundle(bundle.namespace(), mid, bundle.upper());
        String path = MetadataPaths.namespace(bundle.namespace());
        return ownership.claimHalves(bundle, low, high)
                .thenCompose(v -> store.get(path))
                .thenCompose(v -> {
                    NamespacePolicies p;
                    try {
                        p = NamespacePolicies.parseFrom(v.orElseThrow().value());
                    } catch (InvalidProtocolBufferException e) {
                        throw new CompletionException(e);
                    }
                    List<Long> bounds = new ArrayList<>(p.getBundleBoundariesList());
                    int i = bounds.indexOf(bundle.lower());
                    if (i < 0 || i + 1 >= bounds.size() || bounds.get(i + 1) != bundle.upper()) {
                        throw new CompletionException(new TributaryException(ErrorReason.BUNDLE_MOVING,
                                "bundle " + bundle + " is no longer part of " + bundle.namespace()));
                    }
                    bounds.add(i + 1, mid);
                    NamespacePolicies next = p.toBuilder().clearBundleBoundaries().addAllBundleBoundaries(bounds).build();
                    return store.set(path, next.toByteArray(), v.get().version());
                })
                .thenCompose(version -> {
                    namespaces.invalidate(bundle.namespace());
                    return ownership.release(bundle);
                })
                .handle((v, err) -> {
                    if (err != null) {
                        // undo the halves' claims; the whole bundle stays as it was
                        if (ownership.ownsLocally(bundle)) {
                            ownership.release(low);
                            ownership.release(high);
                        }
                        metrics.splitFailed(reason, err);
                        throw ErrorReasons.asCompletion(err);
                    }
                    metrics.splits.labels(BrokerMetrics.reasonLabel(reason)).inc();
                    LOG.info("split bundle {} into {} and {} ({})", bundle, low.name(), high.name(), reason);
                    return List.of(low, high);
                });
    }

    public static BundleOwner toProto(OwnershipService.Owner o) {
        return BundleOwner.newBuilder().setBrokerId(o.brokerId()).setAddress(o.address()).build();
    }
}
