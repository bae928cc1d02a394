package io.tributary.proxy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.internal.v1.BrokerRegistration;
import io.tributary.storage.StorageClients;
import io.tributary.storage.meta.MetadataPaths;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The brokers that run now, as ZooKeeper knows them: a broker registers an ephemeral znode
 * {@code brokers/{id}} naming its client address while it serves, and loses it when it stops or its
 * session expires. A watch keeps the list current, so the proxy follows brokers as they come and go
 * (a Deployment scaled up or down, every broker replaced in a rolling upgrade) without any broker
 * address in its configuration. While ZooKeeper cannot be reached, the last list is kept.
 */
final class BrokerDiscovery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerDiscovery.class);

    private final CuratorFramework curator;
    private final CuratorCache cache;
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();
    private volatile List<String> addresses = List.of();

    private BrokerDiscovery(CuratorFramework curator) {
        this.curator = curator;
        this.cache = CuratorCache.build(curator, MetadataPaths.BROKERS);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forAll((type, before, after) -> {
                    if (loaded.isDone()) {
                        refresh();
                    }
                })
                .forInitialized(() -> {
                    refresh();
                    loaded.complete(null);
                })
                .build());
    }

    /** Watches the brokers registered in the ZooKeeper of {@code settings}. */
    static BrokerDiscovery start(BrokerDiscoverySettings settings) {
        CuratorFramework curator = StorageClients.curator(settings.zookeeperServers(), settings.metadataRoot(),
                settings.sessionTimeout(), settings.zookeeperTls());
        BrokerDiscovery discovery = new BrokerDiscovery(curator);
        discovery.cache.start();
        return discovery;
    }

    /** The client addresses of the registered brokers, sorted; empty until the first read or when none runs. */
    List<String> addresses() {
        return addresses;
    }

    /** Completes once the registrations have been read once. */
    CompletableFuture<Void> whenLoaded() {
        return loaded;
    }

    private synchronized void refresh() {
        TreeSet<String> now = new TreeSet<>();
        cache.stream().filter(d -> d.getPath().startsWith(MetadataPaths.BROKERS + "/"))
                .forEach(d -> address(d).ifPresent(now::add));
        List<String> next = List.copyOf(now);
        if (!next.equals(addresses)) {
            LOG.info("brokers registered in ZooKeeper: {}", next.isEmpty() ? "none" : next);
            addresses = next;
        }
    }

    private static Optional<String> address(ChildData d) {
        if (d.getData() == null) {
            return Optional.empty();
        }
        try {
            String address = BrokerRegistration.parseFrom(d.getData()).getAddress();
            return address.isBlank() ? Optional.empty() : Optional.of(address);
        } catch (InvalidProtocolBufferException e) {
            LOG.warn("ignoring the unreadable broker registration {}: {}", d.getPath(), e.toString());
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        cache.close();
        curator.close();
    }
}
