package io.tributary.broker.ownership;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.metrics.BrokerMetrics;
import io.tributary.broker.namespace.Bundle;
import io.tributary.internal.v1.BundleOwnership;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who owns which bundle. Ownership is an ephemeral znode under {@code ownership/}: it lives as long
 * as the owner's ZooKeeper session, so a crashed broker's bundles become free by themselves.
 * Creating the znode is the atomic claim: of two brokers racing, one gets NODEEXISTS.
 *
 * <p>Unowned bundles are not claimed by whoever is asked: the {@link Assigner} (the load manager's
 * leader) chooses the broker. A bundle being handed over is "moving" on the old owner (requests are
 * answered with the new owner's address) and "incoming" on the new one (requests wait for it).
 */
public final class OwnershipService {
    private static final Logger LOG = LoggerFactory.getLogger(OwnershipService.class);

    /** The owner of a bundle: a broker id and the address clients reach it at. */
    public record Owner(String brokerId, String address) {}

    /** Since when this broker owns a bundle, and who owned it before. */
    public record OwnedBundle(long sinceMs, String previousBrokerId) {}

    /** Chooses a broker for an unowned bundle and has it take the bundle. */
    public interface Assigner {
        CompletableFuture<Owner> assign(Bundle bundle);
    }

    private final MetadataStore store;
    private final String brokerId;
    private final String address;
    private final BrokerMetrics metrics;
    private final Map<Bundle, OwnedBundle> owned = new ConcurrentHashMap<>();
    private final Map<Bundle, Owner> moving = new ConcurrentHashMap<>();
    private final Map<Bundle, CompletableFuture<Void>> incoming = new ConcurrentHashMap<>();
    private volatile Assigner assigner;

    public OwnershipService(MetadataStore store, String brokerId, String address, BrokerMetrics metrics) {
        this.store = store;
        this.brokerId = brokerId;
        this.address = address;
        this.metrics = metrics;
        this.assigner = this::acquireHere;
    }

    public void setAssigner(Assigner assigner) {
        this.assigner = assigner;
    }

    public String brokerId() {
        return brokerId;
    }

    public String address() {
        return address;
    }

    public Owner self() {
        return new Owner(brokerId, address);
    }

    public boolean ownsLocally(Bundle b) {
        return owned.containsKey(b);
    }

    public Set<Bundle> ownedBundles() {
        return Set.copyOf(owned.keySet());
    }

    public OwnedBundle ownedInfo(Bundle b) {
        return owned.get(b);
    }

    public CompletableFuture<Optional<Owner>> ownerOf(Bundle b) {
        return store.get(MetadataPaths.ownership(b.namespace(), b.name())).thenApply(v -> v.map(x -> parse(x.value())));
    }

    private static Owner parse(byte[] data) {
        try {
            BundleOwnership o = BundleOwnership.parseFrom(data);
            return new Owner(o.getBrokerId(), o.getAddress());
        } catch (InvalidProtocolBufferException e) {
            throw new CompletionException(e);
        }
    }

    /** The owner of a bundle; an unowned bundle is assigned first. */
    public CompletableFuture<Owner> lookup(Bundle b) {
        // a bundle being handed away is still owned until released: the destination answers for it
        Owner dest = moving.get(b);
        if (dest != null) {
            return CompletableFuture.completedFuture(dest);
        }
        if (owned.containsKey(b)) {
            return CompletableFuture.completedFuture(self());
        }
        CompletableFuture<Void> arriving = incoming.get(b);
        if (arriving != null) {
            return arriving.thenApply(v -> self());
        }
        return ownerOf(b).thenCompose(o -> o.isPresent() ? CompletableFuture.completedFuture(o.get()) : assigner.assign(b));
    }

    /**
     * Completes if this broker serves the bundle (waiting for a bundle being handed to it);
     * otherwise fails with NOT_OWNER naming the owner, which the proxy and the SDK follow.
     *
     * <p>A bundle being handed away is refused from the moment it is marked moving, although it is
     * owned until released. This is what keeps a topic load from outliving the move: a load checks
     * ownership after it has registered with the {@code TopicService}, and the move closes every
     * topic registered by the time it was marked; a load that registered later sees the mark here.
     * Without this, a load that passed the check during the hand-over opened the log after the new
     * owner had, fencing the new owner's ledger.
     */
    public CompletableFuture<Void> checkOwnership(Bundle b) {
        Owner dest = moving.get(b);
        if (dest != null) {
            return CompletableFuture.failedFuture(notOwner(b, dest));
        }
        if (owned.containsKey(b)) {
            return CompletableFuture.completedFuture(null);
        }
        return lookup(b).thenAccept(owner -> {
            if (!owner.brokerId().equals(brokerId)) {
                throw new CompletionException(notOwner(b, owner));
            }
        });
    }

    private TributaryException notOwner(Bundle b, Owner owner) {
        metrics.lookupRedirects.inc();
        return new TributaryException(ErrorDetail.newBuilder()
                .setReason(ErrorReason.NOT_OWNER)
                .setMessage("bundle " + b + " is served by broker " + owner.brokerId())
                .setOwnerAddress(owner.address()).build(), null);
    }

    /** Claims the bundle for this broker now. Fails with NOT_OWNER if another broker has it. */
    public CompletableFuture<Owner> acquire(Bundle b, String previousBrokerId) {
        if (owned.containsKey(b)) {
            return CompletableFuture.completedFuture(self());
        }
        long since = System.currentTimeMillis();
        BundleOwnership record = BundleOwnership.newBuilder().setBrokerId(brokerId).setAddress(address)
                .setSinceMs(since).setState("OWNED").setPreviousBrokerId(previousBrokerId == null ? "" : previousBrokerId).build();
        return store.create(MetadataPaths.ownership(b.namespace(), b.name()), record.toByteArray(), CreateMode.EPHEMERAL)
                .thenApply(v -> {
                    owned.put(b, new OwnedBundle(since, record.getPreviousBrokerId()));
                    metrics.bundlesOwned.set(owned.size());
                    CompletableFuture<Void> waiting = incoming.remove(b);
                    if (waiting != null) {
                        waiting.complete(null);
                    }
                    LOG.info("broker {} now owns bundle {}{}", brokerId, b,
                            previousBrokerId == null || previousBrokerId.isEmpty() ? "" : " (from " + previousBrokerId + ")");
                    return self();
                })
                .exceptionallyCompose(e -> {
                    if (MetadataStore.is(e, KeeperException.Code.NODEEXISTS)) {
                        return store.getNode(MetadataPaths.ownership(b.namespace(), b.name())).thenApply(n -> {
                            MetadataStore.Node node = n.orElseThrow(() -> new CompletionException(
                                    new TributaryException(ErrorReason.BUNDLE_MOVING, "bundle " + b + " is changing owner")));
                            if (isOurs(node)) {
                                owned.putIfAbsent(b, new OwnedBundle(since, ""));
                                return self();
                            }
                            Owner other = parse(node.value());
                            if (other.brokerId().equals(brokerId)) {
                                // our claim of an earlier session: it goes when that session expires
                                throw new CompletionException(new TributaryException(ErrorReason.BUNDLE_MOVING,
                                        "bundle " + b + " is still claimed by an earlier session of broker " + brokerId));
                            }
                            throw new CompletionException(notOwner(b, other));
                        });
                    }
                    return CompletableFuture.failedFuture(e);
                });
    }

    /** The assigner of last resort (no leader known yet): this broker takes the bundle. */
    private CompletableFuture<Owner> acquireHere(Bundle b) {
        return acquire(b, "");
    }

    /** A bundle is about to be handed to this broker: requests for it wait up to {@code timeoutMs}. */
    public void prepare(Bundle b, long timeoutMs) {
        if (owned.containsKey(b)) {
            return;
        }
        CompletableFuture<Void> f = incoming.computeIfAbsent(b, k -> new CompletableFuture<>());
        f.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).whenComplete((v, e) -> incoming.remove(b, f));
    }

    /** The bundle is leaving for {@code destination}: requests are answered with its address until released. */
    public void markMoving(Bundle b, Owner destination) {
        moving.put(b, destination);
    }

    public void clearMoving(Bundle b) {
        moving.remove(b);
    }

    /**
     * Gives a bundle up: deletes the ownership znode, if it is still this broker's claim. The znode is
     * read first and deleted at the version read, and only if it names this broker and belongs to
     * this broker's current ZooKeeper session: after a session loss another broker may hold the
     * bundle already, and a late release must not delete its claim.
     */
    public CompletableFuture<Void> release(Bundle b) {
        owned.remove(b);
        metrics.bundlesOwned.set(owned.size());
        String path = MetadataPaths.ownership(b.namespace(), b.name());
        return store.getNode(path).thenCompose(node -> {
            if (node.isEmpty() || !isOurs(node.get())) {
                if (node.isPresent()) {
                    LOG.info("broker {}: bundle {} is claimed by another broker or session now; leaving its claim", brokerId, b);
                }
                return CompletableFuture.completedFuture(null);
            }
            return store.delete(path, node.get().version()).exceptionally(e -> {
                if (MetadataStore.is(e, KeeperException.Code.BADVERSION)) {
                    // changed since we read it: it is not the claim we read any more
                    return null;
                }
                throw new CompletionException(e);
            });
        });
    }

    /** Whether an ownership znode is this broker's claim, made in its current session. */
    boolean isOurs(MetadataStore.Node node) {
        if (node.ephemeralOwner() != store.sessionId()) {
            return false;
        }
        try {
            return BundleOwnership.parseFrom(node.value()).getBrokerId().equals(brokerId);
        } catch (InvalidProtocolBufferException e) {
            return false;
        }
    }

    /**
     * Replaces a bundle by its two halves after a split: the halves' znodes are created before the
     * namespace policies name them, so no other broker can claim a half that is served here.
     */
    public CompletableFuture<Void> claimHalves(Bundle whole, Bundle low, Bundle high) {
        OwnedBundle info = owned.getOrDefault(whole, new OwnedBundle(System.currentTimeMillis(), ""));
        return acquire(low, info.previousBrokerId()).thenCompose(x -> acquire(high, info.previousBrokerId()))
                .thenRun(() -> {
                    owned.put(low, info);
                    owned.put(high, info);
                });
    }

    /**
     * After the ZooKeeper connection came back: checks every bundle served here against its
     * ownership znode, which must still exist, name this broker and belong to the current session.
     * Bundles that fail the check are no longer served here; completes with them.
     */
    public CompletableFuture<Set<Bundle>> verifyClaims() {
        Map<Bundle, CompletableFuture<Boolean>> checks = new java.util.HashMap<>();
        for (Bundle b : owned.keySet()) {
            checks.put(b, store.getNode(MetadataPaths.ownership(b.namespace(), b.name()))
                    .thenApply(n -> n.isPresent() && isOurs(n.get()))
                    // not readable now: keep serving; a lost session is reported as LOST
                    .exceptionally(e -> true));
        }
        return CompletableFuture.allOf(checks.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
            Set<Bundle> lost = new java.util.HashSet<>();
            checks.forEach((b, ok) -> {
                if (!ok.join()) {
                    lost.add(b);
                    owned.remove(b);
                    moving.remove(b);
                }
            });
            metrics.bundlesOwned.set(owned.size());
            return lost;
        });
    }

    /** The ZooKeeper session is gone, and with it every ownership znode: serve nothing any more. */
    public Set<Bundle> stepDown() {
        Set<Bundle> lost = Set.copyOf(owned.keySet());
        owned.clear();
        moving.clear();
        metrics.bundlesOwned.set(0);
        return lost;
    }
}
