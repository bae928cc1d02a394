package io.tributary.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.DynamicMessage;
import io.tributary.client.impl.Schemas;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The built-in schemas: round trips, names, malformed input, and which writer a reader accepts. */
class SchemaTest {

    /** A record, as most JSON values will be. */
    public record Order(String id, long cents, List<String> items) {}

    /** A bean, the older style. */
    public static final class Customer {
        private String name;
        private int visits;

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public int getVisits() {
            return visits;
        }

        public void setVisits(int visits) {
            this.visits = visits;
        }
    }

    @Test
    void bytesAndStringRoundTrip() {
        byte[] raw = {0, 1, (byte) 0xff};
        assertThat(Schema.BYTES.decode(Schema.BYTES.encode(raw))).containsExactly(raw);
        assertThat(Schema.STRING.decode(Schema.STRING.encode("grüße ✓"))).isEqualTo("grüße ✓");
        assertThat(Schema.BYTES.name()).isEqualTo("bytes");
        assertThat(Schema.STRING.name()).isEqualTo("string");
    }

    @Test
    void jsonRoundTripsRecordsAndBeansUnderTheClassName() {
        Schema<Order> orders = Schema.JSON(Order.class);
        Order o = new Order("o-1", 1250, List.of("tea", "scones"));
        byte[] bytes = orders.encode(o);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"o-1\",\"cents\":1250,\"items\":[\"tea\",\"scones\"]}");
        assertThat(orders.decode(bytes)).isEqualTo(o);
        assertThat(orders.name()).isEqualTo("json:io.tributary.client.SchemaTest$Order");

        Schema<Customer> customers = Schema.JSON(Customer.class);
        Customer c = new Customer();
        c.setName("Ada");
        c.setVisits(3);
        Customer back = customers.decode(customers.encode(c));
        assertThat(back.getName()).isEqualTo("Ada");
        assertThat(back.getVisits()).isEqualTo(3);
    }

    @Test
    void jsonIgnoresFieldsANewerProducerAdded() {
        byte[] newer = "{\"id\":\"o-2\",\"cents\":5,\"items\":[],\"coupon\":\"SPRING\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(Schema.JSON(Order.class).decode(newer)).isEqualTo(new Order("o-2", 5, List.of()));
    }

    @Test
    void malformedJsonIsAClearError() {
        Schema<Order> orders = Schema.JSON(Order.class);
        for (String bad : new String[] {"{\"id\":", "not json", "", "{\"id\":\"a\"} trailing", "[1,2]",
                "{\"cents\":\"many\"}"}) {
            assertThatThrownBy(() -> orders.decode(bad.getBytes(StandardCharsets.UTF_8))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a JSON io.tributary.client.SchemaTest$Order");
        }
    }

    @Test
    void jsonWithAMapperOfYourOwn() {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Schema<Order> orders = Schema.JSON(Order.class, mapper);
        assertThat(new String(orders.encode(new Order("x", 1, List.of())), StandardCharsets.UTF_8)).contains("\n");
        assertThat(orders.name()).isEqualTo(Schema.JSON(Order.class).name());
        assertThatThrownBy(() -> Schema.JSON(Order.class, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Schema.JSON(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void protobufRoundTripsUnderTheMessageName() {
        // any generated message will do: the protocol's own
        Schema<io.tributary.api.v1.MessageId> ids = Schema.PROTOBUF(io.tributary.api.v1.MessageId.class);
        io.tributary.api.v1.MessageId id = io.tributary.api.v1.MessageId.newBuilder().setLedgerId(7).setEntryId(3)
                .setBatchIndex(2).setBatchSize(5).build();
        assertThat(ids.decode(ids.encode(id))).isEqualTo(id);
        assertThat(ids.name()).isEqualTo("protobuf:tributary.v1.MessageId");
        assertThatThrownBy(() -> ids.decode(new byte[] {0x0a, (byte) 0xff}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a protobuf tributary.v1.MessageId");
    }

    @Test
    void protobufNeedsAGeneratedMessageClass() {
        assertThatThrownBy(() -> Schema.PROTOBUF(com.google.protobuf.Message.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a generated protobuf message class");
        assertThatThrownBy(() -> Schema.PROTOBUF(DynamicMessage.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("getDefaultInstance");
        assertThatThrownBy(() -> Schema.PROTOBUF(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aReaderAcceptsItsOwnNameAndUndeclaredBytes_bytesReadsEverything() {
        Schema<Order> orders = Schema.JSON(Order.class);
        assertThat(Schemas.canRead(orders, orders.name())).isTrue();
        assertThat(Schemas.canRead(orders, "bytes")).as("a producer that declared no format").isTrue();
        assertThat(Schemas.canRead(orders, "")).as("a client that wrote no schema name").isTrue();
        assertThat(Schemas.canRead(orders, "string")).isFalse();
        assertThat(Schemas.canRead(orders, "json:com.acme.Order")).isFalse();
        assertThat(Schemas.canRead(Schema.STRING, orders.name())).isFalse();
        assertThat(Schemas.canRead(Schema.PROTOBUF(io.tributary.api.v1.MessageId.class), orders.name())).isFalse();
        assertThat(Schemas.canRead(Schema.BYTES, orders.name())).isTrue();
        assertThat(Schemas.canRead(Schema.BYTES, "protobuf:x.Y")).isTrue();
    }
}
