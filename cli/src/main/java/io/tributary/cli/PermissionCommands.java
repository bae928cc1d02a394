package io.tributary.cli;

import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.AuthAction;
import io.tributary.client.admin.Permission;
import io.tributary.client.admin.TributaryAdmin;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code admin namespaces grant|revoke|permissions}, {@code admin topics grant|revoke|permissions}
 * and {@code admin tenants set-admins}: who may produce, consume and administer what.
 */
final class PermissionCommands {
    private PermissionCommands() {}

    /** What grant commands take besides the resource. */
    abstract static class Grant extends AdminCommand.AdminClientCall {
        @Option(names = "--role", required = true, description = "The role (a token's subject) to grant to.")
        String role;
        @Option(names = "--actions", required = true, split = ",",
                description = "Comma list of produce, consume, admin; replaces what the role had here.")
        List<String> actions;
        @Option(names = "--subscription-prefix", defaultValue = "",
                description = "With consume: only subscriptions (and readers) whose names start with this.")
        String subscriptionPrefix;

        Set<AuthAction> actions() {
            Set<AuthAction> out = EnumSet.noneOf(AuthAction.class);
            for (String a : actions) {
                try {
                    out.add(AuthAction.valueOf(a.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                            "unknown action '" + a + "': use produce, consume or admin");
                }
            }
            return out;
        }
    }

    static void print(List<Permission> permissions) {
        if (permissions.isEmpty()) {
            System.out.println("no grants");
        }
        for (Permission p : permissions) {
            List<String> parts = new ArrayList<>();
            parts.add(p.role());
            parts.add(p.actions().stream().sorted().map(a -> a.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(",")));
            if (!p.subscriptionPrefix().isEmpty()) {
                parts.add("subscription-prefix=" + p.subscriptionPrefix());
            }
            System.out.println(String.join("\t", parts));
        }
    }

    @Command(name = "grant", mixinStandardHelpOptions = true,
            description = "Gives a role actions on a namespace (all its topics). Needs an admin of the tenant.")
    static final class NamespaceGrant extends Grant {
        @Parameters(paramLabel = "NAMESPACE")
        String namespace;

        @Override
        public void run(TributaryAdmin admin) throws TributaryClientException {
            admin.namespaces().grantPermission(namespace, role, actions(), subscriptionPrefix);
            done("granted", java.util.Map.of("namespace", namespace, "role", role, "actions", actions),
                    "granted " + String.join(",", actions) + " on " + namespace + " to " + role);
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Takes away what a role was granted on a namespace.")
    static final class NamespaceRevoke extends AdminCommand.AdminClientCall {
        @Parameters(paramLabel = "NAMESPACE")
        String namespace;
        @Option(names = "--role", required = true)
        String role;

        @Override
        public void run(TributaryAdmin admin) throws TributaryClientException {
            boolean revoked = admin.namespaces().revokePermission(namespace, role);
            done("revoked", revoked, revoked ? "revoked the grants of " + role + " on " + namespace : role + " had no grant on " + namespace);
        }
    }

    @Command(name = "permissions", mixinStandardHelpOptions = true,
            description = "The namespace-wide grants of a namespace: role, actions, subscription prefix.")
    static final class NamespacePermissions extends AdminCommand.AdminClientCall {
        @Parameters(paramLabel = "NAMESPACE")
        String namespace;

        @Override
        public void run(TributaryAdmin admin) throws TributaryClientException {
            List<Permission> grants = admin.namespaces().getPermissions(namespace);
            if (!structured(grants)) {
                print(grants);
            }
        }
    }

    @Command(name = "grant", mixinStandardHelpOptions = true,
            description = "Gives a role actions on one topic (all its partitions). Needs an admin of the tenant.")
    static final class TopicGrant extends Grant {
        @Parameters(paramLabel = "TOPIC")
        String topic;

        @Override
        public void run(TributaryAdmin admin) throws TributaryClientException {
            admin.topics().grantPermission(topic, role, actions(), subscriptionPrefix);
            done("granted", java.util.Map.of("topic", topic, "role", role, "actions", actions),
                    "granted " + String.join(",", actions) + " on " + topic + " to " + role);
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Takes away what a role was granted on a topic.")
    static final class TopicRevoke extends AdminCommand.AdminClientCall {
        @Parameters(paramLabel = "TOPIC")
        String topic;
        @Option(names = "--role", required = true)
        String role;

        @Override
        public void run(TributaryAdmin admin) throws TributaryClientException {
            boolean revoked = admin.topics().revokePermission(topic, role);
            done("revoked", revoked, revoked ? "revoked the grants of " + role + " on " + topic : role + " had no grant on " + topic);
        }
    }

    @Command(name = "permissions", mixinStandardHelpOptions = true,
            description = "The grants on one topic (grants on its namespace are listed by 'namespaces permissions').")
    static final class TopicPermissions extends AdminCommand.AdminClientCall {
        @Parameters(paramLabel = "TOPIC")
        String topic;

        @Override
        public void run(TributaryAdmin admin) throws TributaryClientException {
            List<Permission> grants = admin.topics().getPermissions(topic);
            if (!structured(grants)) {
                print(grants);
            }
        }
    }

    @Command(name = "set-admins", mixinStandardHelpOptions = true,
            description = "Replaces the admin roles of a tenant (none given: no admins). Needs a superuser.")
    static final class TenantAdmins extends AdminCommand.AdminClientCall {
        @Parameters(index = "0", paramLabel = "TENANT")
        String tenant;
        @Parameters(index = "1..*", arity = "0..*", paramLabel = "ROLE")
        List<String> roles = new ArrayList<>();

        @Override
        public void run(TributaryAdmin admin) throws TributaryClientException {
            admin.tenants().setAdmins(tenant, roles);
            done("admins", roles, "admins of " + tenant + ": " + (roles.isEmpty() ? "none" : String.join(", ", roles)));
        }
    }
}
