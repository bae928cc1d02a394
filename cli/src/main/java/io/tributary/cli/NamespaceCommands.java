package io.tributary.cli;

import io.tributary.api.v1.AdminServiceGrpc.AdminServiceBlockingStub;
import io.tributary.api.v1.AutoTopicCreation;
import io.tributary.api.v1.AutoTopicCreationType;
import io.tributary.api.v1.BacklogQuota;
import io.tributary.api.v1.BacklogQuotaPolicy;
import io.tributary.api.v1.GetNamespacePoliciesRequest;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.Persistence;
import io.tributary.api.v1.Rate;
import io.tributary.api.v1.SetNamespacePoliciesRequest;
import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.TributaryAdmin;
import java.util.ArrayList;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code tributary admin namespaces ...}: namespaces, their policies and grants. */
@Command(name = "namespaces", mixinStandardHelpOptions = true, description = "Creates, lists, deletes namespaces; their policies.",
        subcommands = {NamespaceCommands.List.class, NamespaceCommands.Create.class, NamespaceCommands.Delete.class,
                NamespaceCommands.Policies.class, NamespaceCommands.SetPolicies.class, PermissionCommands.NamespaceGrant.class,
                PermissionCommands.NamespaceRevoke.class, PermissionCommands.NamespacePermissions.class})
final class NamespaceCommands {
    private NamespaceCommands() {}

    @Command(name = "policies", mixinStandardHelpOptions = true,
            description = "Every policy of a namespace: retention, TTL, backlog quota, rate limits, limits (unset ones follow the broker).")
    static final class Policies extends AdminCommand.Call {
        @Parameters(paramLabel = "NAMESPACE")
        String namespace;

        @Override
        public void run(AdminServiceBlockingStub admin) {
            print(admin.getNamespacePolicies(GetNamespacePoliciesRequest.newBuilder().setNamespace(namespace).build()));
        }
    }

    @Command(name = "set-policies", mixinStandardHelpOptions = true,
            description = "Changes the given policies of a namespace; the others stay as they are. Rate limits, limits and"
                    + " persistence need a superuser.")
    static final class SetPolicies extends AdminCommand.Call {
        @Parameters(paramLabel = "NAMESPACE")
        String namespace;
        @Option(names = "--retention-time", paramLabel = "SECONDS", description = "Keep acknowledged messages this long (-1: forever).")
        Long retentionTime;
        @Option(names = "--retention-size", paramLabel = "BYTES", description = "Keep this many bytes of acknowledged messages (-1: no limit).")
        Long retentionSize;
        @Option(names = "--ttl", paramLabel = "SECONDS", description = "Acknowledge messages older than this for every subscription (0: never).")
        Long ttl;
        @Option(names = "--backlog-quota", paramLabel = "BYTES", description = "Largest backlog of one subscription (0: no quota).")
        Long quota;
        @Option(names = "--backlog-policy", paramLabel = "POLICY",
                description = "What happens over the quota: ${COMPLETION-CANDIDATES} (default producer_request_hold).")
        QuotaPolicy policy;
        @Option(names = "--publish-rate-per-topic", paramLabel = "MSGS[,BYTES]", description = "Each topic's publish limit per second (0: none).")
        String publishRatePerTopic;
        @Option(names = "--publish-rate-per-namespace", paramLabel = "MSGS[,BYTES]",
                description = "All the namespace's topics together, on all brokers, per second (0: none).")
        String publishRatePerNamespace;
        @Option(names = "--dispatch-rate-per-subscription", paramLabel = "MSGS[,BYTES]", description = "Each subscription's dispatch limit per second.")
        String dispatchRatePerSubscription;
        @Option(names = "--dispatch-rate-per-topic", paramLabel = "MSGS[,BYTES]", description = "A topic's subscriptions together, per second.")
        String dispatchRatePerTopic;
        @Option(names = "--max-producers-per-topic", paramLabel = "N", description = "0: no limit.")
        Integer maxProducers;
        @Option(names = "--max-consumers-per-topic", paramLabel = "N", description = "Over all its subscriptions; 0: no limit.")
        Integer maxConsumers;
        @Option(names = "--max-subscriptions-per-topic", paramLabel = "N", description = "Readers count; 0: no limit.")
        Integer maxSubscriptions;
        @Option(names = "--max-topics-per-namespace", paramLabel = "N", description = "A partitioned topic counts as its partitions; 0: no limit.")
        Integer maxTopics;
        @Option(names = "--max-message-size", paramLabel = "BYTES", description = "At most the broker's; 0: the broker's.")
        Integer maxMessageSize;
        @Option(names = "--auto-topic-creation", paramLabel = "TYPE", description = "${COMPLETION-CANDIDATES}")
        AutoCreation autoTopicCreation;
        @Option(names = "--auto-topic-partitions", paramLabel = "N", description = "With --auto-topic-creation partitioned.")
        Integer autoTopicPartitions;
        @Option(names = "--deduplication", paramLabel = "true|false", arity = "1", description = "Drop batches a producer already stored.")
        Boolean deduplication;
        @Option(names = "--subscription-expiration", paramLabel = "SECONDS",
                description = "Delete a durable subscription without consumers for this long (0: never).")
        Long subscriptionExpiration;
        @Option(names = "--persistence", paramLabel = "E,W,A", description = "Ensemble size, write quorum, ack quorum of new ledgers.")
        String persistence;
        @Option(names = "--clear", paramLabel = "FIELD", description = "A policy to return to the broker's default, by its field name"
                + " (e.g. max_producers_per_topic); repeatable.")
        java.util.List<String> clear = new ArrayList<>();

        enum QuotaPolicy { producer_request_hold, producer_exception, consumer_backlog_eviction }

        enum AutoCreation { disabled, non_partitioned, partitioned }

        @Override
        public void run(AdminServiceBlockingStub admin) {
            NamespacePolicies.Builder p = NamespacePolicies.newBuilder();
            if (retentionTime != null) {
                p.setRetentionTimeSeconds(retentionTime);
            }
            if (retentionSize != null) {
                p.setRetentionSizeBytes(retentionSize);
            }
            if (ttl != null) {
                p.setMessageTtlSeconds(ttl);
            }
            if (quota != null || policy != null) {
                QuotaPolicy qp = policy == null ? QuotaPolicy.producer_request_hold : policy;
                p.setBacklogQuota(BacklogQuota.newBuilder().setLimitBytes(quota == null ? 0 : quota)
                        .setPolicy(BacklogQuotaPolicy.valueOf(qp.name().toUpperCase(Locale.ROOT))));
            }
            if (publishRatePerTopic != null) {
                p.setPublishRatePerTopic(rate("--publish-rate-per-topic", publishRatePerTopic));
            }
            if (publishRatePerNamespace != null) {
                p.setPublishRatePerNamespace(rate("--publish-rate-per-namespace", publishRatePerNamespace));
            }
            if (dispatchRatePerSubscription != null) {
                p.setDispatchRatePerSubscription(rate("--dispatch-rate-per-subscription", dispatchRatePerSubscription));
            }
            if (dispatchRatePerTopic != null) {
                p.setDispatchRatePerTopic(rate("--dispatch-rate-per-topic", dispatchRatePerTopic));
            }
            if (maxProducers != null) {
                p.setMaxProducersPerTopic(maxProducers);
            }
            if (maxConsumers != null) {
                p.setMaxConsumersPerTopic(maxConsumers);
            }
            if (maxSubscriptions != null) {
                p.setMaxSubscriptionsPerTopic(maxSubscriptions);
            }
            if (maxTopics != null) {
                p.setMaxTopicsPerNamespace(maxTopics);
            }
            if (maxMessageSize != null) {
                p.setMaxMessageSizeBytes(maxMessageSize);
            }
            if (autoTopicCreation != null) {
                p.setAutoTopicCreation(AutoTopicCreation.newBuilder().setType(AutoTopicCreationType.valueOf(
                        "AUTO_TOPIC_CREATION_TYPE_" + autoTopicCreation.name().toUpperCase(Locale.ROOT)))
                        .setPartitions(autoTopicPartitions == null ? 0 : autoTopicPartitions));
            } else if (autoTopicPartitions != null) {
                throw new ParameterException(spec.commandLine(), "--auto-topic-partitions goes with --auto-topic-creation partitioned");
            }
            if (deduplication != null) {
                p.setDeduplicationEnabled(deduplication);
            }
            if (subscriptionExpiration != null) {
                p.setSubscriptionExpirationSeconds(subscriptionExpiration);
            }
            if (persistence != null) {
                long[] v = numbers("--persistence", persistence, 3, 3);
                p.setPersistence(Persistence.newBuilder().setEnsembleSize((int) v[0]).setWriteQuorum((int) v[1])
                        .setAckQuorum((int) v[2]));
            }
            print(admin.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder().setNamespace(namespace).setPolicies(p)
                    .addAllClear(clear).build()));
        }

        private Rate rate(String option, String text) {
            long[] v = numbers(option, text, 1, 2);
            return Rate.newBuilder().setMessagesPerSecond(v[0]).setBytesPerSecond(v.length > 1 ? v[1] : 0).build();
        }

        private long[] numbers(String option, String text, int min, int max) {
            String[] parts = text.split(",", -1);
            if (parts.length < min || parts.length > max) {
                throw new ParameterException(spec.commandLine(), option + " takes " + (min == max ? min : min + " to " + max)
                        + " comma-separated numbers, was " + text);
            }
            long[] out = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    out[i] = Long.parseLong(parts[i].trim());
                } catch (NumberFormatException e) {
                    throw new ParameterException(spec.commandLine(), option + ": '" + parts[i] + "' is not a number");
                }
            }
            return out;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Namespaces of a tenant.")
    static final class List extends AdminCommand.AdminClientCall {
        @Parameters(paramLabel = "TENANT")
        String tenant;

        @Override
        public void run(TributaryAdmin admin) throws TributaryClientException {
            java.util.List<String> namespaces = admin.namespaces().list(tenant);
            if (!structured(namespaces)) {
                namespaces.forEach(System.out::println);
            }
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a namespace.")
    static final class Create extends AdminCommand.AdminClientCall {
        @Parameters(paramLabel = "NAMESPACE")
        String namespace;
        @Option(names = "--bundles", defaultValue = "0", description = "Bundles (0: the broker's default).")
        int bundles;

        @Override
        public void run(TributaryAdmin admin) throws TributaryClientException {
            admin.namespaces().create(namespace, bundles);
            done("created", namespace, "created " + namespace);
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes an empty namespace.")
    static final class Delete extends AdminCommand.AdminClientCall {
        @Parameters(paramLabel = "NAMESPACE")
        String namespace;

        @Override
        public void run(TributaryAdmin admin) throws TributaryClientException {
            admin.namespaces().delete(namespace);
            done("deleted", namespace, "deleted " + namespace);
        }
    }
}
