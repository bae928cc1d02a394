package io.tributary.storage.meta;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

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
        CompletableFuture<Optional<Versioned<byte[]>>> f = new CompletableFuture<>();
        try {
            curator.getData().inBackground((c, e) -> {
                if (e.getResultCode() == KeeperException.Code.NONODE.intValue()) {
                    f.complete(Optional.empty());
                } else if (ok(e, f)) {
                    f.complete(Optional.of(new Versioned<>(e.getData(), e.getStat().getVersion())));
                }
            }).forPath(path);
        } catch (Exception ex) {
            f.completeExceptionally(ex);
        }
        return f;
    }

    public CompletableFuture<Boolean> exists(String path) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        try {
            curator.checkExists().inBackground((c, e) -> {
                if (e.getResultCode() == KeeperException.Code.NONODE.intValue()) {
                    f.complete(false);
                } else if (ok(e, f)) {
                    f.complete(e.getStat() != null);
                }
            }).forPath(path);
        } catch (Exception ex) {
            f.completeExceptionally(ex);
        }
        return f;
    }

    /** Creates a node (and missing parents as persistent containers); returns its version 0. */
    public CompletableFuture<Integer> create(String path, byte[] data, CreateMode mode) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        try {
            curator.create().creatingParentContainersIfNeeded().withMode(mode).inBackground((c, e) -> {
                if (ok(e, f)) {
                    f.complete(0);
                }
            }).forPath(path, data);
        } catch (Exception ex) {
            f.completeExceptionally(ex);
        }
        return f;
    }

    /** Compare-and-set: writes only if the node still has {@code expectedVersion}; returns the new version. */
    public CompletableFuture<Integer> set(String path, byte[] data, int expectedVersion) {
        CompletableFuture<Integer> f = new CompletableFuture<>();
        try {
            curator.setData().withVersion(expectedVersion).inBackground((c, e) -> {
                if (ok(e, f)) {
                    f.complete(e.getStat().getVersion());
                }
            }).forPath(path, data);
        } catch (Exception ex) {
            f.completeExceptionally(ex);
        }
        return f;
    }

    /** Deletes a node if it has {@code expectedVersion} (-1: any); a missing node is not an error. */
    public CompletableFuture<Void> delete(String path, int expectedVersion) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        try {
            curator.delete().withVersion(expectedVersion).inBackground((c, e) -> {
                if (e.getResultCode() == KeeperException.Code.NONODE.intValue()) {
                    f.complete(null);
                } else if (ok(e, f)) {
                    f.complete(null);
                }
            }).forPath(path);
        } catch (Exception ex) {
            f.completeExceptionally(ex);
        }
        return f;
    }

    /** Deletes a node and everything under it. */
    public CompletableFuture<Void> deleteRecursively(String path) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        try {
            curator.delete().deletingChildrenIfNeeded().inBackground((c, e) -> {
                if (e.getResultCode() == KeeperException.Code.NONODE.intValue()) {
                    f.complete(null);
                } else if (ok(e, f)) {
                    f.complete(null);
                }
            }).forPath(path);
        } catch (Exception ex) {
            f.completeExceptionally(ex);
        }
        return f;
    }

    /** Children names, sorted; a missing parent has none. */
    public CompletableFuture<List<String>> children(String path) {
        CompletableFuture<List<String>> f = new CompletableFuture<>();
        try {
            curator.getChildren().inBackground((c, e) -> {
                if (e.getResultCode() == KeeperException.Code.NONODE.intValue()) {
                    f.complete(List.of());
                } else if (ok(e, f)) {
                    f.complete(e.getChildren().stream().sorted().toList());
                }
            }).forPath(path);
        } catch (Exception ex) {
            f.completeExceptionally(ex);
        }
        return f;
    }

    public Optional<Stat> statSync(String path) throws Exception {
        return Optional.ofNullable(curator.checkExists().forPath(path));
    }

    private static boolean ok(CuratorEvent e, CompletableFuture<?> f) {
        int rc = e.getResultCode();
        if (rc == KeeperException.Code.OK.intValue()) {
            return true;
        }
        f.completeExceptionally(KeeperException.create(KeeperException.Code.get(rc), e.getPath()));
        return false;
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
