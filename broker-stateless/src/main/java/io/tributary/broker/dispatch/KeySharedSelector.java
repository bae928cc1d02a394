package io.tributary.broker.dispatch;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Picks the consumer of a key on a Key_Shared subscription: a hash ring with a fixed number of
 * points per consumer, placed by the consumer's name. A key goes to the consumer owning the first
 * point at or after the key's hash, so a consumer joining or leaving moves only the keys next to
 * its points, and a consumer that reconnects under the same name gets the same keys back.
 */
final class KeySharedSelector {
    static final int POINTS_PER_CONSUMER = 100;

    /** Point on the ring to the consumers placed there (two consumers may share a name). */
    private final TreeMap<Integer, List<Consumer>> ring = new TreeMap<>();

    static int hashOf(String key) {
        return Hashing.murmur3_32_fixed().hashString(key, StandardCharsets.UTF_8).asInt();
    }

    void add(Consumer c) {
        for (int i = 0; i < POINTS_PER_CONSUMER; i++) {
            ring.computeIfAbsent(hashOf(c.name() + "#" + i), k -> new ArrayList<>(1)).add(c);
        }
    }

    void remove(Consumer c) {
        for (int i = 0; i < POINTS_PER_CONSUMER; i++) {
            int point = hashOf(c.name() + "#" + i);
            List<Consumer> at = ring.get(point);
            if (at != null) {
                at.remove(c);
                if (at.isEmpty()) {
                    ring.remove(point);
                }
            }
        }
    }

    /** The consumer for a key hash; null when there is no consumer. */
    Consumer select(int keyHash) {
        if (ring.isEmpty()) {
            return null;
        }
        Map.Entry<Integer, List<Consumer>> e = ring.ceilingEntry(keyHash);
        return (e != null ? e : ring.firstEntry()).getValue().get(0);
    }
}
