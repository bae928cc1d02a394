package io.tributary.broker.auth;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.api.v1.AuthAction;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.Grant;
import io.tributary.internal.v1.NamespacePolicies;
import io.tributary.internal.v1.TenantPolicies;
import io.tributary.protocol.TopicName;
import io.tributary.protocol.TributaryException;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.apache.zookeeper.KeeperException;

/**
 * Writes grants into a namespace's policies znode ({@code /policies/{tenant}/{namespace}}, field
 * {@code grants}) and a tenant's admin roles into its znode, each with compare-and-set on the znode
 * version (retried on a race), so concurrent grants, policy changes and bundle splits lose nothing.
 * Brokers see the change through their watch on {@code /policies} ({@link AuthorizationService}); the
 * broker that wrote it is told at once ({@link Written}), so that its next check sees the change.
 */
public final class GrantStore {
    /** Keeps a namespace's record far below ZooKeeper's 1 MiB limit. */
    static final int MAX_GRANTS_PER_NAMESPACE = 5_000;
    private static final int MAX_RETRIES = 20;

    /** Told of each record written: its path, its bytes and the znode's new version. */
    @FunctionalInterface
    public interface Written {
        void written(String path, byte[] data, int version);
    }

    private final MetadataStore store;
    private final Written written;

    public GrantStore(MetadataStore store) {
        this(store, (path, data, version) -> { });
    }

    public GrantStore(MetadataStore store, Written written) {
        this.store = store;
        this.written = written;
    }

    /** A namespace ({@code tenant/namespace}) or one topic, as a grant names it. */
    public record Resource(String namespace, String topic) {
        /** {@code namespace} when topic is empty or null, else the topic (its namespace taken from it). */
        public static Resource of(String namespace, String topic) {
            if (topic != null && !topic.isEmpty()) {
                TopicName t = TopicName.of(topic);
                return new Resource(t.namespace(), AuthorizationService.baseName(t));
            }
            return new Resource(TopicName.namespaceOf(namespace), "");
        }

        @Override
        public String toString() {
            return topic.isEmpty() ? "namespace " + namespace : "topic " + topic;
        }
    }

    /** Gives {@code role} exactly {@code actions} on {@code r}, replacing what it had there. */
    public CompletableFuture<Void> grant(Resource r, String role, Set<AuthAction> actions, String subscriptionPrefix) {
        String prefix = subscriptionPrefix == null ? "" : subscriptionPrefix;
        validateRole(role);
        if (actions.isEmpty()) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "a grant needs at least one action (produce, consume, admin)");
        }
        for (AuthAction a : actions) {
            if (a == AuthAction.AUTH_ACTION_UNSPECIFIED || a == AuthAction.UNRECOGNIZED) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST, "unknown action in a grant: use produce, consume or admin");
            }
        }
        if (!prefix.isEmpty() && !actions.contains(AuthAction.CONSUME)) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "a subscription prefix applies to consume only, and consume is not granted");
        }
        Grant grant = Grant.newBuilder().setRole(role).setTopic(r.topic()).addAllActions(EnumSet.copyOf(actions))
                .setSubscriptionPrefix(prefix).build();
        return update(r.namespace(), p -> {
            List<Grant> next = without(p.getGrantsList(), r, role);
            if (next.size() >= MAX_GRANTS_PER_NAMESPACE) {
                throw new TributaryException(ErrorReason.NOT_ALLOWED, "namespace " + r.namespace() + " already holds "
                        + next.size() + " grants, the most it can: grant on the namespace rather than on each topic");
            }
            next.add(grant);
            return p.toBuilder().clearGrants().addAllGrants(next).build();
        }).thenApply(p -> null);
    }

    /** Takes away what {@code role} was granted on {@code r}; false if it had nothing there. */
    public CompletableFuture<Boolean> revoke(Resource r, String role) {
        validateRole(role);
        boolean[] found = new boolean[1];
        return update(r.namespace(), p -> {
            List<Grant> next = without(p.getGrantsList(), r, role);
            found[0] = next.size() < p.getGrantsCount();
            return found[0] ? p.toBuilder().clearGrants().addAllGrants(next).build() : null;
        }).thenApply(p -> found[0]);
    }

    /** The grants on a namespace (its namespace-wide ones) or on one topic. */
    public CompletableFuture<List<Grant>> grants(Resource r) {
        return read(r.namespace()).thenApply(v -> v.value().getGrantsList().stream()
                .filter(g -> g.getTopic().equals(r.topic())).toList());
    }

    /** Replaces the admin roles of {@code tenant}. */
    public CompletableFuture<Void> setTenantAdmins(String tenant, List<String> roles) {
        TopicName.tenantOf(tenant);
        Set<String> clean = new LinkedHashSet<>();
        for (String role : roles) {
            validateRole(role);
            clean.add(role.trim());
        }
        String path = MetadataPaths.tenant(tenant);
        return store.get(path).thenCompose(v -> {
            if (v.isEmpty()) {
                throw new CompletionException(new TributaryException(ErrorReason.TENANT_NOT_FOUND, "tenant " + tenant + " does not exist"));
            }
            TenantPolicies p;
            try {
                p = TenantPolicies.parseFrom(v.get().value());
            } catch (InvalidProtocolBufferException e) {
                throw new CompletionException(e);
            }
            byte[] next = p.toBuilder().clearAdminRoles().addAllAdminRoles(clean).build().toByteArray();
            return store.set(path, next, v.get().version()).thenAccept(version -> written.written(path, next, version))
                    .exceptionallyCompose(e -> MetadataStore.is(e, KeeperException.Code.BADVERSION)
                            ? setTenantAdmins(tenant, roles) : CompletableFuture.failedFuture(e));
        });
    }

    private static List<Grant> without(List<Grant> grants, Resource r, String role) {
        List<Grant> out = new ArrayList<>();
        for (Grant g : grants) {
            if (!(g.getRole().equals(role) && g.getTopic().equals(r.topic()))) {
                out.add(g);
            }
        }
        return out;
    }

    private static void validateRole(String role) {
        if (role == null || role.isBlank()) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "a role is required");
        }
        if (role.length() > 256) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "a role is at most 256 characters");
        }
    }

    private CompletableFuture<MetadataStore.Versioned<NamespacePolicies>> read(String namespace) {
        return store.get(MetadataPaths.namespace(namespace)).thenApply(v -> {
            if (v.isEmpty()) {
                throw new CompletionException(new TributaryException(ErrorReason.NAMESPACE_NOT_FOUND,
                        "namespace " + namespace + " does not exist"));
            }
            try {
                return new MetadataStore.Versioned<>(NamespacePolicies.parseFrom(v.get().value()), v.get().version());
            } catch (InvalidProtocolBufferException e) {
                throw new CompletionException(e);
            }
        });
    }

    /** Applies {@code change} (null: nothing to write) to the stored policies with compare-and-set. */
    private CompletableFuture<NamespacePolicies> update(String namespace, Function<NamespacePolicies, NamespacePolicies> change) {
        return update(namespace, change, 0);
    }

    private CompletableFuture<NamespacePolicies> update(String namespace, Function<NamespacePolicies, NamespacePolicies> change,
                                                        int attempt) {
        return read(namespace).thenCompose(v -> {
            NamespacePolicies next = change.apply(v.value());
            if (next == null) {
                return CompletableFuture.completedFuture(v.value());
            }
            byte[] bytes = next.toByteArray();
            String path = MetadataPaths.namespace(namespace);
            return store.set(path, bytes, v.version()).thenApply(version -> {
                        written.written(path, bytes, version);
                        return next;
                    })
                    .exceptionallyCompose(e -> MetadataStore.is(e, KeeperException.Code.BADVERSION) && attempt < MAX_RETRIES
                            ? update(namespace, change, attempt + 1) : CompletableFuture.failedFuture(e));
        });
    }
}
