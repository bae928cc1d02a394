package io.tributary.client.impl.consumer;

import io.tributary.client.Message;
import io.tributary.client.MessageListener;
import io.tributary.client.Messages;
import io.tributary.client.BatchReceivePolicy;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.impl.stream.Completions;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.MessageImpl;
import io.tributary.client.impl.MessagesImpl;
import io.tributary.client.impl.TributaryClientImpl;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiver queue: prefetched messages of all the consumer's topics, and who takes them:
 * blocking and asynchronous receives, batch receives, or the message listener. A message is
 * taken (its permit counted, {@link #takenLocked}) only when it goes to the application, so the
 * broker sends no faster than the application takes.
 *
 * <p>Guarded by the consumer's lock ({@link ConsumerImpl#lock}); blocking receives wait on its
 * condition. Futures are completed, and the listener called, after the lock is released.
 */
final class ReceiverQueue<T> {
    private static final Logger LOG = LoggerFactory.getLogger(ReceiverQueue.class);

    /** A batchReceiveAsync waiting for a full batch or its timeout. */
    private final class PendingBatch {
        final CompletableFuture<Messages<T>> future = new CompletableFuture<>();
        ScheduledFuture<?> timer;
    }

    private final ConsumerImpl<T> consumer;
    private final TributaryClientImpl client;
    private final ReentrantLock lock;
    private final Condition notEmpty;
    private final int receiverQueueSize;
    private final BatchReceivePolicy batchPolicy;
    private final MessageListener<T> listener;
    /**
     * Calls the listener, on the pool the client shares between its consumers; null without a
     * listener. Order is kept by {@link #dispatching}: one task at a time hands this consumer's
     * messages over, one after another.
     */
    private final Executor listenerExecutor;
    // guarded by lock
    private final ArrayDeque<Queued<T>> queue = new ArrayDeque<>();
    private final ArrayDeque<CompletableFuture<Message<T>>> pendingReceives = new ArrayDeque<>();
    private final ArrayDeque<PendingBatch> pendingBatches = new ArrayDeque<>();
    /** Whether a task is handing queued messages to the listener. */
    private boolean dispatching;

    ReceiverQueue(ConsumerImpl<T> consumer, TributaryClientImpl client, int receiverQueueSize,
                  BatchReceivePolicy batchPolicy, MessageListener<T> listener) {
        this.consumer = consumer;
        this.client = client;
        this.lock = consumer.lock;
        this.notEmpty = lock.newCondition();
        this.receiverQueueSize = receiverQueueSize;
        this.batchPolicy = batchPolicy;
        this.listener = listener;
        this.listenerExecutor = listener == null ? null : client.listenerPool();
    }

    boolean hasListener() {
        return listener != null;
    }

    // ---------------------------------------------------------------- receiving

    /** Waits up to {@code nanos} for a message; null if none came. */
    Message<T> receive(long nanos) throws TributaryClientException {
        MessageImpl<T> taken;
        lock.lock();
        try {
            while (true) {
                TributaryClientException refused = consumer.refusedReceiveLocked("receive()");
                if (refused != null) {
                    throw refused;
                }
                Queued<T> q = queue.poll();
                if (q != null) {
                    takenLocked(q);
                    taken = q.message;
                    break;
                }
                if (nanos <= 0) {
                    return null;
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TributaryClientException("interrupted while receiving", e);
        } finally {
            lock.unlock();
        }
        // outside the lock: decoding may be slow; a failure leaves the message received and unacknowledged
        taken.decode();
        return taken;
    }

    CompletableFuture<Message<T>> receiveAsync() {
        CompletableFuture<Message<T>> f = null;
        MessageImpl<T> taken = null;
        lock.lock();
        try {
            TributaryClientException refused = consumer.refusedReceiveLocked("receiveAsync()");
            if (refused != null) {
                return Futures.failed(refused);
            }
            Queued<T> q = queue.poll();
            if (q != null) {
                takenLocked(q);
                taken = q.message;
            } else {
                f = new CompletableFuture<>();
                pendingReceives.add(f);
            }
        } finally {
            lock.unlock();
        }
        if (taken != null) {
            f = new CompletableFuture<>();
            complete(f, taken);
            return f;
        }
        CompletableFuture<Message<T>> waiting = f;
        // a cancelled request must not hold on to its place until a message comes
        waiting.whenComplete((m, t) -> {
            if (waiting.isCancelled()) {
                lock.lock();
                try {
                    pendingReceives.remove(waiting);
                } finally {
                    lock.unlock();
                }
            }
        });
        return waiting;
    }

    /**
     * Completes a receive with a message taken for it, decoded first: a wrong schema or malformed
     * bytes fail the receive instead (the message stays received and unacknowledged). Returns
     * false if the future was completed (cancelled) before.
     */
    private static <T> boolean complete(CompletableFuture<Message<T>> f, MessageImpl<T> m) {
        try {
            m.decode();
        } catch (TributaryClientException e) {
            return f.completeExceptionally(e);
        }
        return f.complete(m);
    }

    // ---------------------------------------------------------------- arrivals

    /**
     * A message from a stream, after any pending seek: skipped (a reader's stream hands out again
     * what the reader already has), dead-lettered (added to {@code dead}, sent after the lock is
     * released), or given to a waiting receive, or queued (and handed to the listener).
     */
    void arrivedLocked(Queued<T> q, Completions done, List<MessageImpl<T>> dead) {
        TopicSubscription<T> s = q.stream;
        MessageImpl<T> m = q.message;
        if (s.position() != null && s.position().handedAlready(m.getMessageId())) {
            s.consumed(1);
            return;
        }
        if (m.getRedeliveryCount() > 0 && consumer.acks().acknowledgingLocked(s, m.getMessageId())) {
            // its entry came back for another message of the batch; this one the application acknowledged
            s.consumed(1);
            return;
        }
        if (consumer.deadLetters().pastLastDelivery(m.getRedeliveryCount())) {
            s.consumed(1);
            dead.add(m);
            return;
        }
        CompletableFuture<Message<T>> waiting = pendingReceives.poll();
        if (waiting != null) {
            takenLocked(q);
            done.add(() -> handOver(waiting, q));
            return;
        }
        queue.add(q);
        if (listener != null) {
            dispatchLocked();
        }
    }

    /** A message goes to the application: count its permit, track it, remember it as a reader's position. */
    private void takenLocked(Queued<T> q) {
        TopicSubscription<T> s = q.stream;
        if (s.position() != null) {
            s.position().handedOut(q.message.getMessageId());
        }
        consumer.unacked().handedOut(q.message, s);
        s.consumed(1);
    }

    /** After messages were queued: completes the batch receives the queue now fills, and wakes blocked receives. */
    void afterArrivalsLocked(Completions done) {
        if (queue.isEmpty()) {
            return;
        }
        while (!pendingBatches.isEmpty() && batchFullLocked()) {
            PendingBatch pb = pendingBatches.poll();
            List<Queued<T>> batch = takeBatchLocked();
            done.add(() -> handOverBatch(pb, batch));
        }
        notEmpty.signalAll();
    }

    /** Completes a receiveAsync; if the application cancelled it meanwhile, the message goes back in front. */
    private void handOver(CompletableFuture<Message<T>> waiting, Queued<T> q) {
        if (complete(waiting, q.message)) {
            return;
        }
        CompletableFuture<Message<T>> next = null;
        lock.lock();
        try {
            if (!consumer.openLocked()) {
                return;
            }
            next = pendingReceives.poll();
            if (next == null) {
                untakeLocked(q);
                notEmpty.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (next != null) {
            handOver(next, q);
        }
    }

    /** Puts a message that was taken but not delivered back in front, as if never taken. */
    private void untakeLocked(Queued<T> q) {
        queue.addFirst(q);
        q.stream.untaken();
        consumer.unacked().remove(q.message.getMessageId());
        if (q.stream.position() != null) {
            q.stream.position().untaken(q.message.getMessageId());
        }
    }

    /** Drops what {@code s} prefetched and the application has not taken yet; returns how many. */
    int dropLocked(TopicSubscription<T> s) {
        int dropped = 0;
        Iterator<Queued<T>> it = queue.iterator();
        while (it.hasNext()) {
            if (it.next().stream == s) {
                it.remove();
                dropped++;
            }
        }
        return dropped;
    }

    /** Whether a message of {@code s} waits in the queue. */
    boolean holdsLocked(TopicSubscription<T> s) {
        for (Queued<T> q : queue) {
            if (q.stream == s) {
                return true;
            }
        }
        return false;
    }

    /** Closed or failed: the queue empties, and every waiting receive fails with {@code e}. */
    void failLocked(TributaryClientException e, Completions done) {
        queue.clear();
        List<CompletableFuture<Message<T>>> waiting = List.copyOf(pendingReceives);
        pendingReceives.clear();
        List<PendingBatch> batches = List.copyOf(pendingBatches);
        pendingBatches.clear();
        for (PendingBatch pb : batches) {
            pb.timer.cancel(false);
        }
        notEmpty.signalAll();
        done.add(() -> {
            waiting.forEach(f -> f.completeExceptionally(e));
            batches.forEach(pb -> pb.future.completeExceptionally(e));
        });
    }

    // ---------------------------------------------------------------- the message listener

    /** Starts handing queued messages to the listener, unless a task already does. */
    private void dispatchLocked() {
        if (dispatching || queue.isEmpty() || !consumer.openLocked()) {
            return;
        }
        dispatching = true;
        try {
            listenerExecutor.execute(this::dispatch);
        } catch (RejectedExecutionException e) {
            // the client's listener pool is shut down with the client
            dispatching = false;
        }
    }

    /**
     * On the listener pool: hands queued messages to the listener one at a time until the queue
     * is empty. A message is taken (and its permit counted) only when the listener is ready for
     * it, so the broker sends no faster than the listener works.
     */
    private void dispatch() {
        while (true) {
            Queued<T> q;
            lock.lock();
            try {
                q = consumer.openLocked() ? queue.poll() : null;
                if (q == null) {
                    dispatching = false;
                    return;
                }
                takenLocked(q);
            } finally {
                lock.unlock();
            }
            try {
                listener.received(consumer, q.message);
            } catch (Throwable t) {
                LOG.warn("[{}/{}] The message listener failed on message {}; it stays unacknowledged", q.stream.topic(),
                        consumer.conf().subscription(), q.message.getMessageId(), t);
            }
        }
    }

    // ---------------------------------------------------------------- batch receive

    Messages<T> batchReceive() throws TributaryClientException {
        // convert() saturates where Duration.toNanos() would overflow
        long timeoutNanos = TimeUnit.NANOSECONDS.convert(batchPolicy.getTimeout());
        long start = System.nanoTime();
        lock.lock();
        try {
            while (true) {
                TributaryClientException refused = consumer.refusedReceiveLocked("batchReceive()");
                if (refused != null) {
                    throw refused;
                }
                long remaining = timeoutNanos - (System.nanoTime() - start);
                if (batchFullLocked() || remaining <= 0) {
                    return messagesOf(takeBatchLocked());
                }
                notEmpty.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TributaryClientException("interrupted while receiving", e);
        } finally {
            lock.unlock();
        }
    }

    CompletableFuture<Messages<T>> batchReceiveAsync() {
        PendingBatch pb = new PendingBatch();
        lock.lock();
        try {
            TributaryClientException refused = consumer.refusedReceiveLocked("batchReceiveAsync()");
            if (refused != null) {
                return Futures.failed(refused);
            }
            long timeoutNanos = TimeUnit.NANOSECONDS.convert(batchPolicy.getTimeout());
            if (pendingBatches.isEmpty() && (timeoutNanos == 0 || batchFullLocked())) {
                return CompletableFuture.completedFuture(messagesOf(takeBatchLocked()));
            }
            pb.timer = client.schedule(() -> batchTimedOut(pb), timeoutNanos, TimeUnit.NANOSECONDS);
            if (pb.timer == null) {
                return Futures.failed(new AlreadyClosedException("the client is closed"));
            }
            pendingBatches.add(pb);
        } finally {
            lock.unlock();
        }
        // a cancelled request gives up its place and its timer
        pb.future.whenComplete((m, t) -> {
            if (pb.future.isCancelled()) {
                pb.timer.cancel(false);
                lock.lock();
                try {
                    pendingBatches.remove(pb);
                } finally {
                    lock.unlock();
                }
            }
        });
        return pb.future;
    }

    /**
     * Whether the queue holds a full batch: the policy's message count (at most the queue size) or
     * bytes. Counting the bytes walks the queue, which holds fewer messages than a batch then;
     * it is asked once per entry received while a batch receive waits.
     */
    private boolean batchFullLocked() {
        if (queue.size() >= maxBatchMessages()) {
            return true;
        }
        long bytes = 0;
        for (Queued<T> q : queue) {
            bytes += q.bytes;
            if (bytes >= batchPolicy.getMaxNumBytes()) {
                return true;
            }
        }
        return false;
    }

    /** A batch never waits for more messages than the receiver queue is meant to hold. */
    private int maxBatchMessages() {
        return Math.min(batchPolicy.getMaxNumMessages(), receiverQueueSize);
    }

    /** Takes a batch from the queue: up to the message count, and over the byte limit only with its first message. */
    private List<Queued<T>> takeBatchLocked() {
        int max = maxBatchMessages();
        List<Queued<T>> out = new ArrayList<>(Math.min(max, queue.size()));
        long bytes = 0;
        Queued<T> q;
        while (out.size() < max && (q = queue.peek()) != null) {
            if (!out.isEmpty() && bytes + q.bytes > batchPolicy.getMaxNumBytes()) {
                break;
            }
            queue.poll();
            takenLocked(q);
            out.add(q);
            bytes += q.bytes;
        }
        return out;
    }

    private Messages<T> messagesOf(List<Queued<T>> batch) {
        List<Message<T>> messages = new ArrayList<>(batch.size());
        for (Queued<T> q : batch) {
            messages.add(q.message);
        }
        return new MessagesImpl<>(messages);
    }

    private void batchTimedOut(PendingBatch pb) {
        List<Queued<T>> batch = null;
        lock.lock();
        try {
            if (pendingBatches.remove(pb)) {
                batch = takeBatchLocked();
            }
        } finally {
            lock.unlock();
        }
        if (batch != null) {
            handOverBatch(pb, batch);
        }
    }

    /** Completes a batchReceiveAsync; if the application cancelled it meanwhile, the messages go back in front. */
    private void handOverBatch(PendingBatch pb, List<Queued<T>> batch) {
        pb.timer.cancel(false);
        if (pb.future.complete(messagesOf(batch))) {
            return;
        }
        lock.lock();
        try {
            if (!consumer.openLocked()) {
                return;
            }
            for (int i = batch.size() - 1; i >= 0; i--) {
                untakeLocked(batch.get(i));
            }
            if (!queue.isEmpty()) {
                notEmpty.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }
}
