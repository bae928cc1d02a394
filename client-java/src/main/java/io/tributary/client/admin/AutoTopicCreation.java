package io.tributary.client.admin;

/**
 * Whether producing to or consuming from a missing topic of a namespace creates it, and how.
 *
 * @param type       disabled, non-partitioned or partitioned
 * @param partitions for {@link Type#PARTITIONED}: the partitions a created topic gets (1 or more); else 0
 */
public record AutoTopicCreation(Type type, int partitions) {

    /** What a missing topic gets. */
    public enum Type {
        /** Nothing: producing to or consuming from a missing topic fails with TOPIC_NOT_FOUND. */
        DISABLED,
        /** A topic without partitions. */
        NON_PARTITIONED,
        /** A partitioned topic of {@code partitions} partitions. */
        PARTITIONED
    }

    /** @throws IllegalArgumentException if the type is null, or the partitions do not fit it */
    public AutoTopicCreation {
        if (type == null) {
            throw new IllegalArgumentException("auto topic creation needs a type");
        }
        if (type == Type.PARTITIONED ? partitions < 1 : partitions != 0) {
            throw new IllegalArgumentException("auto topic creation " + type + " takes "
                    + (type == Type.PARTITIONED ? "1 or more partitions" : "no partitions") + ", was " + partitions);
        }
    }

    public static AutoTopicCreation disabled() {
        return new AutoTopicCreation(Type.DISABLED, 0);
    }

    public static AutoTopicCreation nonPartitioned() {
        return new AutoTopicCreation(Type.NON_PARTITIONED, 0);
    }

    public static AutoTopicCreation partitioned(int partitions) {
        return new AutoTopicCreation(Type.PARTITIONED, partitions);
    }
}
