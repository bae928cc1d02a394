package io.tributary.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.AdminServiceGrpc.AdminServiceBlockingStub;
import io.tributary.api.v1.BrokerInfo;
import io.tributary.api.v1.BundleInfo;
import io.tributary.api.v1.DrainBrokerRequest;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ListBrokersRequest;
import io.tributary.api.v1.ListBundlesRequest;
import io.tributary.api.v1.SplitBundleRequest;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.api.v1.UnloadBundleResponse;
import io.tributary.client.MessageId;
import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.ConsumerStats;
import io.tributary.client.admin.PublisherStats;
import io.tributary.client.admin.SubscriptionStats;
import io.tributary.client.admin.TopicStats;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.client.impl.ClientBuilderImpl;
import io.tributary.client.impl.ClientChannels;
import io.tributary.protocol.ErrorReasons;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tributary admin ...}: operates a cluster through the proxy's admin API. */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = "Operates the cluster: brokers, bundles, topics, subscriptions, namespaces, tenants, dead letters, transactions.",
        subcommands = {AdminCommand.Brokers.class, AdminCommand.Bundles.class, AdminCommand.Topics.class,
                NamespaceCommands.class, AdminCommand.Tenants.class, AdminCommand.Subscriptions.class,
                DeadLetterCommands.class, TransactionCommands.class})
final class AdminCommand implements Runnable {
    /** Where and how to connect; inherited by every subcommand. */
    @picocli.CommandLine.Mixin
    ClientOptions connection;

    @Option(names = {"-o", "--output"}, scope = picocli.CommandLine.ScopeType.INHERIT, defaultValue = "table",
            paramLabel = "FORMAT", description = "table (for people, the default), json or yaml (for scripts: "
                    + "API responses in their protobuf JSON mapping, as the REST admin API answers).")
    Output.Format output;

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

        /** With {@code --output json|yaml}, prints {@code value} so and returns true; with table, false. */
        boolean structured(Object value) {
            return root(spec).structured(value);
        }

        /** Whether the output is the table for people (not JSON or YAML). */
        boolean forPeople() {
            return root(spec).output == Output.Format.table;
        }

        /** Prints {@code value} in the chosen format (a table by {@link Output#table}). */
        void print(Object value) {
            Output.print(root(spec).output, value, System.out);
        }
    }

    boolean structured(Object value) {
        if (output == Output.Format.table) {
            return false;
        }
        Output.print(output, value, System.out);
        return true;
    }

    /** An action's outcome: {@code {"key": value}} in JSON or YAML, the sentence for people. */
    boolean done(String key, Object value, String sentence) {
        if (!structured(java.util.Map.of(key, value))) {
            System.out.println(sentence);
        }
        return true;
    }

    private void refused(String reason, String message) {
        Output.error(output, reason, message, System.err);
    }

    /** Runs calls of any service on the connection (transactions, say); a refusal prints its reason and exits 1. */
    interface ChannelCall {
        void run(io.grpc.Channel channel) throws Exception;
    }

    int call(AdminCall call) throws Exception {
        return callOn(channel -> call.run(AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.MINUTES)));
    }

    int callOn(ChannelCall call) throws Exception {
        ClientConfig config = connection.resolve();
        ClientChannels.Security security;
        ManagedChannel channel;
        try {
            security = ClientChannels.security(config.serviceUrl(), config.tls(), config.authentication());
            channel = ClientChannels.transport(NettyChannelBuilder.forTarget(ClientBuilderImpl.target(config.serviceUrl())),
                    security).build();
        } catch (TributaryClientException e) {
            refused(e.reason().name(), e.detail().getMessage());
            return 1;
        }
        try {
            call.run(ClientChannels.withCredentials(channel, security));
            return 0;
        } catch (StatusRuntimeException e) {
            ErrorDetail d = ErrorReasons.detailOf(e);
            refused(d.getReason().name(), d.getMessage());
            return 1;
        } finally {
            channel.shutdownNow();
        }
    }

    /** Runs one operation of the admin client; a refusal prints its reason and exits 1. */
    interface AdminClientOperation {
        void run(TributaryAdmin admin) throws Exception;
    }

    /**
     * A leaf command that uses the SDK's admin client (tenants, namespaces, topics,
     * subscriptions): one client, so the CLI and applications sum partitions and map errors alike.
     */
    abstract static class AdminClientCall implements Callable<Integer>, AdminClientOperation {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            return root(spec).call(this);
        }

        /** With {@code --output json|yaml}, prints {@code value} so and returns true; with table, false. */
        boolean structured(Object value) {
            return root(spec).structured(value);
        }

        /** With json or yaml, {@code {"key": value}}; with table, the sentence. */
        void done(String key, Object value, String sentence) {
            root(spec).done(key, value, sentence);
        }
    }

    int call(AdminClientOperation operation) throws Exception {
        try (TributaryAdmin admin = connection.resolve().adminBuilder().operationTimeout(Duration.ofMinutes(2)).build()) {
            operation.run(admin);
            return 0;
        } catch (TributaryClientException e) {
            refused(e.reason().name(), e.detail().getMessage());
            return 1;
        }
    }

    @Command(name = "brokers", mixinStandardHelpOptions = true, description = "Lists or drains brokers.",
            subcommands = {Brokers.List.class, Brokers.Drain.class})
    static final class Brokers {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "Live brokers with their load.")
        static final class List extends Call {
            @Override
            public void run(AdminServiceBlockingStub admin) {
                var response = admin.listBrokers(ListBrokersRequest.getDefaultInstance());
                if (structured(response.getBrokersList().stream().map(Output::tree).toList())) {
                    return;
                }
                var brokers = response.getBrokersList();
                System.out.printf("%-18s %-22s %-7s %-8s %7s %7s %12s %12s%n", "BROKER", "ADDRESS", "LEADER",
                        "DRAINING", "BUNDLES", "TOPICS", "MSG/S IN", "MSG/S OUT");
                for (BrokerInfo b : brokers) {
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
                var r = admin.drainBroker(DrainBrokerRequest.newBuilder().setBrokerId(brokerId).build());
                if (!structured(r)) {
                    System.out.println("moved " + r.getBundlesMoved() + " bundles off " + brokerId);
                }
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
                var bundles = admin.listBundles(ListBundlesRequest.newBuilder()
                        .setNamespace(namespace == null ? "" : namespace).build()).getBundlesList();
                if (structured(bundles.stream().map(Output::tree).toList())) {
                    return;
                }
                System.out.printf("%-20s %-23s %-18s %7s %12s %12s%n", "NAMESPACE", "BUNDLE", "OWNER", "TOPICS",
                        "MSG/S IN", "MSG/S OUT");
                for (BundleInfo b : bundles) {
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
                if (!structured(r)) {
                    System.out.println(namespace + "/" + bundle + " now on " + r.getNewOwnerBrokerId() + " (" + r.getNewOwnerAddress() + ")");
                }
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
                var r = admin.splitBundle(SplitBundleRequest.newBuilder().setNamespace(namespace).setBundle(bundle).build());
                if (!structured(r)) {
                    System.out.println(namespace + "/" + bundle + " split into " + String.join(" and ", r.getBundlesList()));
                }
            }
        }
    }

    @Command(name = "topics", mixinStandardHelpOptions = true, description = "Creates, lists, deletes topics; shows stats.",
            subcommands = {Topics.List.class, Topics.Create.class, Topics.Delete.class, Topics.Stats.class,
                    PermissionCommands.TopicGrant.class, PermissionCommands.TopicRevoke.class,
                    PermissionCommands.TopicPermissions.class})
    static final class Topics {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "Topics of a namespace.")
        static final class List extends AdminClientCall {
            @Parameters(paramLabel = "NAMESPACE")
            String namespace;

            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                var topics = admin.topics().list(namespace);
                if (!structured(topics)) {
                    topics.forEach(System.out::println);
                }
            }
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a topic.")
        static final class Create extends AdminClientCall {
            @Parameters(paramLabel = "TOPIC")
            String topic;
            @Option(names = {"-p", "--partitions"}, defaultValue = "0", description = "Partitions (0: not partitioned).")
            int partitions;

            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                admin.topics().create(topic, partitions);
                done("created", topic, "created " + topic + (partitions > 0 ? " with " + partitions + " partitions" : ""));
            }
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes a topic and its data.")
        static final class Delete extends AdminClientCall {
            @Parameters(paramLabel = "TOPIC")
            String topic;

            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                admin.topics().delete(topic);
                done("deleted", topic, "deleted " + topic);
            }
        }

        @Command(name = "stats", mixinStandardHelpOptions = true,
                description = "Rates, storage, backlog, consumers and redeliveries of a topic and its subscriptions"
                        + " (of a partitioned topic: summed over its partitions).")
        static final class Stats extends AdminClientCall {
            @Parameters(paramLabel = "TOPIC")
            String topic;
            @Option(names = "--json", description = "Print the stats as JSON (as --output json).")
            boolean json;

            @Override
            public void run(TributaryAdmin admin) throws Exception {
                TopicStats stats = admin.topics().getStats(topic);
                if (json) {
                    System.out.println(JSON.writeValueAsString(stats));
                } else if (!structured(stats)) {
                    printStats(stats);
                }
            }
        }
    }

    /** Pretty JSON of the admin client's value types (records, which Jackson writes by their components). */
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private static void printStats(TopicStats s) {
        System.out.printf("topic:          %s%n", s.topic());
        System.out.printf("rate in:        %.1f msg/s, %.1f bytes/s (%d messages in all)%n", s.msgRateIn(), s.bytesRateIn(), s.msgInTotal());
        System.out.printf("rate out:       %.1f msg/s, %.1f bytes/s (%d messages in all)%n", s.msgRateOut(), s.bytesRateOut(), s.msgOutTotal());
        System.out.printf("storage:        %d bytes in %d entries, %d ledgers%n", s.storageSizeBytes(), s.entries(), s.ledgers());
        System.out.printf("producers:      %d%n", s.producers());
        for (PublisherStats p : s.publishers()) {
            System.out.printf("  producer %s: %.1f msg/s, %.1f bytes/s (%d messages since it connected)%n", p.producerName(),
                    p.msgRateIn(), p.bytesRateIn(), p.msgInTotal());
        }
        if (s.publishThrottledMsTotal() > 0 || s.publishRate() != null && s.publishRate().messagesPerSecond() > 0) {
            System.out.printf("publish limit:  %s; producers held back %d ms in all%n", s.publishRate(),
                    s.publishThrottledMsTotal());
        }
        if (s.backlogQuotaLimitBytes() > 0) {
            System.out.printf("backlog quota:  %d bytes (largest backlog %d bytes)%n", s.backlogQuotaLimitBytes(), s.backlogBytes());
        }
        for (TopicStats p : s.partitions()) {
            System.out.printf("partition %s: %d entries, backlog %d bytes%n", p.topic(), p.entries(), p.backlogBytes());
        }
        for (SubscriptionStats sub : s.subscriptions()) {
            String type = sub.type() == null ? "NO CONSUMER YET" : sub.type().name().toUpperCase(java.util.Locale.ROOT);
            System.out.printf("subscription %s (%s%s):%n", sub.name(), type, sub.durable() ? "" : ", reader");
            System.out.printf("  backlog:      %d messages, %d bytes; %d unacknowledged at consumers; %d delayed%n",
                    sub.msgBacklog(), sub.backlogBytes(), sub.unackedMessages(), sub.delayedMessages());
            if (sub.oldestBacklogPublishTimeMs() > 0) {
                System.out.printf("  oldest:       published %s%n", java.time.Instant.ofEpochMilli(sub.oldestBacklogPublishTimeMs()));
            }
            System.out.printf("  rate out:     %.1f msg/s (%d in all); redelivered %.1f msg/s (%d in all); expired %d; dead-lettered %d%n",
                    sub.msgRateOut(), sub.msgOutTotal(), sub.msgRateRedeliver(), sub.redeliveredTotal(), sub.expiredTotal(),
                    sub.deadLetteredTotal());
            if (sub.markDeletePosition() != null) {
                System.out.printf("  acknowledged: up to %d:%d, plus %d ranges beyond%n", sub.markDeletePosition().getLedgerId(),
                        sub.markDeletePosition().getEntryId(), sub.ackedRanges());
            } else {
                System.out.printf("  acknowledged: %d ranges beyond the partitions' mark-delete positions%n", sub.ackedRanges());
            }
            if (sub.dispatchThrottledMsTotal() > 0 || sub.dispatchRate() != null && sub.dispatchRate().messagesPerSecond() > 0) {
                System.out.printf("  dispatch limit: %s; held back %d ms in all%n", sub.dispatchRate(), sub.dispatchThrottledMsTotal());
            }
            for (ConsumerStats c : sub.consumers()) {
                System.out.printf("  consumer %s%s: permits %d, unacknowledged %d, %.1f msg/s%n", c.consumerName(),
                        c.active() ? "" : " (standby)", c.permits(), c.unackedMessages(), c.msgRateOut());
            }
        }
    }

    @Command(name = "subscriptions", mixinStandardHelpOptions = true,
            description = "Lists, resets, skips, clears, deletes subscriptions.",
            subcommands = {Subscriptions.List.class, Subscriptions.Reset.class, Subscriptions.Skip.class,
                    Subscriptions.ClearBacklog.class, Subscriptions.Delete.class})
    static final class Subscriptions {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "Subscriptions of a topic.")
        static final class List extends AdminClientCall {
            @Parameters(paramLabel = "TOPIC")
            String topic;

            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                var subscriptions = admin.subscriptions().list(topic);
                if (!structured(subscriptions)) {
                    subscriptions.forEach(System.out::println);
                }
            }
        }

        @Command(name = "reset", mixinStandardHelpOptions = true,
                description = "Moves a subscription's cursor; its consumers reconnect and read from there.")
        static final class Reset extends AdminClientCall {
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
                @Option(names = "--message-id", paramLabel = "LEDGER:ENTRY[:INDEX[:PARTITION]]", description = "To this message.")
                String messageId;
                @Option(names = "--time", paramLabel = "TIME",
                        description = "To the first message published at or after TIME (epoch ms or ISO-8601, e.g. 2026-11-22T10:00:00Z).")
                String time;
            }

            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                if (target.time != null) {
                    admin.subscriptions().reset(topic, subscription, parseTime(target.time));
                } else {
                    admin.subscriptions().reset(topic, subscription, target.earliest ? MessageId.earliest
                            : target.latest ? MessageId.latest : parseId(target.messageId));
                }
                done("reset", subscription, "reset " + subscription + " of " + topic);
            }

            private MessageId parseId(String text) {
                String[] parts = text.split(":", -1);
                try {
                    if (parts.length == 2) {
                        return MessageId.of(Long.parseLong(parts[0]), Long.parseLong(parts[1]), 0);
                    }
                    return MessageId.fromString(text);
                } catch (IllegalArgumentException e) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                            "--message-id must be LEDGER:ENTRY[:INDEX[:PARTITION]], was " + text);
                }
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

        @Command(name = "skip", mixinStandardHelpOptions = true,
                description = "Acknowledges the first N unacknowledged messages of a subscription (messages inside batches count"
                        + " one by one); on a partitioned topic, name a partition.")
        static final class Skip extends AdminClientCall {
            @Parameters(index = "0", paramLabel = "TOPIC")
            String topic;
            @Parameters(index = "1", paramLabel = "SUBSCRIPTION")
            String subscription;
            @Parameters(index = "2", paramLabel = "N")
            long messages;

            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                if (messages <= 0) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "N must be > 0, was " + messages);
                }
                long skipped = admin.subscriptions().skip(topic, subscription, messages);
                done("skipped", skipped, "skipped " + skipped + " messages of " + subscription + " on " + topic);
            }
        }

        @Command(name = "clear-backlog", mixinStandardHelpOptions = true,
                description = "Acknowledges everything a subscription has not consumed yet.")
        static final class ClearBacklog extends AdminClientCall {
            @Parameters(index = "0", paramLabel = "TOPIC")
            String topic;
            @Parameters(index = "1", paramLabel = "SUBSCRIPTION")
            String subscription;

            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                admin.subscriptions().clearBacklog(topic, subscription);
                done("cleared", subscription, "cleared the backlog of " + subscription + " on " + topic);
            }
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes a subscription and its cursor.")
        static final class Delete extends AdminClientCall {
            @Parameters(index = "0", paramLabel = "TOPIC")
            String topic;
            @Parameters(index = "1", paramLabel = "SUBSCRIPTION")
            String subscription;
            @Option(names = "--force", description = "Disconnect its consumers first.")
            boolean force;

            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                admin.subscriptions().delete(topic, subscription, force);
                done("deleted", subscription, "deleted " + subscription + " of " + topic);
            }
        }
    }

    @Command(name = "tenants", mixinStandardHelpOptions = true, description = "Creates, lists, deletes tenants.",
            subcommands = {Tenants.List.class, Tenants.Create.class, Tenants.Delete.class, PermissionCommands.TenantAdmins.class})
    static final class Tenants {
        @Command(name = "list", mixinStandardHelpOptions = true, description = "All tenants.")
        static final class List extends AdminClientCall {
            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                var tenants = admin.tenants().list();
                if (!structured(tenants)) {
                    tenants.forEach(System.out::println);
                }
            }
        }

        @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a tenant.")
        static final class Create extends AdminClientCall {
            @Parameters(paramLabel = "TENANT")
            String tenant;

            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                admin.tenants().create(tenant);
                done("created", tenant, "created " + tenant);
            }
        }

        @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes a tenant without namespaces.")
        static final class Delete extends AdminClientCall {
            @Parameters(paramLabel = "TENANT")
            String tenant;

            @Override
            public void run(TributaryAdmin admin) throws TributaryClientException {
                admin.tenants().delete(tenant);
                done("deleted", tenant, "deleted " + tenant);
            }
        }
    }

    /** The admin command above any subcommand, which holds the connection options. */
    static AdminCommand root(picocli.CommandLine.Model.CommandSpec spec) {
        picocli.CommandLine.Model.CommandSpec s = spec;
        while (!(s.userObject() instanceof AdminCommand)) {
            s = s.parent();
        }
        return (AdminCommand) s.userObject();
    }
}
