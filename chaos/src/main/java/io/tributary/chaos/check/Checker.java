package io.tributary.chaos.check;

import io.tributary.chaos.load.LoadPlan;
import io.tributary.chaos.load.MessageRecord.Snapshot;
import io.tributary.chaos.load.Workload;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a run after the faults have healed: stops the producers (if not yet), reads every audit
 * subscription to the end, waits (up to a limit) until the consumers have received every stored
 * message, closes the workload, and judges with {@link Verdicts}.
 */
public final class Checker {
    private static final Logger LOG = LoggerFactory.getLogger(Checker.class);
    /** How long the audit read of all topics may take. */
    static final Duration AUDIT_TIMEOUT = Duration.ofMinutes(3);
    /** How long consumers get to receive every stored message once the audit read is done. */
    public static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(90);

    private Checker() {}

    /** {@link #check(Workload, String, Duration, Consumer)} with {@link #DRAIN_TIMEOUT}. */
    public static CheckReport check(Workload workload, String serviceUrl) throws Exception {
        return check(workload, serviceUrl, DRAIN_TIMEOUT, audit -> { });
    }

    /**
     * @param serviceUrl a proxy to read the audit subscriptions through
     * @param drainTimeout how long to wait for consumers to have every stored message
     * @param auditHook sees (and may change) the audit read before anything is judged: tests use it
     *     to drop or add a stored message and prove the checker notices
     */
    public static CheckReport check(Workload workload, String serviceUrl, Duration drainTimeout,
            Consumer<Map<String, List<StoredMessage>>> auditHook) throws Exception {
        workload.stop();
        long started = System.currentTimeMillis();
        Map<String, List<StoredMessage>> audit = new TreeMap<>();
        boolean complete = true;
        try (TributaryClient client = TributaryClient.builder().serviceUrl(serviceUrl)
                .operationTimeout(Duration.ofSeconds(60)).build()) {
            long deadline = started + AUDIT_TIMEOUT.toMillis();
            for (String topic : workload.storedTopics()) {
                AuditReader.Read read = readWithRetries(client, topic, deadline);
                audit.put(topic, new ArrayList<>(read.messages()));
                if (!read.complete()) {
                    LOG.warn("audit read of {} did not reach the topic's end ({} messages read)", topic,
                            read.messages().size());
                    complete = false;
                }
            }
        }
        // the coordinator first finishes what it holds: undecided transactions of a fault are rolled back at their
        // timeout, decided ones applied; then their topics are read like the others
        Map<String, List<StoredMessage>> transactionAudit = new TreeMap<>();
        if (!workload.plan().transactions().isEmpty()) {
            boolean finished = TransactionsFinished.await(serviceUrl, started + AUDIT_TIMEOUT.toMillis());
            complete &= finished;
            try (TributaryClient client = TributaryClient.builder().serviceUrl(serviceUrl)
                    .operationTimeout(Duration.ofSeconds(60)).build()) {
                for (String topic : workload.transactionTopics()) {
                    AuditReader.Read read = readWithRetries(client, topic, started + AUDIT_TIMEOUT.toMillis());
                    transactionAudit.put(topic, read.messages());
                    complete &= read.complete();
                }
            }
        }
        long auditMs = System.currentTimeMillis() - started;
        auditHook.accept(audit);
        LoadPlan plan = workload.plan();
        long drainStarted = System.currentTimeMillis();
        long drainDeadline = drainStarted + drainTimeout.toMillis();
        long waiting = Verdicts.undeliveredNow(workload.history().snapshot(), audit, plan.subscriptions());
        while (waiting > 0 && System.currentTimeMillis() < drainDeadline) {
            TimeUnit.SECONDS.sleep(1); // polls a condition, with a deadline
            waiting = Verdicts.undeliveredNow(workload.history().snapshot(), audit, plan.subscriptions());
        }
        long drainMs = System.currentTimeMillis() - drainStarted;
        workload.close();
        List<Snapshot> history = workload.history().snapshot();
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("seed", plan.seed());
        extra.put("auditComplete", complete);
        extra.put("auditReadMs", auditMs);
        extra.put("drainMs", drainMs);
        extra.put("storedPerTopic", counts(audit));
        extra.put("consumerAckFailures", workload.ackFailures());
        extra.put("unaryDeadlinesExceeded", workload.deadlinesExceeded());
        extra.put("sendFailures", workload.sendFailures());
        extra.put("producerReplacements", workload.producerReplacements());
        extra.put("consumerResubscriptions", workload.consumerResubscriptions());
        extra.put("deliveriesOfUnknownMessages", workload.history().unknownDeliveries());
        Set<String> perKey = plan.producers().stream().filter(p -> p.mode() == LoadPlan.ProducerMode.KEY_BASED)
                .map(LoadPlan.ProducerPlan::id).collect(Collectors.toSet());
        CheckReport report = Verdicts.evaluate(history, audit, plan.subscriptions(), perKey).withExtra(extra);
        if (!plan.transactions().isEmpty()) {
            report = report.withTransactions(TransactionVerdict.evaluate(workload.transactionHistory().snapshot(),
                    transactionAudit));
        }
        LOG.info("chaos check of seed {}: ok={} acked={} lost={} duplicated={} order={} undelivered={}", plan.seed(),
                report.ok(), report.acked(), report.lost(), report.duplicated(), report.orderViolations(),
                report.undelivered());
        return report;
    }

    /** A topic still moving after the faults fails a read: try again until the deadline. */
    private static AuditReader.Read readWithRetries(TributaryClient client, String topic, long deadline)
            throws InterruptedException {
        while (true) {
            try {
                return AuditReader.read(client, topic, deadline);
            } catch (TributaryClientException e) {
                if (System.currentTimeMillis() >= deadline) {
                    LOG.warn("audit read of {} failed: {}", topic, e.toString());
                    return new AuditReader.Read(List.of(), false);
                }
                LOG.info("audit read of {} failed, trying again: {}", topic, e.toString());
                TimeUnit.SECONDS.sleep(1); // a fault may still be healing; bounded by the deadline
            }
        }
    }

    private static Map<String, Integer> counts(Map<String, List<StoredMessage>> audit) {
        Map<String, Integer> counts = new TreeMap<>();
        audit.forEach((topic, messages) -> counts.put(topic, messages.size()));
        return counts;
    }
}
