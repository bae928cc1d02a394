package io.tributary.chaos.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.chaos.check.CheckReport;
import io.tributary.chaos.cluster.Topology;
import io.tributary.chaos.fault.Fault;
import io.tributary.chaos.fault.FaultRecord;
import io.tributary.chaos.fault.FaultSchedule;
import io.tributary.chaos.fault.FaultType;
import io.tributary.chaos.load.LoadPlan;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome of one {@link ChaosRun}: the seed, the schedule and load plan, what each fault did and how long
 * publishing took to recover, the checker's counts (acked, lost, duplicated, order violations, redelivered,
 * the first violation's history) and the largest metadata znode.
 */
public final class ChaosReport {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ObjectNode json;
    private final CheckReport check;
    private final List<FaultRecord> faults;

    private ChaosReport(ObjectNode json, CheckReport check, List<FaultRecord> faults) {
        this.json = json;
        this.check = check;
        this.faults = List.copyOf(faults);
    }

    static ChaosReport of(long seed, Duration duration, Topology topology, FaultSchedule schedule, LoadPlan plan,
            List<FaultRecord> faults, List<Fault> skipped, CheckReport check, MetadataSurvey survey, String surveyError,
            Map<String, Long> relayBytes, Path logDir) throws JsonProcessingException {
        ObjectNode n = JSON.createObjectNode();
        n.put("seed", seed);
        n.put("durationMillis", duration.toMillis());
        n.put("ok", check.ok());
        n.set("check", JSON.readTree(check.toJson()));
        Map<String, Integer> byType = new TreeMap<>();
        for (FaultRecord r : faults) {
            byType.merge(r.fault().type().name(), 1, Integer::sum);
        }
        n.set("faultsByType", JSON.valueToTree(byType));
        n.set("faults", JSON.valueToTree(faults));
        n.put("faultErrors", faults.stream().filter(r -> r.error() != null).count());
        n.set("skippedFaults", JSON.valueToTree(skipped));
        if (survey != null) {
            ObjectNode m = n.putObject("largestZnode");
            m.put("path", survey.path());
            m.put("bytes", survey.bytes());
            m.put("znodes", survey.znodes());
        } else {
            n.put("largestZnode", surveyError);
        }
        ObjectNode t = n.putObject("topology");
        t.put("zookeepers", topology.zookeepers());
        t.put("bookies", topology.bookies());
        t.put("brokers", topology.brokers());
        t.put("proxies", topology.proxies());
        t.put("ensembleSize", topology.ensembleSize());
        t.put("writeQuorum", topology.writeQuorum());
        t.put("ackQuorum", topology.ackQuorum());
        t.put("zkSessionTimeoutMillis", topology.zkSessionTimeout().toMillis());
        t.set("brokerProps", JSON.valueToTree(topology.brokerProps()));
        n.set("loadPlan", JSON.valueToTree(plan));
        n.set("relayBytes", JSON.valueToTree(relayBytes));
        n.put("logs", logDir.toString());
        return new ChaosReport(n, check, faults);
    }

    /** The checker's verdict: nothing acknowledged lost, nothing stored twice, order kept where promised. */
    public boolean ok() {
        return check.ok();
    }

    public CheckReport check() {
        return check;
    }

    public List<FaultRecord> faults() {
        return faults;
    }

    /** How many faults of {@code type} ran. */
    public long faultCount(FaultType type) {
        return faults.stream().filter(r -> r.fault().type() == type).count();
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
