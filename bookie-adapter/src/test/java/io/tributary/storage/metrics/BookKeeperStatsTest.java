package io.tributary.storage.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.prometheus.client.Collector;
import io.prometheus.client.Collector.MetricFamilySamples;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Reading BookKeeper's text: families as declared, samples wherever they stand, the provider's own left out. */
class BookKeeperStatsTest {
    @Test
    void readsBookKeepersTextIntoFamilies() {
        String text = String.join("\n",
                "# HELP process_start_time_seconds Start time",
                "# TYPE process_start_time_seconds gauge",
                "process_start_time_seconds 1.7E9",
                "# TYPE bookie_SERVER_STATUS gauge",
                "bookie_SERVER_STATUS 1",
                "# TYPE bookie_WRITE_BYTES counter",
                "bookie_WRITE_BYTES 512",
                "# TYPE bookie_requests_total counter",
                "bookie_requests_total 3",
                "# TYPE bookie_journal_JOURNAL_SYNC summary",
                "bookie_journal_JOURNAL_SYNC{success=\"true\",quantile=\"0.5\", journalIndex=\"0\"} 1.5",
                "bookie_journal_JOURNAL_SYNC_count{success=\"true\", journalIndex=\"0\"} 4",
                "bookie_journal_JOURNAL_SYNC_sum{success=\"true\", journalIndex=\"0\"} 6.0",
                "bookie_SERVER_STATUS{other=\"a \\\"quoted\\\" value\"} NaN",
                "");
        Map<String, MetricFamilySamples> families = BookKeeperStats.parse(text, Set.of("process_start_time_seconds")).stream()
                .collect(Collectors.toMap(f -> f.name, f -> f));
        assertEquals(Set.of("bookie_SERVER_STATUS", "bookie_WRITE_BYTES", "bookie_requests", "bookie_journal_JOURNAL_SYNC"),
                families.keySet());
        assertEquals(Collector.Type.GAUGE, families.get("bookie_SERVER_STATUS").type);
        assertEquals(2, families.get("bookie_SERVER_STATUS").samples.size());
        assertEquals(List.of("a \"quoted\" value"), families.get("bookie_SERVER_STATUS").samples.get(1).labelValues);
        // a counter without _total cannot be written as a counter by Prometheus' client: untyped, its name kept
        assertEquals(Collector.Type.UNKNOWN, families.get("bookie_WRITE_BYTES").type);
        assertEquals(Collector.Type.COUNTER, families.get("bookie_requests").type);
        assertEquals("bookie_requests_total", families.get("bookie_requests").samples.get(0).name);
        MetricFamilySamples sync = families.get("bookie_journal_JOURNAL_SYNC");
        assertEquals(Collector.Type.SUMMARY, sync.type);
        assertEquals(3, sync.samples.size());
        assertEquals(List.of("success", "quantile", "journalIndex"), sync.samples.get(0).labelNames);
        assertEquals(4.0, sync.samples.get(1).value);
    }

    @Test
    void readsEscapesBracesAndTimestampsAndDropsMalformedLines() {
        MetricFamilySamples.Sample s = BookKeeperStats.sample("bk_dir_usage{path=\"C:\\\\data {x}\",line=\"a\\nb\"}  0.25 1700000000000");
        assertEquals("bk_dir_usage", s.name);
        assertEquals(List.of("path", "line"), s.labelNames);
        assertEquals(List.of("C:\\data {x}", "a\nb"), s.labelValues);
        assertEquals(0.25, s.value);
        assertEquals(Double.POSITIVE_INFINITY, BookKeeperStats.sample("bk_x +Inf").value);
        assertNull(BookKeeperStats.sample("bk_x{path=\"unclosed} 1"));
        assertNull(BookKeeperStats.sample("bk_x{path=unquoted} 1"));
        assertNull(BookKeeperStats.sample("bk_x not-a-number"));
        assertNull(BookKeeperStats.sample("bk_x"));
    }
}
