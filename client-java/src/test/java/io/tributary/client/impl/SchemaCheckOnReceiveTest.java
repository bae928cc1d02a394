package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.tributary.api.v1.MessageBatch;
import io.tributary.api.v1.SingleMessage;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.MessageId;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException.IncompatibleSchemaException;
import io.tributary.client.TributaryClientException.SchemaSerializationException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A consumer checks each message's schema and decodes it before handing it over: the wrong
 * schema or malformed bytes fail receive, and the message stays received and unacknowledged.
 */
class SchemaCheckOnReceiveTest {
    private static final String TOPIC = "acme/orders/created";

    public record Order(String id, long cents) {}

    public record Refund(String order, long cents) {}

    private static MessageBatch batch(String schema, byte[]... values) {
        List<SingleMessage> singles = new java.util.ArrayList<>();
        for (byte[] v : values) {
            singles.add(SingleMessage.newBuilder().setValue(ByteString.copyFrom(v)).build());
        }
        return MessageBatch.newBuilder()
                .setMessageId(io.tributary.api.v1.MessageId.newBuilder().setLedgerId(3).setEntryId(4)
                        .setPartition(-1).setBatchSize(values.length))
                .setEntry(BatchCodec.encode("p", schema, 0, singles, 1)).build();
    }

    private static <T> MessageImpl<T> single(MessageBatch b, Schema<T> schema) throws Exception {
        return BatchCodec.unpack(TOPIC, -1, b, schema).messages().get(0);
    }

    @Test
    void theRightSchemaDecodesAndBytesReadsAnything() throws Exception {
        Schema<Order> orders = Schema.JSON(Order.class);
        MessageBatch b = batch(orders.name(), orders.encode(new Order("o-1", 99)));
        MessageImpl<Order> m = single(b, orders);
        m.decode();
        assertThat(m.getValue()).isEqualTo(new Order("o-1", 99));

        MessageImpl<byte[]> raw = single(b, Schema.BYTES);
        raw.decode();
        assertThat(new String(raw.getValue(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"o-1\",\"cents\":99}");
    }

    @Test
    void anotherSchemaIsRefusedNamingBoth() throws Exception {
        Schema<Order> orders = Schema.JSON(Order.class);
        MessageBatch b = batch(orders.name(), orders.encode(new Order("o-1", 99)));
        for (Schema<?> wrong : List.of(Schema.JSON(Refund.class), Schema.STRING,
                Schema.PROTOBUF(io.tributary.api.v1.MessageId.class))) {
            MessageImpl<?> m = single(b, wrong);
            assertThatThrownBy(m::decode).as(wrong.toString())
                    .isInstanceOfSatisfying(IncompatibleSchemaException.class, e -> {
                        assertThat(e.getWriterSchema()).isEqualTo(orders.name());
                        assertThat(e.getReaderSchema()).isEqualTo(wrong.name());
                        assertThat(e.getMessageId()).isEqualTo(MessageId.of(3, 4, 0));
                        assertThat(e.getMessage()).contains(orders.name()).contains(wrong.name()).contains("3:4:0");
                    });
            // a message that reached the application without receive (none does today) cannot be read either
            assertThatThrownBy(m::getValue).isInstanceOf(UncheckedIOException.class)
                    .hasCauseInstanceOf(IncompatibleSchemaException.class);
        }
    }

    @Test
    void malformedBytesUnderTheRightNameAreASerializationError() throws Exception {
        Schema<Order> orders = Schema.JSON(Order.class);
        MessageImpl<Order> m = single(batch(orders.name(), "{\"id\":".getBytes(StandardCharsets.UTF_8)), orders);
        assertThatThrownBy(m::decode).isInstanceOfSatisfying(SchemaSerializationException.class, e -> {
            assertThat(e.getMessageId()).isEqualTo(MessageId.of(3, 4, 0));
            assertThat(e.getMessage()).contains("cannot be decoded with " + orders.name());
            assertThat(e.getCause()).isInstanceOf(IllegalArgumentException.class);
        });
        // undeclared bytes are decoded with the reader's schema, and refused only if they are not its format
        MessageImpl<Order> undeclared = single(batch("bytes", "plain text".getBytes(StandardCharsets.UTF_8)), orders);
        assertThatThrownBy(undeclared::decode).isInstanceOf(SchemaSerializationException.class);
        MessageImpl<Order> fine = single(batch("", orders.encode(new Order("o-2", 1))), orders);
        fine.decode();
        assertThat(fine.getValue().id()).isEqualTo("o-2");
    }

    @Test
    void receiveFailsForAMessageOfAnotherSchemaAndTheNextOneStillComes() throws Exception {
        try (FakeBroker broker = new FakeBroker(TOPIC);
             TributaryClient client = TributaryClient.builder().serviceUrl(broker.url())
                     .operationTimeout(Duration.ofSeconds(5)).build()) {
            try (Producer<String> strings = client.newProducer(Schema.STRING).topic(TOPIC).enableBatching(false).create();
                 Producer<Order> json = client.newProducer(Schema.JSON(Order.class)).topic(TOPIC).enableBatching(false).create()) {
                strings.send("not an order");
                json.send(new Order("o-1", 10));
                json.send(new Order("o-2", 20));
                strings.send("neither");
            }
            try (Consumer<Order> c = client.newConsumer(Schema.JSON(Order.class)).topic(TOPIC).subscriptionName("s")
                    .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
                IncompatibleSchemaException e = (IncompatibleSchemaException) org.assertj.core.api.Assertions
                        .catchThrowable(() -> c.receive(5, TimeUnit.SECONDS));
                assertThat(e).isNotNull();
                assertThat(e.getWriterSchema()).isEqualTo("string");
                Message<Order> first = c.receive(5, TimeUnit.SECONDS);
                assertThat(first.getValue()).isEqualTo(new Order("o-1", 10));
                CompletableFuture<Message<Order>> second = c.receiveAsync();
                assertThat(second.get(5, TimeUnit.SECONDS).getValue().id()).isEqualTo("o-2");
                CompletableFuture<Message<Order>> fourth = c.receiveAsync();
                assertThatThrownBy(() -> fourth.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(IncompatibleSchemaException.class);
                synchronized (broker) {
                    assertThat(broker.acks).as("nothing acknowledged behind the application's back").isEmpty();
                }
                // the application decides: here it moves past the message it cannot read
                c.acknowledge(e.getMessageId());
                c.acknowledge(first);
                synchronized (broker) {
                    assertThat(broker.acks).hasSize(2);
                }
            }
        }
    }
}
