package io.tributary.broker.ownership;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.namespace.Bundle;
import io.tributary.internal.v1.BundleOwnership;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who owns which bundle. Ownership is an ephemeral znode under {@code ownership/}: it exists as
 * long as the owner's ZooKeeper session, so a crashed broker's bundles become free by themselves.
 * Creating the znode is the atomic claim: of two brokers racing, one gets NODEEXISTS.
 */
public final class OwnershipService {
    private static final Logger LOG = LoggerFactory.getLogger(OwnershipService.class);

    /** The owner of a bundle: a broker id and the address clients reach it at. */
    public record Owner(String brokerId, String address) {}

    private final MetadataStore store;
    private final String brokerId;
    private final String address;
    private final Set<Bundle> owned = ConcurrentHashMap.newKeySet();

    public OwnershipService(MetadataStore store, String brokerId, String address) {
        this.store = store;
        this.brokerId = brokerId;
        this.address = address;
    }

    public String brokerId() {
        return brokerId;
    }

    public boolean ownsLocally(Bundle b) {
        return owned.contains(b);
    }

    public Set<Bundle> ownedBundles() {
        return Set.copyOf(owned);
    }

    public CompletableFuture<Optional<Owner>> ownerOf(Bundle b) {
        return store.get(MetadataPaths.ownership(b.namespace(), b.name())).thenApply(v -> v.map(x -> {
            try {
                BundleOwnership o = BundleOwnership.parseFrom(x.value());
                return new Owner(o.getBrokerId(), o.getAddress());
            } catch (InvalidProtocolBufferException e) {
                throw new CompletionException(e);
            }
        }));
    }

    /**
     * The owner of a bundle, claiming it for this broker if nobody owns it. (The load manager
     * will choose the broker for unowned bundles; until then the broker asked takes it.)
     */
    public CompletableFuture<Owner> lookup(Bundle b) {
        if (owned.contains(b)) {
            return CompletableFuture.completedFuture(new Owner(brokerId, address));
        }
        return ownerOf(b).thenCompose(o -> o.isPresent() ? CompletableFuture.completedFuture(o.get()) : tryAcquire(b));
    }

    private CompletableFuture<Owner> tryAcquire(Bundle b) {
        BundleOwnership record = BundleOwnership.newBuilder().setBrokerId(brokerId).setAddress(address)
                .setSinceMs(System.currentTimeMillis()).setState("OWNED").build();
        return store.create(MetadataPaths.ownership(b.namespace(), b.name()), record.toByteArray(), CreateMode.EPHEMERAL)
                .thenApply(v -> {
                    owned.add(b);
                    LOG.info("broker {} now owns bundle {}", brokerId, b);
                    return new Owner(brokerId, address);
                })
                .exceptionallyCompose(e -> {
                    if (MetadataStore.is(e, KeeperException.Code.NODEEXISTS)) {
                        return ownerOf(b).thenApply(o -> o.orElseThrow(() -> new CompletionException(
                                new TributaryException(ErrorReason.BUNDLE_MOVING, "bundle " + b + " is changing owner"))));
                    }
                    return CompletableFuture.failedFuture(e);
                });
    }

    /**
     * Completes if this broker owns (or could just claim) the bundle; otherwise fails with
     * NOT_OWNER naming the owner, which the proxy and the SDK follow.
     */
    public CompletableFuture<Void> checkOwnership(Bundle b) {
        return lookup(b).thenAccept(owner -> {
            if (!owner.brokerId().equals(brokerId)) {
                throw new CompletionException(new TributaryException(ErrorDetail.newBuilder()
                        .setReason(ErrorReason.NOT_OWNER)
                        .setMessage("bundle " + b + " is served by broker " + owner.brokerId())
                        .setOwnerAddress(owner.address()).build(), null));
            }
        });
    }

    /** Gives a bundle up: deletes the ownership znode. */
    public CompletableFuture<Void> release(Bundle b) {
        owned.remove(b);
        return store.delete(MetadataPaths.ownership(b.namespace(), b.name()), -1);
    }
}
