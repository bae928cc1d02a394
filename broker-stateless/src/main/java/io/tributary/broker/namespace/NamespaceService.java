package io.tributary.broker.namespace;

import com.google.protobuf.Descriptors;
import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.api.v1.ErrorReason;
import io.tributary.broker.service.Errors;
import io.tributary.internal.v1.NamespacePolicies;
import io.tributary.internal.v1.TenantPolicies;
import io.tributary.protocol.ErrorReasons;
import io.tributary.protocol.TopicName;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/** Tenants and namespaces: their policies in ZooKeeper and the bundles a namespace is cut into. */
public final class NamespaceService {
    public static final long HASH_SPACE = 0x1_0000_0000L;

    private final MetadataStore store;
    private final int defaultBundles;
    private final ConcurrentHashMap<String, CompletableFuture<NamespacePolicies>> policies = new ConcurrentHashMap<>();
    /** The policies last read or written here, by namespace: what limits apply while a changed namespace's are re-read. */
    private final ConcurrentHashMap<String, NamespacePolicies> lastKnown = new ConcurrentHashMap<>();

    private final int maxMessageSize;
    private final int maxPartitions;

    public NamespaceService(MetadataStore store, int defaultBundles) {
        this(store, defaultBundles, io.tributary.broker.BrokerConfig.DEFAULT_MAX_MESSAGE_SIZE,
                io.tributary.broker.TopicLimitDefaults.DEFAULT.maxPartitions());
    }

    /**
     * @param maxMessageSize the broker's broker.maxMessageSize: no namespace may allow larger messages
     * @param maxPartitions  the broker's broker.maxPartitions: no namespace may create topics with more
     */
    public NamespaceService(MetadataStore store, int defaultBundles, int maxMessageSize, int maxPartitions) {
        this.store = store;
        this.defaultBundles = defaultBundles;
        this.maxMessageSize = maxMessageSize;
        this.maxPartitions = maxPartitions;
    }

    public CompletableFuture<Void> createTenant(String tenant, List<String> adminRoles) {
        TopicName.tenantOf(tenant);
        byte[] data = TenantPolicies.newBuilder().addAllAdminRoles(adminRoles).build().toByteArray();
        return store.create(MetadataPaths.tenant(tenant), data, CreateMode.PERSISTENT).thenApply(v -> (Void) null)
                .exceptionally(e -> {
                    if (MetadataStore.is(e, KeeperException.Code.NODEEXISTS)) {
                        throw new CompletionException(Errors.error(ErrorReason.TENANT_ALREADY_EXISTS, "tenant " + tenant + " already exists"));
                    }
                    throw new CompletionException(e);
                });
    }

    public CompletableFuture<Boolean> tenantExists(String tenant) {
        return store.exists(MetadataPaths.tenant(tenant));
    }

    public CompletableFuture<Void> deleteTenant(String tenant) {
        TopicName.tenantOf(tenant);
        String path = MetadataPaths.tenant(tenant);
        // deleted at the version read before the check: a tenant changed meanwhile is not deleted
        return store.get(path).thenCompose(read -> {
            if (read.isEmpty()) {
                throw new CompletionException(Errors.error(ErrorReason.TENANT_NOT_FOUND, "tenant " + tenant + " does not exist"));
            }
            return store.children(path).thenCompose(children -> {
                if (!children.isEmpty()) {
                    throw new CompletionException(Errors.error(ErrorReason.TENANT_NOT_EMPTY,
                            "tenant " + tenant + " still has namespaces " + children));
                }
                return store.delete(path, read.get().version()).exceptionally(e -> {
                    throw changedMeanwhile(e, "tenant " + tenant);
                });
            });
        });
    }

    public CompletableFuture<List<String>> tenants() {
        return store.children(MetadataPaths.POLICIES);
    }

    public CompletableFuture<Void> createNamespace(String namespace, int bundles) {
        TopicName.namespaceOf(namespace);
        int n = bundles <= 0 ? defaultBundles : bundles;
        if (n > 1024) {
            return CompletableFuture.failedFuture(Errors.error(ErrorReason.INVALID_REQUEST, "at most 1024 bundles, asked for " + n));
        }
        String tenant = namespace.substring(0, namespace.indexOf('/'));
        NamespacePolicies.Builder p = NamespacePolicies.newBuilder();
        for (int i = 0; i <= n; i++) {
            p.addBundleBoundaries(HASH_SPACE * i / n);
        }
        return requireTenant(tenant)
                .thenCompose(v -> store.create(MetadataPaths.namespace(namespace), p.build().toByteArray(), CreateMode.PERSISTENT))
                .thenApply(v -> (Void) null)
                .exceptionally(e -> {
                    if (MetadataStore.is(e, KeeperException.Code.NODEEXISTS)) {
                        throw new CompletionException(Errors.error(ErrorReason.NAMESPACE_ALREADY_EXISTS,
                                "namespace " + namespace + " already exists"));
                    }
                    throw ErrorReasons.asCompletion(e);
                });
    }

    public CompletableFuture<Void> deleteNamespace(String namespace) {
        TopicName.namespaceOf(namespace);
        String path = MetadataPaths.namespace(namespace);
        // deleted at the version read before the check: policies changed meanwhile (a split) are not deleted
        return store.get(path).thenCompose(read -> {
            if (read.isEmpty()) {
                throw new CompletionException(Errors.error(ErrorReason.NAMESPACE_NOT_FOUND,
                        "namespace " + namespace + " does not exist"));
            }
            return store.children(MetadataPaths.topicsOfNamespace(namespace)).thenCompose(topics -> {
                if (!topics.isEmpty()) {
                    throw new CompletionException(Errors.error(ErrorReason.NAMESPACE_NOT_EMPTY,
                            "namespace " + namespace + " still has topics " + topics));
                }
                return store.delete(path, read.get().version()).whenComplete((v, e) -> {
                            policies.remove(namespace);
                            lastKnown.remove(namespace);
                        })
                        .exceptionally(e -> {
                            throw changedMeanwhile(e, "namespace " + namespace);
                        });
            });
        });
    }

    public CompletableFuture<List<String>> namespaces(String tenant) {
        TopicName.tenantOf(tenant);
        return requireTenant(tenant).thenCompose(v -> store.children(MetadataPaths.tenant(tenant)))
                .thenApply(names -> names.stream().map(n -> tenant + "/" + n).toList());
    }

    /** A delete that lost a race: BADVERSION or NOTEMPTY says the node changed after the check. */
    private static CompletionException changedMeanwhile(Throwable e, String what) {
        if (MetadataStore.is(e, KeeperException.Code.BADVERSION) || MetadataStore.is(e, KeeperException.Code.NOTEMPTY)) {
            return new CompletionException(Errors.error(ErrorReason.SERVICE_NOT_READY,
                    what + " changed while it was being deleted; nothing was deleted, try again"));
        }
        return ErrorReasons.asCompletion(e);
    }

    private CompletableFuture<Void> requireTenant(String tenant) {
        return tenantExists(tenant).thenAccept(exists -> {
            if (!exists) {
                throw new CompletionException(Errors.error(ErrorReason.TENANT_NOT_FOUND, "tenant " + tenant + " does not exist"));
            }
        });
    }

    /** A namespace's policies; fails with NAMESPACE_NOT_FOUND if it does not exist. */
    public CompletableFuture<NamespacePolicies> policies(String namespace) {
        CompletableFuture<NamespacePolicies> cached = policies.get(namespace);
        if (cached != null && !cached.isCompletedExceptionally()) {
            return cached;
        }
        CompletableFuture<NamespacePolicies> f = store.get(MetadataPaths.namespace(namespace)).thenApply(v -> {
            if (v.isEmpty()) {
                throw new CompletionException(Errors.error(ErrorReason.NAMESPACE_NOT_FOUND,
                        "namespace " + namespace + " does not exist"));
            }
            try {
                return NamespacePolicies.parseFrom(v.get().value());
            } catch (InvalidProtocolBufferException e) {
                throw new CompletionException(e);
            }
        });
        f.whenComplete((p, e) -> {
            if (e != null) {
                policies.remove(namespace, f);
            } else {
                lastKnown.put(namespace, p);
            }
        });
        policies.put(namespace, f);
        return f;
    }

    /**
     * Changes the policies of a namespace: the fields set in {@code update} replace the stored ones,
     * the fields named in {@code clear} are removed (the broker's default applies again); compare-and-set,
     * retried on a race. Returns the result.
     */
    public CompletableFuture<io.tributary.api.v1.NamespacePolicies> setPolicies(String namespace,
                                                                               io.tributary.api.v1.NamespacePolicies update,
                                                                               List<String> clear) {
        validate(update);
        LimitPoliciesValidation.validate(update, maxMessageSize, maxPartitions);
        List<Descriptors.FieldDescriptor> cleared = new ArrayList<>();
        for (String name : clear) {
            Descriptors.FieldDescriptor f = io.tributary.api.v1.NamespacePolicies.getDescriptor().findFieldByName(name);
            if (f == null) {
                return CompletableFuture.failedFuture(Errors.error(ErrorReason.INVALID_REQUEST,
                        "clear: no namespace policy is named " + name));
            }
            cleared.add(f);
        }
        String path = MetadataPaths.namespace(namespace);
        return store.get(path).thenCompose(v -> {
            if (v.isEmpty()) {
                throw new CompletionException(Errors.error(ErrorReason.NAMESPACE_NOT_FOUND, "namespace " + namespace + " does not exist"));
            }
            NamespacePolicies stored;
            try {
                stored = NamespacePolicies.parseFrom(v.get().value());
            } catch (InvalidProtocolBufferException e) {
                throw new CompletionException(e);
            }
            io.tributary.api.v1.NamespacePolicies.Builder merged = stored.getPolicies().toBuilder();
            cleared.forEach(merged::clearField);
            // each field set replaces the stored one whole (a message field is not merged field by field)
            update.getAllFields().forEach(merged::setField);
            NamespacePolicies next = stored.toBuilder().setPolicies(merged).build();
            return store.set(path, next.toByteArray(), v.get().version())
                    .thenApply(version -> {
                        // what this broker's checks read from now on (the watch tells the other brokers)
                        lastKnown.put(namespace, next);
                        policies.put(namespace, CompletableFuture.completedFuture(next));
                        return merged.build();
                    })
                    .exceptionallyCompose(e -> MetadataStore.is(e, org.apache.zookeeper.KeeperException.Code.BADVERSION)
                            ? setPolicies(namespace, update, clear) : CompletableFuture.failedFuture(e));
        });
    }

    private static void validate(io.tributary.api.v1.NamespacePolicies p) {
        if (p.hasRetentionTimeSeconds() && p.getRetentionTimeSeconds() < -1) {
            throw Errors.error(ErrorReason.INVALID_REQUEST, "retention_time_seconds must be -1 (forever) or >= 0, was "
                    + p.getRetentionTimeSeconds());
        }
        if (p.hasRetentionSizeBytes() && p.getRetentionSizeBytes() < -1) {
            throw Errors.error(ErrorReason.INVALID_REQUEST, "retention_size_bytes must be -1 (no limit) or >= 0, was "
                    + p.getRetentionSizeBytes());
        }
        if (p.hasMessageTtlSeconds() && p.getMessageTtlSeconds() < 0) {
            throw Errors.error(ErrorReason.INVALID_REQUEST, "message_ttl_seconds must be >= 0 (0: never), was "
                    + p.getMessageTtlSeconds());
        }
        if (p.hasBacklogQuota() && p.getBacklogQuota().getPolicy() == io.tributary.api.v1.BacklogQuotaPolicy.UNRECOGNIZED) {
            throw Errors.error(ErrorReason.INVALID_REQUEST, "unknown backlog quota policy " + p.getBacklogQuota().getPolicyValue());
        }
    }

    /**
     * A namespace's policies now, without waiting: the cached ones, or while they are re-read (after a
     * change), the ones last read or written here; null if they were never read here.
     */
    public NamespacePolicies currentPolicies(String namespace) {
        CompletableFuture<NamespacePolicies> f = policies(namespace);
        return f.isDone() && !f.isCompletedExceptionally() ? f.join() : lastKnown.get(namespace);
    }

    /**
     * Forgets the cached policies of a namespace (they changed in ZooKeeper) and reads them again at
     * once, so that the limits checked next are the new ones.
     */
    public void invalidate(String namespace) {
        policies.remove(namespace);
        policies(namespace).exceptionally(e -> null);
    }

    public CompletableFuture<List<Bundle>> bundles(String namespace) {
        return policies(namespace).thenApply(p -> {
            List<Bundle> out = new ArrayList<>();
            for (int i = 0; i + 1 < p.getBundleBoundariesCount(); i++) {
                out.add(new Bundle(namespace, p.getBundleBoundaries(i), p.getBundleBoundaries(i + 1)));
            }
            return out;
        });
    }

    /**
     * The bundle of a namespace with this name; re-reads the policies once if the cached ones do not
     * know it (it may be a half of a split that happened elsewhere).
     */
    public CompletableFuture<Bundle> bundle(String namespace, String name) {
        return findBundle(namespace, name).thenCompose(b -> {
            if (b.isPresent()) {
                return CompletableFuture.completedFuture(b.get());
            }
            invalidate(namespace);
            return findBundle(namespace, name).thenApply(again -> again.orElseThrow(() -> new CompletionException(
                    Errors.error(ErrorReason.INVALID_REQUEST, "namespace " + namespace + " has no bundle " + name))));
        });
    }

    private CompletableFuture<java.util.Optional<Bundle>> findBundle(String namespace, String name) {
        return bundles(namespace).thenApply(bs -> bs.stream().filter(b -> b.name().equals(name)).findFirst());
    }

    /** Every namespace of every tenant. */
    public CompletableFuture<List<String>> allNamespaces() {
        return tenants().thenCompose(ts -> {
            List<CompletableFuture<List<String>>> each = ts.stream().map(this::namespaces).toList();
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                    .thenApply(v -> each.stream().flatMap(f -> f.join().stream()).toList());
        });
    }

    public CompletableFuture<Bundle> bundleOf(TopicName topic) {
        long hash = topic.bundleHash();
        return bundles(topic.namespace()).thenApply(bs -> bs.stream().filter(b -> b.contains(hash)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no bundle of " + topic.namespace() + " holds hash " + hash)));
    }

    /** Creates a tenant and namespace if they are missing (the standalone default {@code public/default}). */
    public CompletableFuture<Void> ensureNamespace(String namespace) {
        return ensureNamespace(namespace, 0);
    }

    /** Creates a tenant and namespace of {@code bundles} bundles (0: the default) if they are missing. */
    public CompletableFuture<Void> ensureNamespace(String namespace, int bundles) {
        String tenant = namespace.substring(0, namespace.indexOf('/'));
        return createTenant(tenant, List.of()).exceptionally(e -> null)
                .thenCompose(v -> createNamespace(namespace, bundles)).exceptionally(e -> null);
    }
}
