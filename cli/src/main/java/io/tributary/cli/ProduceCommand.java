package io.tributary.cli;

import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Publishes messages to a topic and prints their message ids.")
final class ProduceCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "tenant/namespace/topic")
    String topic;

    @Option(names = {"-m", "--message"}, required = true, description = "Message text; repeat for several messages.")
    List<String> messages;

    @Option(names = {"-n", "--count"}, defaultValue = "1", description = "Send the messages this many times (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = {"-k", "--key"}, description = "Message key.")
    String key;

    @Mixin
    ClientOptions connection;

    @Override
    public Integer call() throws Exception {
        try (TributaryClient client = connection.resolve().clientBuilder().build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic(topic).create()) {
            List<CompletableFuture<MessageId>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                for (String m : messages) {
                    var builder = producer.newMessage().value(m);
                    if (key != null) {
                        builder.key(key);
                    }
                    sent.add(builder.sendAsync());
                }
            }
            producer.flush();
            for (CompletableFuture<MessageId> f : sent) {
                System.out.println(f.join());
            }
            System.err.println(sent.size() + " messages published to " + topic);
            return 0;
        } catch (TributaryClientException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        } catch (java.util.concurrent.CompletionException e) {
            System.err.println("error: " + e.getCause().getMessage());
            return 1;
        }
    }
}
