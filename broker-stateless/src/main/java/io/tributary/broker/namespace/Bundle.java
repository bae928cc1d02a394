package io.tributary.broker.namespace;

/**
 * A namespace bundle: the part {@code [lower, upper)} of the 32-bit hash space of topic names.
 * Its name, {@code 0x00000000_0x40000000}, is the znode name under {@code ownership/}.
 */
public record Bundle(String namespace, long lower, long upper) {

    public String name() {
        return String.format("0x%08x_0x%08x", lower, upper == 0x1_0000_0000L ? 0xffffffffL : upper);
    }

    public boolean contains(long hash) {
        return hash >= lower && (hash < upper || upper == 0x1_0000_0000L && hash <= 0xffffffffL);
    }

    @Override
    public String toString() {
        return namespace + "/" + name();
    }
}
