package io.tributary.chaos.fault;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.BrokerInfo;
import io.tributary.api.v1.BundleInfo;
import io.tributary.api.v1.DrainBrokerRequest;
import io.tributary.api.v1.ListBrokersRequest;
import io.tributary.api.v1.ListBundlesRequest;
import io.tributary.api.v1.SplitBundleRequest;
import io.tributary.api.v1.UnloadBundleRequest;
import io.tributary.chaos.cluster.ChaosCluster;
import io.tributary.chaos.cluster.Relay;
import io.tributary.chaos.cluster.RelayMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Applies and heals faults on a {@link ChaosCluster}. Bundle moves, splits and drains go through the public
 * admin API of the proxies (any proxy that answers).
 */
public final class FaultInjector implements AutoCloseable {
    private static final long ADMIN_DEADLINE_SECONDS = 60;

    private final ChaosCluster cluster;
    private final List<ManagedChannel> adminChannels = new ArrayList<>();

    public FaultInjector(ChaosCluster cluster) {
        this.cluster = cluster;
        for (String url : cluster.serviceUrls()) {
            adminChannels.add(ManagedChannelBuilder.forTarget(url).usePlaintext().build());
        }
    }

    /** Injects {@code f}; returns a description of what it hit (the bundle or broker id chosen at this moment). */
    public String inject(Fault f) throws Exception {
        switch (f.type()) {
            case BROKER_KILL:
            case BOOKIE_KILL:
            case PROXY_KILL:
            case ZOOKEEPER_KILL:
                cluster.server(f.target()).kill9();
                return f.target();
            case BROKER_PAUSE:
            case BOOKIE_PAUSE:
                cluster.server(f.target()).pause();
                return f.target();
            case BROKER_SESSION_EXPIRY:
                for (Relay r : cluster.relays(f.target() + "-zk-")) {
                    r.setMode(RelayMode.BLACKHOLE);
                }
                return f.target();
            case BROKER_ZK_BLACKHOLE:
                cluster.relay(f.target()).setMode(RelayMode.BLACKHOLE);
                return f.target();
            case BOOKIE_BLACKHOLE:
                cluster.relay(f.target()).setMode(RelayMode.BLACKHOLE);
                return f.target();
            case BROKER_LINK_RESET:
                cluster.relay(f.target()).setMode(RelayMode.RESET);
                return f.target();
            case BOOKIE_LINK_DELAY:
                cluster.relay(f.target()).setMode(RelayMode.DELAY, f.delayMillis());
                return f.target() + " +" + f.delayMillis() + "ms";
            case BUNDLE_UNLOAD: {
                BundleInfo b = pickBundle(f.pick());
                admin(s -> s.unloadBundle(UnloadBundleRequest.newBuilder().setNamespace(b.getNamespace())
                        .setBundle(b.getBundle()).build()));
                return b.getNamespace() + "/" + b.getBundle() + " from " + b.getOwnerBrokerId();
            }
            case BUNDLE_SPLIT: {
                BundleInfo b = pickBundle(f.pick());
                admin(s -> s.splitBundle(SplitBundleRequest.newBuilder().setNamespace(b.getNamespace())
                        .setBundle(b.getBundle()).build()));
                return b.getNamespace() + "/" + b.getBundle();
            }
            case BROKER_DRAIN: {
                String id = brokerIdOf(f.target());
                admin(s -> s.drainBroker(DrainBrokerRequest.newBuilder().setBrokerId(id).build()));
                return f.target() + " (" + id + ")";
            }
            default:
                throw new IllegalArgumentException("unknown fault " + f.type());
        }
    }

    /** Undoes {@code f}: restarts what was killed, continues what was paused, lets relays pass again. */
    public void heal(Fault f) throws Exception {
        switch (f.type()) {
            case BROKER_KILL:
            case BOOKIE_KILL:
            case PROXY_KILL:
            case ZOOKEEPER_KILL:
                cluster.restart(f.target());
                break;
            case BROKER_PAUSE:
            case BOOKIE_PAUSE:
                cluster.server(f.target()).resume();
                break;
            case BROKER_SESSION_EXPIRY:
                for (Relay r : cluster.relays(f.target() + "-zk-")) {
                    r.heal();
                }
                break;
            case BROKER_ZK_BLACKHOLE:
            case BOOKIE_BLACKHOLE:
            case BROKER_LINK_RESET:
            case BOOKIE_LINK_DELAY:
                cluster.relay(f.target()).heal();
                break;
            case BROKER_DRAIN:
                // a drained broker takes no new bundles until it starts again
                cluster.restart(f.target());
                break;
            default:
                break; // one-off admin actions need no healing
        }
    }

    private BundleInfo pickBundle(long pick) {
        List<BundleInfo> bundles = new ArrayList<>(admin(s -> s.listBundles(ListBundlesRequest.getDefaultInstance())).getBundlesList());
        bundles.removeIf(b -> b.getOwnerBrokerId().isEmpty());
        if (bundles.isEmpty()) {
            throw new IllegalStateException("no owned bundle to move or split");
        }
        bundles.sort(Comparator.comparing(BundleInfo::getNamespace).thenComparing(BundleInfo::getBundle));
        return bundles.get((int) (pick % bundles.size()));
    }

    private String brokerIdOf(String serverName) {
        int index = Integer.parseInt(serverName.substring(serverName.lastIndexOf('-') + 1)) - 1;
        String address = cluster.brokerAddresses().get(index);
        for (BrokerInfo b : admin(s -> s.listBrokers(ListBrokersRequest.getDefaultInstance())).getBrokersList()) {
            if (b.getAddress().equals(address)) {
                return b.getBrokerId();
            }
        }
        throw new IllegalStateException(serverName + " at " + address + " is not registered");
    }

    /** Calls the admin API through the first proxy that answers. */
    private <T> T admin(Function<AdminServiceGrpc.AdminServiceBlockingStub, T> call) {
        RuntimeException last = null;
        for (ManagedChannel c : adminChannels) {
            try {
                return call.apply(AdminServiceGrpc.newBlockingStub(c).withDeadlineAfter(ADMIN_DEADLINE_SECONDS, TimeUnit.SECONDS));
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw last != null ? last : new IllegalStateException("no proxy");
    }

    @Override
    public void close() {
        for (ManagedChannel c : adminChannels) {
            c.shutdownNow();
        }
    }
}
