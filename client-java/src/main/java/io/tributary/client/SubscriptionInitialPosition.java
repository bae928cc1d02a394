package io.tributary.client;

/** Where a subscription that does not exist yet starts reading. */
public enum SubscriptionInitialPosition {
    /** Only messages published after the subscription was created. */
    Latest,
    /** Every message still stored in the topic. */
    Earliest
}
