package io.tributary.broker.topic;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.PublisherStats;
import io.tributary.broker.metrics.Rate;
import java.util.function.Consumer;

/**
 * A producer connected to a topic on its stream: the way to disconnect it, and what it published
 * since it connected (for its {@link PublisherStats}). The counters are thread-safe.
 */
final class ConnectedProducer {
    private final String name;
    private final Consumer<ErrorDetail> closer;
    private final long connectedSinceMs = System.currentTimeMillis();
    private final Rate messages = new Rate();
    private final Rate bytes = new Rate();

    ConnectedProducer(String name, Consumer<ErrorDetail> closer) {
        this.name = name;
        this.closer = closer;
    }

    void disconnect(ErrorDetail reason) {
        closer.accept(reason);
    }

    void recordPublished(int messageCount, int byteCount) {
        messages.record(messageCount);
        bytes.record(byteCount);
    }

    PublisherStats stats() {
        return PublisherStats.newBuilder().setProducerName(name).setMsgRateIn(messages.perSecond())
                .setBytesRateIn(bytes.perSecond()).setMsgInTotal(messages.total()).setBytesInTotal(bytes.total())
                .setConnectedSinceMs(connectedSinceMs).build();
    }
}
