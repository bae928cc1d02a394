package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.cli.Standalone;
import io.tributary.cli.TributaryCli;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Reader;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException.IncompatibleSchemaException;
import io.tributary.client.TributaryClientException.SchemaSerializationException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schemas end to end through the proxy: the producer's schema name travels with every batch, a
 * consumer with the same schema reads values, one with another schema gets a clear error naming
 * both (and loses nothing), and a BYTES consumer reads the raw bytes.
 */
class SchemaTest {
    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;

    public record Order(String id, long cents, List<String> items) {}

    public record Shipment(String tracking, int parcels) {}

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        standalone.close();
    }

    private static <T> Consumer<T> consumer(String topic, String subscription, Schema<T> schema) throws Exception {
        return client.newConsumer(schema).topic(topic).subscriptionName(subscription)
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
    }

    private static MessageId produceOrder(String topic, Order order) throws Exception {
        try (Producer<Order> p = client.newProducer(Schema.JSON(Order.class)).topic(topic).create()) {
            return p.send(order);
        }
    }

    @Test
    void jsonValuesRoundTripAndBytesConsumersSeeTheJson() throws Exception {
        String topic = "public/default/schema-json";
        Order order = new Order("o-17", 4200, List.of("kettle", "tea"));
        MessageId id = produceOrder(topic, order);
        try (Consumer<Order> c = consumer(topic, "fulfilment", Schema.JSON(Order.class))) {
            Message<Order> m = c.receive(30, TimeUnit.SECONDS);
            assertThat(m.getValue()).isEqualTo(order);
            assertThat(m.getMessageId()).isEqualTo(id);
            c.acknowledge(m);
        }
        try (Consumer<byte[]> c = consumer(topic, "archive", Schema.BYTES)) {
            Message<byte[]> m = c.receive(30, TimeUnit.SECONDS);
            assertThat(new String(m.getValue(), StandardCharsets.UTF_8))
                    .isEqualTo("{\"id\":\"o-17\",\"cents\":4200,\"items\":[\"kettle\",\"tea\"]}");
        }
    }

    @Test
    void aConsumerWithAnotherSchemaGetsAClearErrorAndLosesNothing() throws Exception {
        String topic = "public/default/schema-mismatch";
        MessageId id = produceOrder(topic, new Order("o-1", 100, List.of()));
        String written = Schema.JSON(Order.class).name();
        for (Schema<?> wrong : List.of(Schema.JSON(Shipment.class), Schema.STRING, Schema.PROTOBUF(ErrorDetail.class))) {
            try (Consumer<?> c = consumer(topic, "wrong-" + wrong.name().replace(':', '-'), wrong)) {
                IncompatibleSchemaException e = catchThrowableOfType(() -> c.receive(30, TimeUnit.SECONDS),
                        IncompatibleSchemaException.class);
                assertThat(e).as(wrong.toString()).isNotNull();
                assertThat(e.getWriterSchema()).isEqualTo(written);
                assertThat(e.getReaderSchema()).isEqualTo(wrong.name());
                assertThat(e.getMessage()).contains(written).contains(wrong.name());
                assertThat(e.getMessageId()).isEqualTo(id);
            }
        }
        // the message stayed unacknowledged: the same subscription, read as bytes, still has it
        try (Consumer<byte[]> c = consumer(topic, "wrong-string", Schema.BYTES)) {
            Message<byte[]> m = c.receive(30, TimeUnit.SECONDS);
            assertThat(m.getMessageId()).isEqualTo(id);
            assertThat(m.getRedeliveryCount()).isPositive();
        }
        // so does a reader
        try (Reader<Shipment> r = client.newReader(Schema.JSON(Shipment.class)).topic(topic)
                .startMessageId(MessageId.earliest).create()) {
            assertThat(catchThrowableOfType(() -> r.readNext(30, TimeUnit.SECONDS), IncompatibleSchemaException.class))
                    .isNotNull();
            assertThat(r.hasMessageAvailable()).as("the reader moved past it").isFalse();
        }
    }

    @Test
    void protobufValuesRoundTrip() throws Exception {
        String topic = "public/default/schema-protobuf";
        ErrorDetail value = ErrorDetail.newBuilder().setReason(ErrorReason.TOPIC_NOT_FOUND).setMessage("gone").build();
        try (Producer<ErrorDetail> p = client.newProducer(Schema.PROTOBUF(ErrorDetail.class)).topic(topic).create()) {
            p.send(value);
        }
        try (Consumer<ErrorDetail> c = consumer(topic, "s", Schema.PROTOBUF(ErrorDetail.class))) {
            assertThat(c.receive(30, TimeUnit.SECONDS).getValue()).isEqualTo(value);
        }
        try (Consumer<Order> c = consumer(topic, "as-json", Schema.JSON(Order.class))) {
            IncompatibleSchemaException e = catchThrowableOfType(() -> c.receive(30, TimeUnit.SECONDS),
                    IncompatibleSchemaException.class);
            assertThat(e.getWriterSchema()).isEqualTo("protobuf:tributary.v1.ErrorDetail");
        }
    }

    @Test
    void bytesThatAreNotJsonFailAsMalformed() throws Exception {
        String topic = "public/default/schema-malformed";
        try (Producer<byte[]> p = client.newProducer(Schema.BYTES).topic(topic).create()) {
            p.send("{\"id\": \"cut off".getBytes(StandardCharsets.UTF_8));
            p.send("{\"id\":\"o-2\",\"cents\":1,\"items\":[]}".getBytes(StandardCharsets.UTF_8));
        }
        try (Consumer<Order> c = consumer(topic, "s", Schema.JSON(Order.class))) {
            SchemaSerializationException e = catchThrowableOfType(() -> c.receive(30, TimeUnit.SECONDS),
                    SchemaSerializationException.class);
            assertThat(e.getMessage()).contains("cannot be decoded with json:" + Order.class.getName());
            c.acknowledge(e.getMessageId());
            // bytes without a declared format are decoded with the consumer's schema when they are valid
            assertThat(c.receive(30, TimeUnit.SECONDS).getValue()).isEqualTo(new Order("o-2", 1, List.of()));
        }
    }

    @Test
    void theCliConsumesATopicOfAnySchemaAsText() throws Exception {
        String topic = "public/default/schema-cli";
        produceOrder(topic, new Order("o-9", 9, List.of("pen")));
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = TributaryCli.commandLine().execute("consume", topic, "-s", "cli", "-n", "1", "-w", "30",
                    "-u", standalone.serviceUrl());
        } finally {
            System.setOut(saved);
        }
        assertThat(code).isZero();
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("{\"id\":\"o-9\",\"cents\":9,\"items\":[\"pen\"]}");
    }
}
