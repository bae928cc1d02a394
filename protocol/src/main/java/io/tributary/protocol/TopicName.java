package io.tributary.protocol;

import com.google.common.hash.Hashing;
import io.tributary.api.v1.ErrorReason;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A topic's name, {@code tenant/namespace/name}; the prefix {@code persistent://} is accepted
 * and dropped. A partition of a partitioned topic {@code t} is the topic {@code t-partition-i}.
 */
public final class TopicName implements Comparable<TopicName> {
    public static final String PERSISTENT_PREFIX = "persistent://";
    public static final String PARTITION_SUFFIX = "-partition-";
    /** Letters, digits and {@code - _ . = :}; no slashes inside a part, nothing empty. */
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9_.=:\\-]+");
    private static final int MAX_LENGTH = 512;

    private final String tenant;
    private final String namespace;
    private final String local;

    private TopicName(String tenant, String namespace, String local) {
        this.tenant = tenant;
        this.namespace = namespace;
        this.local = local;
    }

    /** Parses a name or throws a {@link TributaryException} with reason INVALID_TOPIC_NAME. */
    public static TopicName of(String name) {
        if (name == null || name.isEmpty()) {
            throw invalid(name, "the name is empty");
        }
        String n = name.startsWith(PERSISTENT_PREFIX) ? name.substring(PERSISTENT_PREFIX.length()) : name;
        if (n.length() > MAX_LENGTH) {
            throw invalid(name, "longer than " + MAX_LENGTH + " characters");
        }
        String[] parts = n.split("/", -1);
        if (parts.length != 3) {
            throw invalid(name, "expected tenant/namespace/topic");
        }
        for (String p : parts) {
            if (!PART.matcher(p).matches()) {
                throw invalid(name, "'" + p + "' may only hold letters, digits and - _ . = :");
            }
            if (isDots(p)) {
                // the parts are znode names, which '.' and '..' cannot be
                throw invalid(name, "a part may not be '" + p + "'");
            }
        }
        return new TopicName(parts[0], parts[1], parts[2]);
    }

    /** Validates a {@code tenant/namespace} name. */
    public static String namespaceOf(String namespace) {
        if (namespace == null) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "namespace is empty");
        }
        String[] parts = namespace.split("/", -1);
        if (parts.length != 2 || !PART.matcher(parts[0]).matches() || !PART.matcher(parts[1]).matches()
                || isDots(parts[0]) || isDots(parts[1])) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST,
                    "invalid namespace '" + namespace + "': expected tenant/namespace");
        }
        return namespace;
    }

    public static String tenantOf(String tenant) {
        if (tenant == null || !PART.matcher(tenant).matches() || isDots(tenant)) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST,
                    "invalid tenant '" + tenant + "': letters, digits and - _ . = : only");
        }
        return tenant;
    }

    private static boolean isDots(String part) {
        return part.equals(".") || part.equals("..");
    }

    private static TributaryException invalid(String name, String why) {
        return new TributaryException(ErrorReason.INVALID_TOPIC_NAME, "invalid topic name '" + name + "': " + why);
    }

    public String tenant() {
        return tenant;
    }

    /** {@code tenant/namespace} */
    public String namespace() {
        return tenant + "/" + namespace;
    }

    public String localName() {
        return local;
    }

    public TopicName partition(int index) {
        return new TopicName(tenant, namespace, local + PARTITION_SUFFIX + index);
    }

    /** The partition index, or -1 if this is not a partition of a partitioned topic. */
    public int partitionIndex() {
        int i = local.lastIndexOf(PARTITION_SUFFIX);
        if (i < 0) {
            return -1;
        }
        try {
            return Integer.parseInt(local.substring(i + PARTITION_SUFFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The hash that places the topic in a namespace bundle: murmur3_32 of the full name, unsigned. */
    public long bundleHash() {
        return Integer.toUnsignedLong(Hashing.murmur3_32_fixed().hashString(toString(), StandardCharsets.UTF_8).asInt());
    }

    @Override
    public String toString() {
        return tenant + "/" + namespace + "/" + local;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TopicName)) {
            return false;
        }
        TopicName t = (TopicName) o;
        return tenant.equals(t.tenant) && namespace.equals(t.namespace) && local.equals(t.local);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tenant, namespace, local);
    }

    @Override
    public int compareTo(TopicName o) {
        return toString().compareTo(o.toString());
    }
}
