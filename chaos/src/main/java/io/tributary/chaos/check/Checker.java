package io.tributary.chaos.check;

import io.tributary.chaos.load.Workload;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** STAND-IN for h10-g's checker (same signature): the lead replaces this file with theirs at merge. Reads every topic back. */
public final class Checker {
    private Checker() {}

    public static CheckReport check(Workload workload, String serviceUrl) throws Exception {
        long acked = 0;
        long lost = 0;
        long duplicated = 0;
        long order = 0;
        String first = null;
        try (TributaryClient client = TributaryClient.builder().serviceUrl(serviceUrl).build()) {
            for (Map.Entry<String, Set<Long>> e : workload.acked().entrySet()) {
                Map<Long, Integer> seen = new HashMap<>();
                long last = -1;
                try (Reader<byte[]> r = client.newReader(Schema.BYTES).topic(e.getKey()).startMessageId(MessageId.earliest).create()) {
                    Message<byte[]> m;
                    while ((m = r.readNext(15, TimeUnit.SECONDS)) != null) {
                        String v = new String(m.getData(), StandardCharsets.UTF_8);
                        long seq = Long.parseLong(v.substring(v.lastIndexOf(':') + 1));
                        if (seen.merge(seq, 1, Integer::sum) > 1) {
                            duplicated++;
                            first = first == null ? "duplicated " + v + " at " + m.getMessageId() : first;
                        }
                        if (seq < last) {
                            order++;
                        }
                        last = seq;
                    }
                }
                for (long seq : e.getValue()) {
                    acked++;
                    if (!seen.containsKey(seq)) {
                        lost++;
                        first = first == null ? "lost " + e.getKey() + ":" + seq : first;
                    }
                }
            }
        }
        return new CheckReport(workload.attempts(), acked, lost, duplicated, order, 0, first);
    }
}
