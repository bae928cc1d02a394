package io.tributary.chaos.load;

import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every so often creates an unnamed producer (the broker names it), sends a few messages and closes
 * it: the pattern that grows dedup state without end unless the broker forgets idle producers. Each
 * such producer is an identity of its own in the history ({@code anon-<n>-<i>}).
 */
final class ShortLivedDriver implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ShortLivedDriver.class);

    private final LoadPlan.ShortLivedPlan plan;
    private final List<TributaryClient> clients;
    private final History history;
    private final AtomicLong failures;
    private final int index;
    private final Thread thread;
    private volatile boolean stopping;

    ShortLivedDriver(int index, LoadPlan.ShortLivedPlan plan, List<TributaryClient> clients, History history,
            AtomicLong failures) {
        this.index = index;
        this.plan = plan;
        this.clients = clients;
        this.history = history;
        this.failures = failures;
        this.thread = new Thread(this, "chaos-short-lived-" + index);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public void run() {
        int n = 0;
        try {
            while (!stopping) {
                String id = "anon-" + index + "-" + n;
                TributaryClient client = clients.get(n % clients.size());
                n++;
                try (Producer<String> producer = client.newProducer(Schema.STRING).topic(plan.topic())
                        .sendTimeout(Duration.ofSeconds(60)).create()) {
                    for (int i = 0; i < plan.messages(); i++) {
                        ProducerDriver.send(producer, history.newMessage(id, i, plan.topic(), null), failures,
                                e -> { });
                    }
                    producer.flush();
                } catch (Exception e) {
                    // not connected (a fault): its messages, if any were sent, carry their outcome
                    LOG.info("short-lived producer {}: {}", id, e.toString());
                }
                // pacing a load generator; looks at the stop flag often
                long until = System.currentTimeMillis() + plan.everyMs();
                while (!stopping && System.currentTimeMillis() < until) {
                    Thread.sleep(20);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void stop() throws InterruptedException {
        // not interrupted: a producer being closed must be allowed to answer its sends
        stopping = true;
        thread.join();
    }
}
