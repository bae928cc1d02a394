package io.tributary.it.docs;

import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.SubscriptionType;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import java.util.concurrent.TimeUnit;

/**
 * The examples of {@code docs/java-client.md}, compiled and run by {@link JavaClientDocTest}, which
 * also checks that the document shows them exactly. Each example prints what a user would see.
 */
final class JavaClientExamples {
    private JavaClientExamples() {}

    static void quickStart(String serviceUrl) throws Exception {
        // example: quick-start
        try (TributaryClient client = TributaryClient.builder().serviceUrl(serviceUrl).build();
             Producer<String> producer = client.newProducer(Schema.STRING).topic("public/default/orders").create();
             Consumer<String> consumer = client.newConsumer(Schema.STRING)
                     .topic("public/default/orders")
                     .subscriptionName("audit")
                     .subscriptionType(SubscriptionType.Shared)
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                     .subscribe()) {

            MessageId id = producer.send("hello");                         // waits until stored
            producer.newMessage().key("order-42").value("paid").property("currency", "EUR").sendAsync();
            producer.flush();                                              // waits for the async send too

            for (int i = 0; i < 2; i++) {
                Message<String> m = consumer.receive(5, TimeUnit.SECONDS); // null on timeout
                System.out.println(m.getValue() + " " + m.getProperties());
                consumer.acknowledge(m);                                   // confirmed by the broker
            }
        }
        // end example
    }

    static void reader(String serviceUrl) throws Exception {
        try (TributaryClient client = TributaryClient.builder().serviceUrl(serviceUrl).build()) {
            // example: reader
            try (Reader<String> reader = client.newReader(Schema.STRING).topic("public/default/orders")
                    .startMessageId(MessageId.earliest)            // or MessageId.latest, or an id (after it)
                    .create()) {
                Message<String> m = reader.readNext(5, TimeUnit.SECONDS);
                System.out.println("first: " + m.getValue());
            }
            // end example
        }
    }

    static void errors(String serviceUrl) throws Exception {
        try (TributaryClient client = TributaryClient.builder().serviceUrl(serviceUrl).build();
             Producer<byte[]> producer = client.newProducer().topic("public/default/uploads").create()) {
            // example: errors
            try {
                producer.send(new byte[6 * 1024 * 1024]);
            } catch (TributaryClientException.MessageTooLargeException e) {
                System.out.println(e.reason() + ": the producer stays usable");
            }
            producer.send("small".getBytes());
            // end example
        }
    }
}
