package io.tributary.storage.meta;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * Asynchronous access to the metadata tree in ZooKeeper. Every update that two brokers could
 * race on takes the version read before ({@link Versioned#version()}) and fails with
 * {@link KeeperException.BadVersionException} when somebody else wrote in between.
 * Paths are relative to the Curator namespace (the configured root, default {@code /tributary}).
 */
public final class MetadataStore {
    private final CuratorFramework curator;

    public MetadataStore(CuratorFramework curator) {
        this.curator = curator;
    }

    public CuratorFramework curator() {
        return curator;
    }

    /** A value read together with the version that a compare-and-set must name. */
    public record Versioned<T>(T value, int version) {}

    public CompletableFuture<Optional<Versioned<byte[]>>> get(String path) {
        return call(cb -> curator.getData().inBackground(cb).forPath(path),
                e -> Optional.of(new Versioned<>(e.getData(), e.getStat().getVersion())), Optional::empty);
    }

    /** A node's value with its version and the session that owns it (0 for a persistent node). */
    public record Node(byte[] value, int version, long ephemeralOwner) {}

    /** The node with its version and ephemeral owner, for a compare-and-set that must also know whose it is. */
    public CompletableFuture<Optional<Node>> getNode(String path) {
        return call(cb -> curator.getData().inBackground(cb).forPath(path),
                e -> Optional.of(new Node(e.getData(), e.getStat().getVersion(), e.getStat().getEphemeralOwner())),
                Optional::empty);
    }

    /**
     * The id of the ZooKeeper session this client has now (0 if it has none): ephemeral nodes whose
     * {@link Node#ephemeralOwner()} is another session are not ours, whatever they say.
     */
    public long sessionId() {
        try {
            return curator.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return 0;
        }
    }

    public CompletableFuture<Boolean> exists(String path) {
        return call(cb -> curator.checkExists().inBackground(cb).forPath(path), e -> e.getStat() != null, () -> false);
    }

    /** Creates a node (and missing parents as persistent containers); returns its version 0. */
    public CompletableFuture<Integer> create(String path, byte[] data, CreateMode mode) {
        return call(cb -> curator.create().creatingParentContainersIfNeeded().withMode(mode).inBackground(cb).forPath(path, data),
                e -> 0, null);
    }

    /** Compare-and-set: writes only if the node still has {@code expectedVersion}; returns the new version. */
    public CompletableFuture<Integer> set(String path, byte[] data, int expectedVersion) {
        return call(cb -> curator.setData().withVersion(expectedVersion).inBackground(cb).forPath(path, data),
                e -> e.getStat().getVersion(), null);
    }

    /**
     * Deletes a node if it has {@code expectedVersion}, the version read before deciding to delete it
     * (-1, any version, is for nodes nobody races on); a missing node is not an error.
     */
    public CompletableFuture<Void> delete(String path, int expectedVersion) {
        return call(cb -> curator.delete().withVersion(expectedVersion).inBackground(cb).forPath(path), e -> null, () -> null);
    }

    /** Deletes a node and everything under it. */
    public CompletableFuture<Void> deleteRecursively(String path) {
        return call(cb -> curator.delete().deletingChildrenIfNeeded().inBackground(cb).forPath(path), e -> null, () -> null);
    }

    /** Children names, sorted; a missing parent has none. */
    public CompletableFuture<List<String>> children(String path) {
        return call(cb -> curator.getChildren().inBackground(cb).forPath(path),
                e -> e.getChildren().stream().sorted().toList(), List::of);
    }

    /** Starts one background operation with the given callback. */
    private interface Operation {
        void start(BackgroundCallback callback) throws Exception;
    }

    /**
     * Runs a background operation as a future: its result from the event on success, the value of
     * {@code ifMissing} when the node does not exist (null: that is an error), a KeeperException otherwise.
     */
    private static <T> CompletableFuture<T> call(Operation op, Function<CuratorEvent, T> onSuccess, Supplier<T> ifMissing) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            op.start((c, e) -> {
                int rc = e.getResultCode();
                if (rc == KeeperException.Code.NONODE.intValue() && ifMissing != null) {
                    f.complete(ifMissing.get());
                } else if (rc == KeeperException.Code.OK.intValue()) {
                    f.complete(onSuccess.apply(e));
                } else {
                    f.completeExceptionally(KeeperException.create(KeeperException.Code.get(rc), e.getPath()));
                }
            });
        } catch (Exception ex) {
            f.completeExceptionally(ex);
        }
        return f;
    }

    /** True if {@code t} (possibly wrapped) is the ZooKeeper error {@code code}. */
    public static boolean is(Throwable t, KeeperException.Code code) {
        Throwable c = t;
        while (c != null) {
            if (c instanceof KeeperException && ((KeeperException) c).code() == code) {
                return true;
            }
            c = c.getCause();
        }
        return false;
    }
}
