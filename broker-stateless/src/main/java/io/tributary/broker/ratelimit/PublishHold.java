package io.tributary.broker.ratelimit;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One producer stream's waits for publish tokens: while its topic's or namespace's bucket is below
 * zero the stream is not read (gRPC inbound flow control), and one resume is scheduled for when the
 * tokens return. The time held is added to the topic's and the producer's throttled time.
 */
public final class PublishHold {
    private boolean holding;
    private long since;
    private boolean resumeScheduled;

    /** True if the stream must not be read now; {@code resume} then runs once the tokens are back. */
    public synchronized boolean holdBack(TopicRates rates, String producer, ScheduledExecutorService scheduler, Runnable resume) {
        long wait = rates.publishWaitNanos();
        if (wait <= 0) {
            end(rates, producer);
            return false;
        }
        if (!holding) {
            holding = true;
            since = System.nanoTime();
        }
        if (!resumeScheduled) {
            resumeScheduled = true;
            scheduler.schedule(() -> {
                synchronized (this) {
                    resumeScheduled = false;
                }
                resume.run();
            }, wait, TimeUnit.NANOSECONDS);
        }
        return true;
    }

    /** The stream is read again, or ended: the time it was held is counted. */
    public synchronized void end(TopicRates rates, String producer) {
        if (holding) {
            holding = false;
            rates.publishThrottled(producer, System.nanoTime() - since);
        }
    }
}
