package io.tributary.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.api.v1.ErrorReason;
import io.tributary.client.Schema;
import io.tributary.client.TributaryClient;
import io.tributary.client.TributaryClientException;
import io.tributary.client.TributaryClientException.AlreadyClosedException;
import io.tributary.client.TributaryClientException.InvalidTopicNameException;
import org.junit.jupiter.api.Test;

class ClientBuilderImplTest {

    @Test
    void serviceUrlForms() throws Exception {
        assertThat(ClientBuilderImpl.target("localhost:6650")).isEqualTo("localhost:6650");
        assertThat(ClientBuilderImpl.target("tributary://broker.example:6650")).isEqualTo("broker.example:6650");
        assertThat(ClientBuilderImpl.target("grpc://10.0.0.1:7000/")).isEqualTo("10.0.0.1:7000");
        assertThat(ClientBuilderImpl.target("GRPC://h:1")).isEqualTo("h:1");
        assertThat(ClientBuilderImpl.target(" [::1]:6650 ")).isEqualTo("[::1]:6650");
    }

    @Test
    void badServiceUrls() {
        for (String bad : new String[] {"", "localhost", "localhost:", ":6650", "host:port", "host:70000",
                "http://host:1/path", "tributary://"}) {
            assertThatThrownBy(() -> ClientBuilderImpl.target(bad)).as(bad)
                    .isInstanceOf(TributaryClientException.class)
                    .extracting(e -> ((TributaryClientException) e).reason())
                    .isEqualTo(ErrorReason.INVALID_REQUEST);
        }
    }

    @Test
    void invalidTopicNamesFailWithoutAServer() throws Exception {
        try (TributaryClient client = TributaryClient.builder().serviceUrl("localhost:1").build()) {
            assertThatThrownBy(() -> client.newProducer(Schema.STRING).topic("not a topic").create())
                    .isInstanceOf(InvalidTopicNameException.class);
            assertThatThrownBy(() -> client.newProducer(Schema.STRING).create())
                    .isInstanceOf(InvalidTopicNameException.class);
            assertThatThrownBy(() -> client.newConsumer(Schema.STRING).topic("a/b").subscriptionName("s").subscribe())
                    .isInstanceOf(InvalidTopicNameException.class);
            assertThatThrownBy(() -> client.newConsumer(Schema.STRING).topic("a/b/c").subscribe())
                    .isInstanceOf(TributaryClientException.class)
                    .extracting(e -> ((TributaryClientException) e).reason())
                    .isEqualTo(ErrorReason.INVALID_REQUEST);
        }
    }

    @Test
    void anUnreachableServiceTimesOutAfterRetrying() throws Exception {
        try (TributaryClient client = TributaryClient.builder().serviceUrl("localhost:1")
                .operationTimeout(java.time.Duration.ofMillis(400)).build()) {
            assertThatThrownBy(() -> client.newProducer().topic("a/b/c").create())
                    .isInstanceOf(TributaryClientException.TimeoutException.class)
                    .hasMessageContaining("BROKER_UNAVAILABLE");
            assertThatThrownBy(() -> client.newConsumer().topic("a/b/c").subscriptionName("s").subscribe())
                    .isInstanceOf(TributaryClientException.TimeoutException.class);
        }
    }

    @Test
    void aClosedClientMakesNothing() throws Exception {
        TributaryClient client = TributaryClient.builder().serviceUrl("localhost:1").build();
        client.close();
        assertThat(client.isClosed()).isTrue();
        assertThatThrownBy(() -> client.newProducer().topic("a/b/c").create()).isInstanceOf(AlreadyClosedException.class);
        assertThatThrownBy(() -> client.newConsumer().topic("a/b/c").subscriptionName("s").subscribe())
                .isInstanceOf(AlreadyClosedException.class);
        client.close();
    }
}
