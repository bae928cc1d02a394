package io.tributary.storage;

import io.tributary.storage.embedded.EmbeddedBookie;
import io.tributary.storage.embedded.EmbeddedZooKeeper;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.log.ManagedLogFactory;
import io.tributary.storage.meta.MetadataStore;
import java.io.File;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.common.util.OrderedExecutor;
import org.apache.curator.framework.CuratorFramework;

/** A real ZooKeeper and a real bookie in this JVM, and clients for them. */
final class StorageTestCluster implements AutoCloseable {
    final EmbeddedZooKeeper zk;
    final EmbeddedBookie bookie;
    final CuratorFramework curator;
    final MetadataStore store;
    final OrderedExecutor executor;
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final java.util.List<BookKeeper> clients = new java.util.ArrayList<>();

    StorageTestCluster(File dir) throws Exception {
        zk = EmbeddedZooKeeper.start(new File(dir, "zk"), "127.0.0.1", 0);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        bookie = EmbeddedBookie.start(StorageClients.metadataServiceUri(zk.connectString(), "/ledgers"),
                new File(dir, "bookie"), port, false);
        curator = StorageClients.curator(zk.connectString(), "/tributary", Duration.ofSeconds(10));
        store = new MetadataStore(curator);
        executor = OrderedExecutor.newBuilder().numThreads(2).name("test-log").build();
    }

    BookKeeper newBookKeeper() throws Exception {
        BookKeeper bk = StorageClients.bookKeeper(zk.connectString(), "/ledgers");
        clients.add(bk);
        return bk;
    }

    /** A factory with its own BookKeeper client: what a second broker would have. */
    ManagedLogFactory newFactory(ManagedLogConfig config) throws Exception {
        BookKeeper bk = newBookKeeper();
        return new ManagedLogFactory(store, bk, config, name -> executor.chooseThread(name));
    }

    @Override
    public void close() throws Exception {
        for (BookKeeper bk : clients) {
            bk.close();
        }
        curator.close();
        executor.shutdown();
        scheduler.shutdownNow();
        bookie.close();
        zk.close();
    }
}
