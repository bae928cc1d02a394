package io.tributary.storage.tls;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * JVM-wide system properties shared by leases: a property stays set while a lease that needs it is open,
 * and gets its earlier value back when the last one closes. Two leases that need different values of one
 * property conflict: the second is refused with a message naming it, rather than silently changing what the
 * first relies on. ZooKeeper's server and BookKeeper's own ZooKeeper clients read their TLS only from system
 * properties; this keeps the places that set them honest about it.
 */
final class JvmProperties {
    private static final Map<String, Held> HELD = new HashMap<>();

    private static final class Held {
        final String value;
        final String previous;
        int leases;

        Held(String value, String previous) {
            this.value = value;
            this.previous = previous;
        }
    }

    private JvmProperties() {}

    /** Sets {@code values} (in order) until the returned lease closes; {@code what} names the holder in errors. */
    static synchronized AutoCloseable acquire(String what, Map<String, String> values) {
        Map<String, String> wanted = new LinkedHashMap<>(values);
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            Held h = HELD.get(e.getKey());
            String current = h != null ? h.value : System.getProperty(e.getKey());
            if (current != null && !current.equals(e.getValue())) {
                throw new IllegalStateException(what + " needs the JVM-wide system property " + e.getKey() + "=" + e.getValue()
                        + " but it is " + current + (h != null ? " for another ZooKeeper server or client in this process"
                        : " (set outside Tributary)") + "; ZooKeeper reads it from the JVM, so both cannot run in one process");
            }
        }
        List<String> keys = new ArrayList<>(wanted.keySet());
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            Held h = HELD.computeIfAbsent(e.getKey(), k -> new Held(e.getValue(), System.getProperty(k)));
            h.leases++;
            System.setProperty(e.getKey(), e.getValue());
        }
        return new AutoCloseable() {
            private boolean closed;

            @Override
            public void close() {
                synchronized (JvmProperties.class) {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    for (String k : keys) {
                        Held h = Objects.requireNonNull(HELD.get(k));
                        if (--h.leases == 0) {
                            HELD.remove(k);
                            if (h.previous == null) {
                                System.clearProperty(k);
                            } else {
                                System.setProperty(k, h.previous);
                            }
                        }
                    }
                }
            }
        };
    }
}
