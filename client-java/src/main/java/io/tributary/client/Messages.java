package io.tributary.client;

/**
 * The messages of one {@link Consumer#batchReceive()}, in the order received. Immutable; may be
 * empty.
 *
 * @param <T> the value type
 */
public interface Messages<T> extends Iterable<Message<T>> {

    /** How many messages there are. */
    int size();

    /** Whether there are none. */
    default boolean isEmpty() {
        return size() == 0;
    }
}
