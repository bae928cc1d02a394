package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.cli.Standalone;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Standalone with --bookies 3: entries are written to two bookies and read back. */
class ThreeBookiesTest {
    @TempDir
    Path dir;

    @Test
    void messagesFlowWithReplicatedLedgers() throws Exception {
        Standalone.Options base = TestClusters.options(dir.toFile(), UnaryOperator.identity());
        Standalone.Options three = new Standalone.Options(base.dataDir(), 3, base.zkPort(),
                TestClusters.freePorts(3, base.zkPort(), base.brokerPort(), base.proxyPort()),
                base.brokerPort(), base.proxyPort(), false, base.brokerSettings());
        try (Standalone standalone = new Standalone(three).start();
             TributaryClient client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
             Consumer<String> consumer = client.newConsumer(Schema.STRING).topic("public/default/replicated")
                     .subscriptionName("s").subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/replicated").create()) {
            for (int i = 0; i < 200; i++) {
                producer.sendAsync("r-" + i);
            }
            producer.flush();
            for (int i = 0; i < 200; i++) {
                Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                assertThat(m.getValue()).isEqualTo("r-" + i);
                consumer.acknowledge(m);
            }
        }
    }
}
