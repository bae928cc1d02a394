package io.tributary.broker.auth;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.api.v1.AuthAction;
import io.tributary.api.v1.Grant;
import io.tributary.internal.v1.NamespacePolicies;
import io.tributary.internal.v1.TenantPolicies;
import io.tributary.protocol.TopicName;
import io.tributary.security.auth.Principal;
import io.tributary.storage.meta.MetadataPaths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what a role may do, synchronously, from a copy of every tenant's admin roles and every
 * namespace's grants kept current by a ZooKeeper watch on {@code /policies} ({@link #listener()}),
 * so a grant or revoke made through any broker applies on every broker within moments.
 *
 * <p>The rules (Pulsar-like): a superuser ({@code broker.superUserRoles}) may do everything; an
 * admin of a tenant ({@code TenantPolicies.admin_roles}) may do everything inside that tenant
 * (produce, consume, administer its namespaces and topics, grant on them) but nothing in other
 * tenants and no cluster operation; anyone else only what grants give: {@code PRODUCE},
 * {@code CONSUME} (optionally only for subscriptions whose names start with a prefix) and
 * {@code ADMIN}, on a namespace (all its topics) or on one topic (all its partitions). Actions do
 * not imply each other: ADMIN alone does not allow producing or consuming.
 *
 * <p>Each check returns null when allowed, else the reason to give the caller, naming the role,
 * the permission it lacks and the resource.
 */
public final class AuthorizationService {
    private static final Logger LOG = LoggerFactory.getLogger(AuthorizationService.class);

    private final AuthorizationConfig config;
    private final Map<String, Set<String>> tenantAdmins = new ConcurrentHashMap<>();
    /** namespace → role → its grants there (namespace-wide and per topic). */
    private final Map<String, Map<String, List<Grant>>> grants = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();
    /** The version of each record applied, by path, so that a late watch event does not undo a later write. */
    private final Map<String, Integer> versions = new HashMap<>();

    public AuthorizationService(AuthorizationConfig config) {
        this.config = config;
    }

    /**
     * Feeds this service from a CuratorCache on {@link MetadataPaths#POLICIES}: add it before the
     * cache starts, so the initial load counts; checks wait for it ({@link #loaded()}).
     */
    public CuratorCacheListener listener() {
        return CuratorCacheListener.builder()
                .forAll((type, before, after) -> apply(before, after))
                .forInitialized(() -> {
                    loaded.complete(null);
                    LOG.info("authorization: policies of {} tenants and {} namespaces loaded", tenantAdmins.size(), grants.size());
                })
                .build();
    }

    /** Whether the initial copy of the policies has been read; until then nothing can be decided. */
    public boolean loaded() {
        return loaded.isDone();
    }

    /** Completes once the initial copy of the policies has been read. */
    public CompletableFuture<Void> whenLoaded() {
        return loaded;
    }

    private void apply(ChildData before, ChildData after) {
        ChildData d = after != null ? after : before;
        if (d == null) {
            return;
        }
        if (after == null || after.getData() == null) {
            apply(d.getPath(), null, -1);
        } else {
            apply(d.getPath(), after.getData(), after.getStat() == null ? -1 : after.getStat().getVersion());
        }
    }

    /**
     * A tenant's or namespace's policies this broker has just written, at {@code version}: applied at
     * once, so that a grant made through this broker holds for its next call (read your own writes)
     * instead of when the watch delivers it. Other brokers learn it from their watch, within moments.
     */
    public void written(String path, byte[] data, int version) {
        apply(path, data, version);
    }

    /**
     * Applies the record at {@code path} ({@code data} null: deleted). A version older than one applied
     * already is ignored: the watch may deliver a change after this broker applied a later one it wrote.
     */
    private synchronized void apply(String path, byte[] data, int version) {
        String[] parts = path.split("/");
        if (parts.length < 3 || parts.length > 4 || !("/" + parts[1]).equals(MetadataPaths.POLICIES)) {
            return;
        }
        if (data == null) {
            versions.remove(path);
        } else {
            Integer applied = versions.get(path);
            if (applied != null && version >= 0 && applied > version) {
                return;
            }
            versions.put(path, version);
        }
        try {
            if (parts.length == 3) {
                String tenant = parts[2];
                if (data == null) {
                    tenantAdmins.remove(tenant);
                } else {
                    tenantAdmins.put(tenant, Set.copyOf(TenantPolicies.parseFrom(data).getAdminRolesList()));
                }
            } else {
                String namespace = parts[2] + "/" + parts[3];
                if (data == null) {
                    grants.remove(namespace);
                } else {
                    grants.put(namespace, byRole(NamespacePolicies.parseFrom(data).getGrantsList()));
                }
            }
        } catch (InvalidProtocolBufferException e) {
            // fail closed: an unreadable record grants nothing
            LOG.warn("authorization: cannot read {}, granting nothing there: {}", path, e.toString());
            if (parts.length == 3) {
                tenantAdmins.remove(parts[2]);
            } else {
                grants.remove(parts[2] + "/" + parts[3]);
            }
        }
    }

    private static Map<String, List<Grant>> byRole(List<Grant> list) {
        Map<String, List<Grant>> out = new HashMap<>();
        for (Grant g : list) {
            out.computeIfAbsent(g.getRole(), r -> new ArrayList<>()).add(g);
        }
        return out;
    }

    public boolean isSuperUser(Principal p) {
        return config.superUserRoles().contains(p.role());
    }

    public boolean isTenantAdmin(Principal p, String tenant) {
        return isSuperUser(p) || tenantAdmins.getOrDefault(tenant, Set.of()).contains(p.role());
    }

    /** Null if {@code p} is a superuser, else why it may not {@code what} ("list brokers"). */
    public String whyNotSuperUser(Principal p, String what) {
        return isSuperUser(p) ? null : "role '" + p.role() + "' may not " + what + " (needs a superuser role)";
    }

    /** Null if {@code p} administers {@code tenant}, else why it may not {@code what} ("create namespace t/ns"). */
    public String whyNotTenantAdmin(Principal p, String tenant, String what) {
        return isTenantAdmin(p, tenant) ? null
                : "role '" + p.role() + "' may not " + what + " (needs to be an admin of tenant " + tenant + " or a superuser)";
    }

    /**
     * Null if {@code p} has one of {@code anyOf} on the whole of {@code namespace} (a namespace-wide
     * grant; tenant admins and superusers always), else why it may not {@code what}.
     */
    public String whyNotNamespace(Principal p, String namespace, Set<AuthAction> anyOf, String what) {
        String tenant = namespace.substring(0, namespace.indexOf('/'));
        if (isTenantAdmin(p, tenant)) {
            return null;
        }
        for (Grant g : grantsOf(p, namespace)) {
            if (g.getTopic().isEmpty() && grantsAny(g, anyOf, null)) {
                return null;
            }
        }
        return "role '" + p.role() + "' may not " + what + " (needs " + names(anyOf) + " on " + namespace
                + ", or to be an admin of tenant " + tenant + ")";
    }

    /**
     * Null if {@code p} has one of {@code anyOf} on {@code topic}, by a grant on its namespace or on
     * the topic (the partitioned topic for a partition); a CONSUME grant with a prefix counts only
     * for a {@code subscription} starting with it (or when no subscription is involved). Else why
     * it may not {@code what} ("produce on", "consume subscription 's' of").
     */
    public String whyNotTopic(Principal p, TopicName topic, Set<AuthAction> anyOf, String subscription, String what) {
        if (isTenantAdmin(p, topic.tenant())) {
            return null;
        }
        String base = baseName(topic);
        List<String> prefixes = new ArrayList<>();
        for (Grant g : grantsOf(p, topic.namespace())) {
            if (!g.getTopic().isEmpty() && !g.getTopic().equals(base)) {
                continue;
            }
            if (grantsAny(g, anyOf, subscription)) {
                return null;
            }
            if (g.getActionsList().contains(AuthAction.CONSUME) && anyOf.contains(AuthAction.CONSUME)) {
                prefixes.add(g.getSubscriptionPrefix());
            }
        }
        String why = "role '" + p.role() + "' may not " + what + " topic " + topic + " (needs " + names(anyOf) + " on "
                + topic.namespace() + " or on the topic";
        if (!prefixes.isEmpty()) {
            why += "; its consume grants cover only subscriptions starting with "
                    + prefixes.stream().map(x -> "'" + x + "'").collect(Collectors.joining(" or "));
        }
        return why + ")";
    }

    private List<Grant> grantsOf(Principal p, String namespace) {
        return grants.getOrDefault(namespace, Map.of()).getOrDefault(p.role(), List.of());
    }

    private static boolean grantsAny(Grant g, Set<AuthAction> anyOf, String subscription) {
        for (AuthAction a : g.getActionsList()) {
            if (!anyOf.contains(a)) {
                continue;
            }
            if (a != AuthAction.CONSUME || g.getSubscriptionPrefix().isEmpty() || subscription == null
                    || subscription.startsWith(g.getSubscriptionPrefix())) {
                return true;
            }
        }
        return false;
    }

    /** The name a grant on this topic is stored under: the partitioned topic's for a partition. */
    static String baseName(TopicName topic) {
        String s = topic.toString();
        return topic.partitionIndex() < 0 ? s : s.substring(0, s.lastIndexOf(TopicName.PARTITION_SUFFIX));
    }

    private static String names(Set<AuthAction> actions) {
        List<String> out = EnumSet.copyOf(actions).stream().map(a -> a.name().toLowerCase()).toList();
        if (out.size() == 1) {
            return out.get(0);
        }
        return String.join(", ", out.subList(0, out.size() - 1)) + " or " + out.get(out.size() - 1);
    }
}
