package io.tributary.cli;

import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "consume", mixinStandardHelpOptions = true,
        description = "Receives messages from a subscription, prints them as UTF-8 text (whatever their schema) and acknowledges them.")
final class ConsumeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "tenant/namespace/topic")
    String topic;

    @Option(names = {"-s", "--subscription"}, required = true, description = "Subscription name.")
    String subscription;

    @Option(names = {"-n", "--count"}, defaultValue = "0", description = "Stop after this many messages; 0 runs until Ctrl-C (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = {"-t", "--type"}, defaultValue = "Exclusive",
            description = "Subscription type: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    SubscriptionType type;

    @Option(names = {"-p", "--position"}, defaultValue = "Earliest",
            description = "Where a new subscription starts: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    SubscriptionInitialPosition position;

    @Option(names = {"-w", "--wait"}, defaultValue = "0",
            description = "Give up after this many seconds without a message; 0 waits forever (default: ${DEFAULT-VALUE}).")
    int waitSeconds;

    @Mixin
    ClientOptions connection;

    @Override
    public Integer call() throws Exception {
        try (TributaryClient client = connection.resolve().clientBuilder().build();
             // bytes read every schema (JSON, string, ...): the command prints whatever the topic holds as text
             Consumer<byte[]> consumer = client.newConsumer(Schema.BYTES).topic(topic).subscriptionName(subscription)
                     .subscriptionType(type).subscriptionInitialPosition(position).subscribe()) {
            int received = 0;
            while (count == 0 || received < count) {
                Message<byte[]> m = waitSeconds > 0 ? consumer.receive(waitSeconds, TimeUnit.SECONDS) : consumer.receive();
                if (m == null) {
                    System.err.println("no message within " + waitSeconds + " s; " + received + " received");
                    return received == 0 && count > 0 ? 2 : 0;
                }
                System.out.println(new String(m.getValue(), StandardCharsets.UTF_8));
                consumer.acknowledge(m);
                received++;
            }
            System.err.println(received + " messages received from " + topic + " (subscription " + subscription + ")");
            return 0;
        } catch (TributaryClientException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
    }
}
