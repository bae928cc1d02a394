package io.tributary.chaos.run;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * Walks the cluster's metadata in ZooKeeper after a run and finds its largest znode: ZooKeeper refuses a
 * znode over 1 MiB, so metadata that only grows (dedup state, ack state) shows here long before it wedges a topic.
 *
 * @param path the largest znode
 * @param bytes its size
 * @param znodes how many znodes were read
 */
record MetadataSurvey(String path, long bytes, long znodes) {

    static MetadataSurvey of(String zkConnect, String root) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(zkConnect, 30_000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        try {
            if (!connected.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("cannot reach ZooKeeper at " + zkConnect);
            }
            String largest = root;
            long largestBytes = -1;
            long count = 0;
            Deque<String> todo = new ArrayDeque<>();
            todo.push(root);
            while (!todo.isEmpty()) {
                String path = todo.pop();
                Stat stat = zk.exists(path, false);
                if (stat == null) {
                    continue; // gone since it was listed
                }
                count++;
                if (stat.getDataLength() > largestBytes) {
                    largestBytes = stat.getDataLength();
                    largest = path;
                }
                try {
                    for (String child : zk.getChildren(path, false)) {
                        todo.push(("/".equals(path) ? "" : path) + "/" + child);
                    }
                } catch (KeeperException.NoNodeException e) {
                    // deleted meanwhile
                }
            }
            return new MetadataSurvey(largest, largestBytes, count);
        } finally {
            zk.close();
        }
    }
}
