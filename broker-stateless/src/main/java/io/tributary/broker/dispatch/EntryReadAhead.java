package io.tributary.broker.dispatch;

import io.tributary.broker.ratelimit.DispatchThrottle;
import io.tributary.protocol.ErrorReasons;
import io.tributary.storage.cursor.ManagedCursor;
import io.tributary.storage.log.LogEntry;
import io.tributary.storage.log.LogReader;
import io.tributary.storage.log.ManagedLogException;
import io.tributary.storage.log.Position;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a subscription's entries from the log ahead of delivery and keeps them, in position
 * order, until a consumer may take them: entries to read again first ({@link RedeliveryTracker}),
 * else new ones from the read position on, as many as the consumers' permits ask for. One read at
 * a time; when a read completes, on the topic's executor, {@code dispatch} runs. A seek or skip
 * bumps the epoch, so that a read started before it is dropped when it completes.
 */
final class EntryReadAhead {
    private static final Logger LOG = LoggerFactory.getLogger(EntryReadAhead.class);
    /** Entries read ahead on Key_Shared while the consumers of their keys are busy. */
    private static final int MAX_BUFFERED = 1000;

    private final String topic;
    private final String subscription;
    private final LogReader log;
    private final ManagedCursor cursor;
    private final Executor executor;
    private final int batchSize;
    private final RedeliveryTracker redeliveries;
    private final Runnable dispatch;
    /** The subscription's dispatch rate limits (and its topic's): reads and deliveries take their tokens. */
    final DispatchThrottle throttle;
    private final ScheduledExecutorService scheduler;

    private final TreeMap<Position, BufferedEntry> buffer = new TreeMap<>();
    private Position readPosition;
    /** Bumped by seeks and skips: a read started before is dropped when it completes. */
    private long epoch;
    /** Messages per entry seen so far (a moving average), to size reads by the permits, which count messages. */
    private double messagesPerEntry = 1;
    private boolean reading;
    private boolean waitingForEntries;
    private boolean closed;

    EntryReadAhead(SubscriptionContext context, String subscription, ManagedCursor cursor,
                   RedeliveryTracker redeliveries, Runnable dispatch) {
        this.topic = context.topic();
        this.subscription = subscription;
        this.log = context.log();
        this.cursor = cursor;
        this.executor = context.executor();
        this.batchSize = context.dispatchBatchSize();
        this.redeliveries = redeliveries;
        this.dispatch = dispatch;
        this.throttle = context.dispatchThrottle().get();
        this.scheduler = context.scheduler();
        this.readPosition = cursor.firstUnacknowledged();
    }

    /** Over a dispatch rate limit: nothing is delivered or read now, and dispatch runs again when tokens return. */
    boolean heldBack() {
        return throttle.holdBack(scheduler, executor, dispatch);
    }

    /** A read is under way: nothing else is read, and dispatch waits for it. */
    boolean isReading() {
        return reading;
    }

    boolean isEmpty() {
        return buffer.isEmpty();
    }

    boolean isFull() {
        return buffer.size() >= MAX_BUFFERED;
    }

    /** The entries read and not handed out, in position order; remove() takes one out. */
    Iterator<BufferedEntry> buffered() {
        return buffer.values().iterator();
    }

    void remove(Position p) {
        buffer.remove(p);
    }

    /** The message count of a buffered entry; {@link AckValidator#UNKNOWN} if {@code p} is not buffered. */
    int messagesOf(Position p) {
        BufferedEntry e = buffer.get(p);
        return e == null ? AckValidator.UNKNOWN : e.messages();
    }

    /** Everything up to {@code p} was acknowledged. */
    void forgetUpTo(Position p) {
        buffer.headMap(p, true).clear();
    }

    /** Forgets what was read: reading starts again at {@code next} (a seek or skip). */
    void restartAt(Position next) {
        epoch++;
        buffer.clear();
        readPosition = next;
    }

    /** Everything before {@code next} was acknowledged: reading goes on from there if it was behind. */
    void skipTo(Position next) {
        if (readPosition.isBefore(next)) {
            epoch++;
            readPosition = next;
        }
    }

    double messagesPerEntry() {
        return messagesPerEntry;
    }

    /** An entry of {@code messages} messages went out: part of the moving average. */
    void countDelivered(int messages) {
        messagesPerEntry = messagesPerEntry * 0.9 + messages * 0.1;
    }

    /** The subscription closed: a read completing now keeps nothing. */
    void close() {
        closed = true;
    }

    /** Reads the next run of entries to deliver again. */
    void readRedeliveries() {
        List<Position> run = redeliveries.nextRun(batchSize);
        long ep = epoch;
        reading = true;
        log.readAsync(run.get(0), run.size()).whenCompleteAsync((entries, err) -> {
            reading = false;
            if (ep != epoch || closed) {
                dispatch.run();
                return;
            }
            if (err != null) {
                readFailed(run.get(0), err);
                return;
            }
            // entries no longer in the log (trimmed, expired) are simply gone
            redeliveries.read(run);
            Set<Position> wanted = new HashSet<>(run);
            for (LogEntry e : entries) {
                if (wanted.contains(e.position()) && !cursor.isAcknowledged(e.position())) {
                    buffer.put(e.position(), BufferedEntry.of(e));
                }
            }
            dispatch.run();
        }, executor);
    }

    /** Reads new entries for consumers that can take {@code permits} messages, or waits for some to be written. */
    void readNew(int permits) {
        if (readPosition.isAfter(log.lastConfirmed())) {
            readPosition = log.nextPosition(new Position(readPosition.ledgerId(), readPosition.entryId() - 1));
            if (readPosition.isAfter(log.lastConfirmed())) {
                waitForEntries();
                return;
            }
        }
        long ep = epoch;
        reading = true;
        // no more messages than the rate limits' tokens (at least one entry)
        int n = (int) Math.max(1, Math.min(batchSize, Math.ceil(throttle.cap(permits) / messagesPerEntry)));
        Position from = readPosition;
        log.readAsync(from, n).whenCompleteAsync((entries, err) -> {
            reading = false;
            if (ep != epoch || closed) {
                dispatch.run();
                return;
            }
            if (err != null) {
                readFailed(from, err);
                return;
            }
            if (entries.isEmpty()) {
                waitForEntries();
                return;
            }
            for (LogEntry e : entries) {
                readPosition = log.nextPosition(e.position());
                if (!cursor.isAcknowledged(e.position())) {
                    buffer.put(e.position(), BufferedEntry.of(e));
                }
            }
            dispatch.run();
        }, executor);
    }

    private void waitForEntries() {
        if (waitingForEntries) {
            return;
        }
        waitingForEntries = true;
        Position last = new Position(readPosition.ledgerId(), readPosition.entryId() - 1);
        log.waitForEntriesAfter(last).whenCompleteAsync((v, err) -> {
            waitingForEntries = false;
            if (err == null) {
                dispatch.run();
            }
        }, executor);
    }

    /** A read failed: tried again shortly, unless the log is closed (the topic is going away). */
    private void readFailed(Position at, Throwable err) {
        if (!(ErrorReasons.unwrap(err) instanceof ManagedLogException.ClosedException)) {
            LOG.warn("{}/{}: read at {} failed: {}", topic, subscription, at, err.toString());
            CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS, executor).execute(dispatch);
        }
    }
}
