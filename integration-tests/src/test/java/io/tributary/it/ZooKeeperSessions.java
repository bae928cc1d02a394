package io.tributary.it;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/** Ends a client's ZooKeeper session from outside, as the server does when the session times out. */
final class ZooKeeperSessions {
    private ZooKeeperSessions() {}

    /**
     * Expires the current session of {@code client}: a second connection joins the same session (same
     * id and password) and closes it, which ends the session on the server for both; its ephemeral
     * nodes go at once, and {@code client} hears that its session expired.
     */
    static void expire(CuratorFramework client, String connectString) throws Exception {
        ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper twin = new ZooKeeper(connectString, 10_000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, zk.getSessionId(), zk.getSessionPasswd());
        try {
            if (!connected.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("could not join session " + Long.toHexString(zk.getSessionId()));
            }
        } finally {
            twin.close();
        }
    }
}
