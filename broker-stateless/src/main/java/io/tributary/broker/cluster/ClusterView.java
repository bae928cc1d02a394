package io.tributary.broker.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tributary.internal.v1.BrokerRegistration;
import io.tributary.internal.v1.LoadReport;
import io.tributary.storage.meta.MetadataPaths;
import io.tributary.storage.meta.MetadataStore;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** What ZooKeeper says about the cluster: live brokers, their load reports, the leader. */
public final class ClusterView {
    private final MetadataStore store;

    public ClusterView(MetadataStore store) {
        this.store = store;
    }

    /** Live brokers by id (their registrations are ephemeral: a dead broker is not here). */
    public CompletableFuture<Map<String, BrokerRegistration>> brokers() {
        return store.children(MetadataPaths.BROKERS).thenCompose(ids -> {
            List<CompletableFuture<Optional<BrokerRegistration>>> reads = new ArrayList<>();
            for (String id : ids) {
                reads.add(store.get(MetadataPaths.broker(id)).thenApply(v -> v.flatMap(x -> parse(x.value(), BrokerRegistration::parseFrom))));
            }
            return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(x -> {
                Map<String, BrokerRegistration> out = new LinkedHashMap<>();
                for (CompletableFuture<Optional<BrokerRegistration>> r : reads) {
                    r.join().ifPresent(b -> out.put(b.getBrokerId(), b));
                }
                return out;
            });
        });
    }

    /** The registration of one live broker, empty when it is not registered (stopped, or its session expired). */
    public CompletableFuture<Optional<BrokerRegistration>> broker(String brokerId) {
        return store.get(MetadataPaths.broker(brokerId)).thenApply(v -> v.flatMap(x -> parse(x.value(), BrokerRegistration::parseFrom)));
    }

    /** The latest load report of each live broker. */
    public CompletableFuture<Map<String, LoadReport>> loadReports() {
        return store.children(MetadataPaths.LOAD).thenCompose(ids -> {
            List<CompletableFuture<Optional<LoadReport>>> reads = new ArrayList<>();
            for (String id : ids) {
                reads.add(store.get(MetadataPaths.LOAD + "/" + id).thenApply(v -> v.flatMap(x -> parse(x.value(), LoadReport::parseFrom))));
            }
            return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(x -> {
                Map<String, LoadReport> out = new LinkedHashMap<>();
                for (CompletableFuture<Optional<LoadReport>> r : reads) {
                    r.join().ifPresent(l -> out.put(l.getBrokerId(), l));
                }
                return out;
            });
        });
    }

    /** The current leader as {@code brokerId|address}, from the election's lowest sequence node. */
    public CompletableFuture<Optional<String[]>> leader() {
        return store.children(MetadataPaths.LEADER).thenCompose(nodes -> {
            Optional<String> first = nodes.stream().filter(n -> n.contains("latch-"))
                    .min(Comparator.comparing(n -> n.substring(n.lastIndexOf("latch-"))));
            if (first.isEmpty()) {
                return CompletableFuture.completedFuture(Optional.<String[]>empty());
            }
            return store.get(MetadataPaths.LEADER + "/" + first.get()).thenApply(v -> v.map(x ->
                    new String(x.value(), java.nio.charset.StandardCharsets.UTF_8).split("\\|", 2)));
        });
    }

    private interface Parser<T> {
        T parse(byte[] data) throws InvalidProtocolBufferException;
    }

    private static <T> Optional<T> parse(byte[] data, Parser<T> parser) {
        try {
            return Optional.of(parser.parse(data));
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }
}
