package io.tributary.broker.topic;

import io.tributary.api.v1.PublisherStats;
import io.tributary.api.v1.TopicStats;
import io.tributary.broker.dispatch.Subscription;
import io.tributary.broker.metrics.Rate;
import io.tributary.protocol.TopicName;
import io.tributary.storage.log.ManagedLog;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * A topic's message and byte counters (in from publishes, out to consumers) and the assembly of its
 * {@link TopicStats}. The counters are thread-safe; {@link #stats} runs on the topic's executor.
 */
final class TopicCounters {
    private final Rate messagesInRate = new Rate();
    private final Rate bytesInRate = new Rate();
    private final Rate messagesOutRate = new Rate();
    private final Rate bytesOutRate = new Rate();

    void recordPublished(int messages, int bytes) {
        messagesInRate.record(messages);
        bytesInRate.record(bytes);
    }

    void recordDelivered(int messages, int bytes) {
        messagesOutRate.record(messages);
        bytesOutRate.record(bytes);
    }

    /** Cumulative totals since the topic was loaded here: messages in, bytes in, messages out, bytes out. */
    long[] totals() {
        return new long[] {messagesInRate.total(), bytesInRate.total(), messagesOutRate.total(), bytesOutRate.total()};
    }

    /**
     * Stats of the topic, of its connected {@code producers} and of {@code subscriptions} (both sorted by
     * name); the backlog is the largest one; {@code quotaLimitBytes} is the backlog quota in force (0: none).
     */
    TopicStats stats(TopicName name, ManagedLog log, Collection<ConnectedProducer> producers, long quotaLimitBytes,
                     List<Subscription> subscriptions) {
        TopicStats.Builder b = TopicStats.newBuilder()
                .setTopic(name.toString())
                .setMsgRateIn(messagesInRate.perSecond())
                .setMsgRateOut(messagesOutRate.perSecond())
                .setBytesRateIn(bytesInRate.perSecond())
                .setBytesRateOut(bytesOutRate.perSecond())
                .setMsgInTotal(messagesInRate.total())
                .setMsgOutTotal(messagesOutRate.total())
                .setBytesInTotal(bytesInRate.total())
                .setBytesOutTotal(bytesOutRate.total())
                .setStorageSizeBytes(log.sizeBytes())
                .setEntries(log.numberOfEntries())
                .setLedgers(log.ledgerCount())
                .setProducers(producers.size())
                .setBacklogQuotaLimitBytes(quotaLimitBytes);
        producers.stream().map(ConnectedProducer::stats).sorted(Comparator.comparing(PublisherStats::getProducerName))
                .forEach(b::addPublishers);
        long backlog = 0;
        List<Subscription> subs = new ArrayList<>(subscriptions);
        subs.sort(Comparator.comparing(Subscription::name));
        for (Subscription s : subs) {
            var st = s.stats();
            backlog = Math.max(backlog, st.getBacklogBytes());
            b.addSubscriptions(st);
        }
        return b.setBacklogBytes(backlog).build();
    }
}
