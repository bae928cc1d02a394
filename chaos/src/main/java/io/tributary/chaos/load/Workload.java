package io.tributary.chaos.load;

import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * STAND-IN for h10-g's workload (same signatures): the lead replaces this file with theirs at merge.
 * One idempotent producer per topic sends "topic:seq" through alternating proxies and records what was acknowledged.
 */
public final class Workload implements AutoCloseable {
    private final LoadPlan plan;
    private final List<TributaryClient> clients = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final Map<String, Set<Long>> acked = new ConcurrentHashMap<>();
    private final AtomicLong attempts = new AtomicLong();
    private volatile boolean stopped;

    private Workload(LoadPlan plan) {
        this.plan = plan;
    }

    public static Workload start(LoadPlan plan, List<String> proxyServiceUrls, String adminServiceUrl) {
        Workload w = new Workload(plan);
        for (int i = 0; i < plan.topics(); i++) {
            String url = proxyServiceUrls.get(i % proxyServiceUrls.size());
            String topic = "public/default/chaos-standin-" + plan.seed() + "-" + i;
            w.acked.put(topic, ConcurrentHashMap.newKeySet());
            Thread t = new Thread(() -> w.produce(url, topic), "standin-" + i);
            t.setDaemon(true);
            w.threads.add(t);
            t.start();
        }
        return w;
    }

    private void produce(String url, String topic) {
        long pauseMillis = Math.max(1, 1000L * plan.topics() / plan.messagesPerSecond());
        try (TributaryClient client = TributaryClient.builder().serviceUrl(url).build()) {
            synchronized (clients) {
                clients.add(client);
            }
            Producer<byte[]> p = null;
            long seq = 0;
            while (!stopped) {
                try {
                    if (p == null) {
                        p = client.newProducer(Schema.BYTES).topic(topic).producerName("standin-" + topic.hashCode())
                                .sendTimeout(Duration.ofSeconds(60)).create();
                        seq = p.getLastSequenceId() + 1;
                    }
                    attempts.incrementAndGet();
                    p.newMessage().sequenceId(seq).value((topic + ":" + seq).getBytes(StandardCharsets.UTF_8)).send();
                    acked.get(topic).add(seq);
                    seq++;
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // resend the same sequence id: deduplication makes it exactly once
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        } catch (Exception e) {
            // client closed at stop
        }
    }

    public void stop() {
        stopped = true;
        for (Thread t : threads) {
            try {
                t.join(90_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Releases the clients (h10-g's workload keeps consumers running after stop() so they drain). */
    @Override
    public void close() throws InterruptedException {
        stop();
    }

    public Map<String, Set<Long>> acked() {
        return acked;
    }

    public long attempts() {
        return attempts.get();
    }
}
