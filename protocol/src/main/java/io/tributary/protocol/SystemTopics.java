package io.tributary.protocol;

/** Topics the brokers keep for themselves, in the system namespace (never a client's). */
public final class SystemTopics {
    /** The namespace of the brokers' own topics. */
    public static final String NAMESPACE = "tributary/system";
    /**
     * The transaction log: the coordinator's records and the messages of open transactions. Owned through its
     * bundle like any topic; its owner runs the transaction coordinator, and the proxy sends it every
     * TransactionService call and every Send with a transaction id.
     */
    public static final String TRANSACTION_LOG = NAMESPACE + "/transactions";

    private SystemTopics() {}
}
