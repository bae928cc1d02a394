package io.tributary.storage.meta;

/** The layout of the metadata tree (relative to the configured root). */
public final class MetadataPaths {
    public static final String BROKERS = "/brokers";
    public static final String LOAD = "/load";
    public static final String LEADER = "/leader";
    public static final String POLICIES = "/policies";
    public static final String OWNERSHIP = "/ownership";
    public static final String TOPICS = "/topics";
    public static final String CURSORS = "/cursors";
    public static final String DEDUP = "/dedup";

    private MetadataPaths() {}

    /** @param topic canonical {@code tenant/namespace/name} */
    public static String topic(String topic) {
        return TOPICS + "/" + topic;
    }

    /** A topic's deduplication snapshot, apart from its ledger list. */
    public static String dedup(String topic) {
        return DEDUP + "/" + topic;
    }

    public static String topicsOfNamespace(String namespace) {
        return TOPICS + "/" + namespace;
    }

    public static String cursors(String topic) {
        return CURSORS + "/" + topic;
    }

    public static String cursor(String topic, String subscription) {
        return CURSORS + "/" + topic + "/" + subscription;
    }

    public static String tenant(String tenant) {
        return POLICIES + "/" + tenant;
    }

    public static String namespace(String namespace) {
        return POLICIES + "/" + namespace;
    }

    public static String ownership(String namespace, String bundle) {
        return OWNERSHIP + "/" + namespace + "/" + bundle;
    }

    public static String broker(String brokerId) {
        return BROKERS + "/" + brokerId;
    }
}
