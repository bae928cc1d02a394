package io.tributary.cli;

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
        description = "Operates the cluster: brokers, bundles, topics, namespaces, tenants.",
        subcommands = {AdminCommand.Brokers.class, AdminCommand.Bundles.class, AdminCommand.Topics.class,
                AdminCommand.Namespaces.class, AdminCommand.Tenants.class})
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

        @Command(name = "stats", mixinStandardHelpOptions = true, description = "Entries, size, ledgers, subscriptions.")
        static final class Stats extends Call {
            @Parameters(paramLabel = "TOPIC")
            String topic;

            @Override
            public void run(AdminServiceBlockingStub admin) {
                GetTopicResponse t = admin.getTopic(GetTopicRequest.newBuilder().setTopic(topic).build());
                System.out.println("topic:         " + t.getTopic());
                if (t.getPartitions() > 0) {
                    System.out.println("partitions:    " + t.getPartitions());
                } else {
                    System.out.println("entries:       " + t.getEntries());
                    System.out.println("size (bytes):  " + t.getSizeBytes());
                    System.out.println("ledgers:       " + t.getLedgers());
                    System.out.println("subscriptions: " + String.join(", ", t.getSubscriptionsList()));
                }
            }
        }
    }

    @Command(name = "namespaces", mixinStandardHelpOptions = true, description = "Creates, lists, deletes namespaces.",
            subcommands = {Namespaces.List.class, Namespaces.Create.class, Namespaces.Delete.class})
    static final class Namespaces {
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
