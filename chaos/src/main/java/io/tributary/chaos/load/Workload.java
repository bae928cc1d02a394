package io.tributary.chaos.load;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.client.Consumer;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.TributaryAdmin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chaos suite's load: runs a {@link LoadPlan} against a cluster through its proxies and keeps
 * the {@link History} of every message, which the checker compares with what is stored.
 *
 * <p>Life cycle: {@link #start} creates the topics and every subscription (the audit ones first,
 * before anything is sent), then starts consumers, the reader, pollers and producers, each client
 * spread over the proxies. {@link #stop()} stops producing and waits until every send is answered;
 * consumers keep receiving so they can drain. {@link #close()} stops them and releases everything
 * (the checker calls it once every stored message has been delivered, or its wait ran out).
 */
public final class Workload implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Workload.class);

    private final LoadPlan plan;
    private final History history = new History();
    private final List<TributaryClient> clients = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<ProducerDriver> producers = new ArrayList<>();
    private final List<ShortLivedDriver> shortLived = new ArrayList<>();
    private final List<ConsumerDriver> consumers = new ArrayList<>();
    private final List<PollerDriver> pollers = new ArrayList<>();
    private final List<TransactionDriver> transactions = new ArrayList<>();
    private final TransactionHistory transactionHistory = new TransactionHistory();
    private final AtomicLong sendFailures = new AtomicLong();
    private final AtomicLong ackFailures = new AtomicLong();
    private final AtomicLong deadlinesExceeded = new AtomicLong();
    private volatile long startedAtMs;
    private volatile long stoppedAtMs;
    private boolean stopped;
    private boolean closed;

    private Workload(LoadPlan plan) {
        this.plan = plan;
    }

    /**
     * Sets up and starts the load of {@code plan}.
     *
     * @param proxyServiceUrls the proxies ({@code host:port}); clients are spread over them
     * @param adminServiceUrl where to create topics (a proxy or a broker)
     */
    public static Workload start(LoadPlan plan, List<String> proxyServiceUrls, String adminServiceUrl)
            throws Exception {
        if (proxyServiceUrls.isEmpty()) {
            throw new IllegalArgumentException("no proxy to send through");
        }
        Workload w = new Workload(plan);
        try {
            w.setUp(proxyServiceUrls, adminServiceUrl);
        } catch (Exception e) {
            w.close();
            throw e;
        }
        return w;
    }

    private void setUp(List<String> proxyServiceUrls, String adminServiceUrl) throws Exception {
        try (TributaryAdmin admin = TributaryAdmin.builder().serviceUrl(adminServiceUrl)
                .operationTimeout(Duration.ofSeconds(60)).build()) {
            for (LoadPlan.TopicPlan t : plan.topics()) {
                try {
                    if (t.partitions() > 0) {
                        admin.topics().create(t.name(), t.partitions());
                    } else {
                        admin.topics().create(t.name());
                    }
                } catch (TributaryClientException.AlreadyExistsException e) {
                    // its old messages carry the same identities: the checker would see them stored twice
                    throw new IllegalStateException("topic " + t.name() + " exists already: a plan runs on new topics"
                            + " (replay a seed on a fresh cluster)", e);
                }
            }
            for (String t : transactionTopics()) {
                admin.topics().create(t);
            }
        }
        for (String url : proxyServiceUrls) {
            clients.add(TributaryClient.builder().serviceUrl(url).operationTimeout(Duration.ofSeconds(60)).build());
            channels.add(NettyChannelBuilder.forTarget(target(url)).usePlaintext().build());
        }
        // The audit subscriptions come first: from then on they hold everything stored.
        List<String> audited = new ArrayList<>(plan.topics().stream().map(LoadPlan.TopicPlan::name).toList());
        audited.addAll(transactionTopics());
        for (String t : audited) {
            try (Consumer<byte[]> audit = clients.get(0).newConsumer().topic(t)
                    .subscriptionName(LoadPlan.AUDIT).subscriptionType(SubscriptionType.Exclusive)
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
                LOG.debug("audit subscription on {}", audit.getTopic());
            }
        }
        int n = 0;
        for (LoadPlan.SubscriptionPlan s : plan.subscriptions()) {
            for (int i = 0; i < s.consumers(); i++) {
                ConsumerDriver c = new ConsumerDriver(s, i, history, ackFailures);
                consumers.add(c);
                c.start(clients.get(n++ % clients.size()));
            }
        }
        for (LoadPlan.PollerPlan p : plan.pollers()) {
            for (int i = 0; i < p.pollers(); i++) {
                PollerDriver poller = new PollerDriver(p, i, channels.get(n++ % channels.size()), history,
                        deadlinesExceeded, ackFailures);
                pollers.add(poller);
                if (i == 0) {
                    poller.createSubscription();
                }
            }
        }
        pollers.forEach(PollerDriver::start);
        startedAtMs = System.currentTimeMillis();
        for (LoadPlan.ProducerPlan p : plan.producers()) {
            ProducerDriver d = new ProducerDriver(p, clients.get(n++ % clients.size()), history, plan.seed(),
                    sendFailures);
            producers.add(d);
            d.start();
        }
        for (LoadPlan.TransactionPlan t : plan.transactions()) {
            TransactionDriver d = new TransactionDriver(t, clients.get(n++ % clients.size()), transactionHistory);
            transactions.add(d);
            d.start();
        }
        int i = 0;
        for (LoadPlan.ShortLivedPlan s : plan.shortLived()) {
            ShortLivedDriver d = new ShortLivedDriver(i++, s, clients, history, sendFailures);
            shortLived.add(d);
            d.start();
        }
    }

    /** gRPC wants {@code host:port}; the SDK also takes {@code tributary://} and {@code grpc://}. */
    static String target(String serviceUrl) {
        for (String scheme : new String[] {"tributary://", "grpc://"}) {
            if (serviceUrl.startsWith(scheme)) {
                return serviceUrl.substring(scheme.length());
            }
        }
        return serviceUrl;
    }

    /** Blocks until the plan's duration has passed since the start (for runs without a fault schedule). */
    public void awaitPlannedEnd() throws InterruptedException {
        long left = startedAtMs + plan.durationMs() - System.currentTimeMillis();
        if (left > 0) {
            TimeUnit.MILLISECONDS.sleep(left);
        }
    }

    /**
     * Stops producing and waits until every send is answered (stored, failed or timed out);
     * consumers, the reader and pollers go on, so that they drain. Idempotent.
     */
    public synchronized void stop() throws InterruptedException {
        if (stopped) {
            return;
        }
        stopped = true;
        for (ShortLivedDriver d : shortLived) {
            d.stop();
        }
        for (ProducerDriver d : producers) {
            d.stop();
        }
        for (TransactionDriver d : transactions) {
            d.stop();
        }
        stoppedAtMs = System.currentTimeMillis();
    }

    /** Stops everything (producers too, if still running) and releases the clients. Idempotent. */
    @Override
    public synchronized void close() throws InterruptedException {
        if (closed) {
            return;
        }
        stop();
        closed = true;
        for (ConsumerDriver c : consumers) {
            c.close();
        }
        for (PollerDriver p : pollers) {
            p.close();
        }
        for (TributaryClient c : clients) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.info("closing a client: {}", e.toString());
            }
        }
        for (ManagedChannel c : channels) {
            c.shutdownNow();
        }
    }

    public LoadPlan plan() {
        return plan;
    }

    /** Every message's history so far. */
    public History history() {
        return history;
    }

    /** Every transaction begun, with its outcome. */
    public TransactionHistory transactionHistory() {
        return transactionHistory;
    }

    /** The topics the transactions write to (audited apart from the others). */
    public List<String> transactionTopics() {
        return plan.transactions().stream().flatMap(t -> t.topics().stream()).toList();
    }

    /** The topics and partitions that hold messages, by their own names. */
    public List<String> storedTopics() {
        List<String> all = new ArrayList<>();
        for (LoadPlan.TopicPlan t : plan.topics()) {
            all.addAll(LoadPlan.partitionsOf(t));
        }
        return all;
    }

    /** Sends that failed (refused, or timed out: such a message may still be stored). */
    public long sendFailures() {
        return sendFailures.get();
    }

    /** Acknowledgements (by consumers and pollers) that failed: their messages come back. */
    public long ackFailures() {
        return ackFailures.get();
    }

    /** Unary {@code Receive} calls whose deadline passed before the answer came. */
    public long deadlinesExceeded() {
        return deadlinesExceeded.get();
    }

    /** Producers created again after a failure no retry cures (fenced, closed, name taken). */
    public long producerReplacements() {
        return producers.stream().mapToLong(ProducerDriver::replacements).sum();
    }

    /** Consumers and readers that subscribed again after the SDK gave up on them. */
    public long consumerResubscriptions() {
        return consumers.stream().mapToLong(ConsumerDriver::resubscriptions).sum();
    }

    public long startedAtMs() {
        return startedAtMs;
    }

    /** When {@link #stop()} returned, 0 before. */
    public long stoppedAtMs() {
        return stoppedAtMs;
    }
}
