package io.tributary.broker.dispatch;

/**
 * The consumer that holds unacknowledged entries of one key on a Key_Shared subscription, and how
 * many. While a key is held, its entries go to no other consumer.
 */
final class KeyHold {
    final Consumer consumer;
    private int entries;

    KeyHold(Consumer consumer) {
        this.consumer = consumer;
    }

    void add() {
        entries++;
    }

    /** One entry of the key is no longer held; true if the consumer holds none any more. */
    boolean release() {
        return --entries <= 0;
    }
}
