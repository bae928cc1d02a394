package io.tributary.cli;

import com.google.protobuf.util.JsonFormat;
import io.tributary.api.v1.BacklogQuota;
import io.tributary.api.v1.BacklogQuotaPolicy;
import io.tributary.api.v1.ConsumerStats;
import io.tributary.api.v1.DeleteSubscriptionRequest;
import io.tributary.api.v1.GetNamespacePoliciesRequest;
import io.tributary.api.v1.GetTopicStatsRequest;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessageId;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.ResetSubscriptionRequest;
import io.tributary.api.v1.SetNamespacePoliciesRequest;
import io.tributary.api.v1.SubscriptionStats;
import io.tributary.api.v1.TopicStats;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.AdminServiceGrpc.AdminServiceBlockingStub;
import io.tributary.api.v1.BrokerInfo;
import io.tributary.api.v1.BundleInfo;
import io.tributary.api.v1.CreateNamespaceRequest;
import io.tributary.api.v1.CreateTenantRequest;
import io.tributary.api.v1.CreateTopicRequest;
import io.tributary.api.v1.DeleteNamespaceRequest;
import io.tributary.api.v1.DeleteTenantRequest;
import io.tributary.api.v1.DeleteTopicRequest;
import io.tributary.api.v1.DrainBrokerRequest;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.GetTopicRequest;
import io.tributary.api.v1.GetTopicResponse;
import io.tributary.api.v1.ListBrokersRequest;
import io.tributary.api.v1.ListBundlesRequest;
import io.tributary.api.v1.ListNamespacesRequest;
import io.tributary.api.v1.ListTenantsRequest;
import io.tributary.api.v1.ListTopicsRequest;
import io.tributary.api.v1.SplitBundleRequest;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.api.v1.UnloadBundleResponse;
import io.tributary.protocol.ErrorReasons;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tributary admin ...}: operates a cluster through the proxy's admin API. */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = "Operates the cluster: brokers, bundles, topics, subscriptions, namespaces, tenants.",
        subcommands = {AdminCommand.Brokers.class, AdminCommand.Bundles.class, AdminCommand.Topics.class,
                AdminCommand.Namespaces.class, AdminCommand.Tenants.class, AdminCommand.Subscriptions.class})
final class AdminCommand implements Runnable {
    @Option(names = {"-u", "--service-url"}, defaultValue = "localhost:6650", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "Proxy (or broker) address (default: ${DEFAULT-VALUE}).")
    String serviceUrl;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Runs one admin call; a refusal prints its reason and exits 1. */
    interface AdminCall {
        void run(AdminServiceBlockingStub admin) throws Exception;
    }

    /** A leaf command: one call on the admin API of the cluster named by {@code admin --service-url}. */
    abstract static class Call implements Callable<Integer>, AdminCall {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return root(spec).call(this);
        }
    }

    int call(AdminCall call) throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forTarget(serviceUrl).usePlaintext().build();
        try {
            call.run(AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES));
            return 0;
        } catch (StatusRuntimeException e) {
            ErrorDetail d = ErrorReasons.detailOf(e);
            System.err.println("error: " + d.getReason() + ": " + d.getMessage());
            return 1;
        } finally {
            channel.shutdownNow();
        }
    }

    @Command(name = "brokers", mixinStandardHelpOptions = true, description = "Lists or drains brokers.",
            subcommands = {Brokers.List.class, Brokers.Drain.class})
    static final class Brokers {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "Live brokers with their load.")
        static final class List extends Call {
            @Override
            public void run(AdminServiceBlockingStub admin) {
                System.out.printf("%-18s %-22s %-7s %-8s %7s %7s %12s %12s%n", "BROKER", "ADDRESS", "LEADER",
                        "DRAINING", "BUNDLES", "TOPICS", "MSG/S IN", "MSG/S OUT");
                for (BrokerInfo b : admin.listBrokers(ListBrokersRequest.getDefaultInstance()).getBrokersList()) {
                    System.out.printf("%-18s %-22s %-7s %-8s %7d %7d %12.1f %12.1f%n", b.getBrokerId(), b.getAddress(),
                            b.getLeader() ? "yes" : "", b.getDraining() ? "yes" : "", b.getBundles(), b.getTopics(),
                            b.getMsgRateIn(), b.getMsgRateOut());
                }
            }
        }

        @Command(name = "drain", mixinStandardHelpOptions = true,
                description = "Moves every bundle off a broker; it keeps running and takes no new bundles.")
        static final class Drain extends Call {
            @Parameters(paramLabel = "BROKER_ID")
            String brokerId;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                System.out.println("moved " + admin.drainBroker(DrainBrokerRequest.newBuilder()
                        .setBrokerId(brokerId).build()).getBundlesMoved() + " bundles off " + brokerId);
            }
        }
    }

    @Command(name = "bundles", mixinStandardHelpOptions = true, description = "Lists, moves or splits namespace bundles.",
            subcommands = {Bundles.List.class, Bundles.Unload.class, Bundles.Split.class})
    static final class Bundles {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "Bundles with their owner and load.")
        static final class List extends Call {
            @Parameters(paramLabel = "NAMESPACE", arity = "0..1", description = "tenant/namespace; all if omitted")
            String namespace;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                System.out.printf("%-20s %-23s %-18s %7s %12s %12s%n", "NAMESPACE", "BUNDLE", "OWNER", "TOPICS",
                        "MSG/S IN", "MSG/S OUT");
                for (BundleInfo b : admin.listBundles(ListBundlesRequest.newBuilder()
                        .setNamespace(namespace == null ? "" : namespace).build()).getBundlesList()) {
                    System.out.printf("%-20s %-23s %-18s %7d %12.1f %12.1f%n", b.getNamespace(), b.getBundle(),
                            b.getOwnerBrokerId().isEmpty() ? "(unowned)" : b.getOwnerBrokerId(), b.getTopics(),
                            b.getMsgRateIn(), b.getMsgRateOut());
                }
            }
        }

        @Command(name = "unload", mixinStandardHelpOptions = true,
                description = "Moves a bundle to another broker (the given one, or the least loaded).")
        static final class Unload extends Call {
            @Parameters(index = "0", paramLabel = "NAMESPACE")
            String namespace;
            @Parameters(index = "1", paramLabel = "BUNDLE", description = "e.g. 0x00000000_0x40000000")
            String bundle;
            @Option(names = "--to", paramLabel = "BROKER_ID", description = "Destination broker.")
            String destination;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                UnloadBundleResponse r = admin.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(namespace)
                        .setBundle(bundle).setDestinationBrokerId(destination == null ? "" : destination).build());
                System.out.println(namespace + "/" + bundle + " now on " + r.getNewOwnerBrokerId() + " (" + r.getNewOwnerAddress() + ")");
            }
        }

        @Command(name = "split", mixinStandardHelpOptions = true, description = "Splits a bundle into two halves.")
        static final class Split extends Call {
            @Parameters(index = "0", paramLabel = "NAMESPACE")
            String namespace;
            @Parameters(index = "1", paramLabel = "BUNDLE")
            String bundle;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                System.out.println(namespace + "/" + bundle + " split into "
                        + String.join(" and ", admin.splitBundle(SplitBundleRequest.newBuilder().setNamespace(namespace)
                        .setBundle(bundle).build()).getBundlesList()));
            }
        }
    }

    @Command(name = "topics", mixinStandardHelpOptions = true, description = "Creates, lists, deletes topics; shows stats.",
            subcommands = {Topics.List.class, Topics.Create.class, Topics.Delete.class, Topics.Stats.class})
    static final class Topics {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "Topics of a namespace.")
        static final class List extends Call {
            @Parameters(paramLabel = "NAMESPACE")
            String namespace;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.listTopics(ListTopicsRequest.newBuilder().setNamespace(namespace).build())
                        .getTopicsList().forEach(System.out::println);
            }
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a topic.")
        static final class Create extends Call {
            @Parameters(paramLabel = "TOPIC")
            String topic;
            @Option(names = {"-p", "--partitions"}, defaultValue = "0", description = "Partitions (0: not partitioned).")
            int partitions;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.createTopic(CreateTopicRequest.newBuilder().setTopic(topic).setPartitions(partitions).build());
                System.out.println("created " + topic + (partitions > 0 ? " with " + partitions + " partitions" : ""));
            }
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes a topic and its data.")
        static final class Delete extends Call {
            @Parameters(paramLabel = "TOPIC")
            String topic;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.deleteTopic(DeleteTopicRequest.newBuilder().setTopic(topic).build());
                System.out.println("deleted " + topic);
            }
        }

        @Command(name = "stats", mixinStandardHelpOptions = true,
                description = "Rates, storage, backlog, consumers and redeliveries of a topic and its subscriptions.")
        static final class Stats extends Call {
            @Parameters(paramLabel = "TOPIC")
            String topic;
            @Option(names = "--json", description = "Print the stats as JSON.")
            boolean json;

            @Override
            public void run(AdminServiceBlockingStub admin) throws Exception {
                TopicStats stats = topicStats(admin, topic);
                if (json) {
                    System.out.println(JsonFormat.printer().includingDefaultValueFields().print(stats));
                } else {
                    printStats(stats);
                }
            }
        }
    }

    /** A topic's stats; for a partitioned topic, the sums over its partitions with each partition inside. */
    static TopicStats topicStats(AdminServiceBlockingStub admin, String topic) {
        GetTopicResponse t = admin.getTopic(GetTopicRequest.newBuilder().setTopic(topic).build());
        if (t.getPartitions() == 0) {
            return admin.getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(topic).build());
        }
        TopicStats.Builder sum = TopicStats.newBuilder().setTopic(t.getTopic());
        for (int i = 0; i < t.getPartitions(); i++) {
            TopicStats p = admin.getTopicStats(GetTopicStatsRequest.newBuilder().setTopic(t.getTopic() + "-partition-" + i).build());
            sum.addPartitions(p)
                    .setMsgRateIn(sum.getMsgRateIn() + p.getMsgRateIn())
                    .setMsgRateOut(sum.getMsgRateOut() + p.getMsgRateOut())
                    .setBytesRateIn(sum.getBytesRateIn() + p.getBytesRateIn())
                    .setBytesRateOut(sum.getBytesRateOut() + p.getBytesRateOut())
                    .setMsgInTotal(sum.getMsgInTotal() + p.getMsgInTotal())
                    .setMsgOutTotal(sum.getMsgOutTotal() + p.getMsgOutTotal())
                    .setStorageSizeBytes(sum.getStorageSizeBytes() + p.getStorageSizeBytes())
                    .setEntries(sum.getEntries() + p.getEntries())
                    .setLedgers(sum.getLedgers() + p.getLedgers())
                    .setProducers(sum.getProducers() + p.getProducers())
                    .setBacklogBytes(sum.getBacklogBytes() + p.getBacklogBytes());
        }
        return sum.build();
    }

    private static void printStats(TopicStats s) {
        System.out.printf("topic:          %s%n", s.getTopic());
        System.out.printf("rate in:        %.1f msg/s, %.1f bytes/s (%d messages in all)%n", s.getMsgRateIn(), s.getBytesRateIn(), s.getMsgInTotal());
        System.out.printf("rate out:       %.1f msg/s, %.1f bytes/s (%d messages in all)%n", s.getMsgRateOut(), s.getBytesRateOut(), s.getMsgOutTotal());
        System.out.printf("storage:        %d bytes in %d entries, %d ledgers%n", s.getStorageSizeBytes(), s.getEntries(), s.getLedgers());
        System.out.printf("producers:      %d%n", s.getProducers());
        for (TopicStats p : s.getPartitionsList()) {
            System.out.printf("partition %s: %d entries, backlog %d bytes%n", p.getTopic(), p.getEntries(), p.getBacklogBytes());
        }
        java.util.List<SubscriptionStats> subs = s.getPartitionsCount() > 0
                ? s.getPartitionsList().stream().flatMap(p -> p.getSubscriptionsList().stream()).toList()
                : s.getSubscriptionsList();
        for (SubscriptionStats sub : subs) {
            System.out.printf("subscription %s (%s%s):%n", sub.getSubscription(), sub.getType(), sub.getDurable() ? "" : ", reader");
            System.out.printf("  backlog:      %d messages, %d bytes; %d unacknowledged at consumers; %d delayed%n",
                    sub.getMsgBacklog(), sub.getBacklogBytes(), sub.getUnackedMessages(), sub.getDelayedMessages());
            System.out.printf("  rate out:     %.1f msg/s (%d in all); redelivered %.1f msg/s (%d in all); expired %d%n",
                    sub.getMsgRateOut(), sub.getMsgOutTotal(), sub.getMsgRateRedeliver(), sub.getRedeliveredTotal(), sub.getExpiredTotal());
            System.out.printf("  acknowledged: up to %d:%d, plus %d ranges beyond%n", sub.getMarkDeletePosition().getLedgerId(),
                    sub.getMarkDeletePosition().getEntryId(), sub.getAckedRanges());
            for (ConsumerStats c : sub.getConsumersList()) {
                System.out.printf("  consumer %s%s: permits %d, unacknowledged %d, %.1f msg/s%n", c.getConsumerName(),
                        c.getActive() ? "" : " (standby)", c.getPermits(), c.getUnackedMessages(), c.getMsgRateOut());
            }
        }
    }

    @Command(name = "subscriptions", mixinStandardHelpOptions = true, description = "Lists, resets, clears, deletes subscriptions.",
            subcommands = {Subscriptions.List.class, Subscriptions.Reset.class, Subscriptions.ClearBacklog.class,
                    Subscriptions.Delete.class})
    static final class Subscriptions {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "Subscriptions of a topic.")
        static final class List extends Call {
            @Parameters(paramLabel = "TOPIC")
            String topic;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.getTopic(GetTopicRequest.newBuilder().setTopic(topic).build()).getSubscriptionsList()
                        .forEach(System.out::println);
            }
        }

        @Command(name = "reset", mixinStandardHelpOptions = true,
                description = "Moves a subscription's cursor; its consumers reconnect and read from there.")
        static final class Reset extends Call {
            @Parameters(index = "0", paramLabel = "TOPIC")
            String topic;
            @Parameters(index = "1", paramLabel = "SUBSCRIPTION")
            String subscription;
            @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
            Target target;

            static final class Target {
                @Option(names = "--earliest", description = "To the first stored message.")
                boolean earliest;
                @Option(names = "--latest", description = "To the end: only new messages.")
                boolean latest;
                @Option(names = "--message-id", paramLabel = "LEDGER:ENTRY", description = "To this message.")
                String messageId;
                @Option(names = "--time", paramLabel = "TIME",
                        description = "To the first message published at or after TIME (epoch ms or ISO-8601, e.g. 2026-11-22T10:00:00Z).")
                String time;
            }

            @Override
            public void run(AdminServiceBlockingStub admin) {
                ResetSubscriptionRequest.Builder r = ResetSubscriptionRequest.newBuilder().setTopic(topic).setSubscription(subscription);
                if (target.earliest) {
                    r.setPosition(InitialPosition.EARLIEST);
                } else if (target.latest) {
                    r.setPosition(InitialPosition.LATEST);
                } else if (target.messageId != null) {
                    String[] parts = target.messageId.split(":");
                    if (parts.length < 2) {
                        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                                "--message-id must be LEDGER:ENTRY, was " + target.messageId);
                    }
                    r.setMessageId(MessageId.newBuilder().setLedgerId(Long.parseLong(parts[0]))
                            .setEntryId(Long.parseLong(parts[1])).setPartition(-1));
                } else {
                    r.setPublishTimeMs(parseTime(target.time));
                }
                admin.resetSubscription(r.build());
                System.out.println("reset " + subscription + " of " + topic);
            }

            private long parseTime(String t) {
                try {
                    return t.chars().allMatch(Character::isDigit) ? Long.parseLong(t) : java.time.Instant.parse(t).toEpochMilli();
                } catch (RuntimeException e) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                            "--time must be epoch milliseconds or ISO-8601 like 2026-11-22T10:00:00Z, was " + t);
                }
            }
        }

        @Command(name = "clear-backlog", mixinStandardHelpOptions = true,
                description = "Acknowledges everything a subscription has not consumed yet.")
        static final class ClearBacklog extends Call {
            @Parameters(index = "0", paramLabel = "TOPIC")
            String topic;
            @Parameters(index = "1", paramLabel = "SUBSCRIPTION")
            String subscription;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.resetSubscription(ResetSubscriptionRequest.newBuilder().setTopic(topic).setSubscription(subscription)
                        .setPosition(InitialPosition.LATEST).build());
                System.out.println("cleared the backlog of " + subscription + " on " + topic);
            }
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes a subscription and its cursor.")
        static final class Delete extends Call {
            @Parameters(index = "0", paramLabel = "TOPIC")
            String topic;
            @Parameters(index = "1", paramLabel = "SUBSCRIPTION")
            String subscription;
            @Option(names = "--force", description = "Disconnect its consumers first.")
            boolean force;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.deleteSubscription(DeleteSubscriptionRequest.newBuilder().setTopic(topic).setSubscription(subscription)
                        .setForce(force).build());
                System.out.println("deleted " + subscription + " of " + topic);
            }
        }
    }

    @Command(name = "namespaces", mixinStandardHelpOptions = true, description = "Creates, lists, deletes namespaces.",
            subcommands = {Namespaces.List.class, Namespaces.Create.class, Namespaces.Delete.class,
                    Namespaces.Policies.class, Namespaces.SetPolicies.class})
    static final class Namespaces {
        @Command(name = "policies", mixinStandardHelpOptions = true, description = "Retention, message TTL and backlog quota of a namespace.")
        static final class Policies extends Call {
            @Parameters(paramLabel = "NAMESPACE")
            String namespace;

            @Override
            public void run(AdminServiceBlockingStub admin) throws Exception {
                NamespacePolicies p = admin.getNamespacePolicies(GetNamespacePoliciesRequest.newBuilder().setNamespace(namespace).build());
                System.out.println(JsonFormat.printer().print(p));
            }
        }

        @Command(name = "set-policies", mixinStandardHelpOptions = true,
                description = "Changes the given policies of a namespace; the others stay as they are.")
        static final class SetPolicies extends Call {
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

            enum QuotaPolicy { producer_request_hold, producer_exception, consumer_backlog_eviction }

            @Override
            public void run(AdminServiceBlockingStub admin) throws Exception {
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
                            .setPolicy(BacklogQuotaPolicy.valueOf(qp.name().toUpperCase(java.util.Locale.ROOT))));
                }
                NamespacePolicies now = admin.setNamespacePolicies(SetNamespacePoliciesRequest.newBuilder()
                        .setNamespace(namespace).setPolicies(p).build());
                System.out.println(JsonFormat.printer().print(now));
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "Namespaces of a tenant.")
        static final class List extends Call {
            @Parameters(paramLabel = "TENANT")
            String tenant;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.listNamespaces(ListNamespacesRequest.newBuilder().setTenant(tenant).build())
                        .getNamespacesList().forEach(System.out::println);
            }
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a namespace.")
        static final class Create extends Call {
            @Parameters(paramLabel = "NAMESPACE")
            String namespace;
            @Option(names = "--bundles", defaultValue = "0", description = "Bundles (0: the broker's default).")
            int bundles;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.createNamespace(CreateNamespaceRequest.newBuilder().setNamespace(namespace).setBundles(bundles).build());
                System.out.println("created " + namespace);
            }
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes an empty namespace.")
        static final class Delete extends Call {
            @Parameters(paramLabel = "NAMESPACE")
            String namespace;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.deleteNamespace(DeleteNamespaceRequest.newBuilder().setNamespace(namespace).build());
                System.out.println("deleted " + namespace);
            }
        }
    }

    @Command(name = "tenants", mixinStandardHelpOptions = true, description = "Creates, lists, deletes tenants.",
            subcommands = {Tenants.List.class, Tenants.Create.class, Tenants.Delete.class})
    static final class Tenants {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "All tenants.")
        static final class List extends Call {
            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.listTenants(ListTenantsRequest.getDefaultInstance())
                        .getTenantsList().forEach(System.out::println);
            }
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a tenant.")
        static final class Create extends Call {
            @Parameters(paramLabel = "TENANT")
            String tenant;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.createTenant(CreateTenantRequest.newBuilder().setTenant(tenant).build());
                System.out.println("created " + tenant);
            }
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes a tenant without namespaces.")
        static final class Delete extends Call {
            @Parameters(paramLabel = "TENANT")
            String tenant;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                admin.deleteTenant(DeleteTenantRequest.newBuilder().setTenant(tenant).build());
                System.out.println("deleted " + tenant);
            }
        }
    }

    /** The admin command above any subcommand, which holds the service URL. */
    static AdminCommand root(picocli.CommandLine.Model.CommandSpec spec) {
        picocli.CommandLine.Model.CommandSpec s = spec;
        while (!(s.userObject() instanceof AdminCommand)) {
            s = s.parent();
        }
        return (AdminCommand) s.userObject();
    }
}
