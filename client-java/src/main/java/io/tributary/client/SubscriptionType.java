package io.tributary.client;

/** How the consumers of one subscription share its messages. */
public enum SubscriptionType {
    /** One consumer at a time; a second one is refused with {@code ConsumerBusyException}. */
    Exclusive,
    /** Messages are spread over all consumers; cumulative acknowledgement is not allowed. */
    Shared,
    /** One active consumer; the others take over when it goes away. */
    Failover,
    /** Messages are spread over all consumers, each key always going to the same one. */
    Key_Shared
}
