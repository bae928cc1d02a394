package io.tributary.broker.dispatch;

import io.tributary.protocol.EntryCodec;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.LogReader;
import io.tributary.storage.log.Position;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publish time of a subscription's oldest unacknowledged entry, from which its backlog's age is
 * told. Reading it costs a read of one entry (usually from the log's cache), so it is read only when
 * the first unacknowledged position has moved since the last read, at most one read at a time, and
 * the answer of the last completed read is given meanwhile: after acknowledgements that is an older
 * entry than the one now first (an age briefly too high), after a seek back a newer one (briefly too
 * low); the next stats have it right.
 *
 * <p>Owned by the subscription's executor: every method runs there, and reads complete there.
 */
final class BacklogAge {
    private static final Logger LOG = LoggerFactory.getLogger(BacklogAge.class);

    private final LogReader log;
    private final Executor executor;
    /** The position whose publish time is known, or null. */
    private Position known;
    private long knownPublishTimeMs;
    private boolean reading;

    BacklogAge(LogReader log, Executor executor) {
        this.log = log;
        this.executor = executor;
    }

    /**
     * The publish time (epoch ms) of the entry at {@code first}, the first unacknowledged one, or of
     * an earlier one while it is being read; 0 when there is no backlog or nothing was read yet.
     */
    long oldestPublishTimeMs(Position first, boolean hasBacklog) {
        if (!hasBacklog) {
            return 0;
        }
        if (!first.equals(known) && !reading) {
            reading = true;
            log.readAsync(first, 1).whenCompleteAsync((entries, e) -> {
                reading = false;
                if (e != null) {
                    LOG.debug("reading the publish time at {} failed: {}", first, e.toString());
                } else {
                    remember(entries);
                }
            }, executor);
        }
        return known == null ? 0 : knownPublishTimeMs;
    }

    private void remember(List<LogEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        LogEntry entry = entries.get(0);
        try {
            knownPublishTimeMs = EntryCodec.header(entry.data()).getPublishTimeMs();
            known = entry.position();
        } catch (RuntimeException e) {
            // an entry that is not a batch of ours has no publish time to tell
            LOG.debug("no publish time in the entry at {}: {}", entry.position(), e.toString());
        }
    }
}
