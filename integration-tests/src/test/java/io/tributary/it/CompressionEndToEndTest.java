package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.InitialPosition;
import io.tributary.api.v1.MessagingServiceGrpc;
import io.tributary.api.v1.ReceiveRequest;
import io.tributary.cli.Standalone;
import io.tributary.cli.TributaryCli;
import io.tributary.client.CompressionType;
import io.tributary.client.Consumer;
import io.tributary.client.Message;
import io.tributary.client.Producer;
import io.tributary.client.Schema;
import io.tributary.client.SubscriptionInitialPosition;
import io.tributary.client.TributaryClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compressed batches through the proxy on real storage: every reader of entries (the SDK's
 * consumer, the broker's unary Receive, the CLI's consume command) reads every codec.
 */
class CompressionEndToEndTest {
    private static final int COUNT = 200;

    @TempDir
    static Path dir;
    static Standalone standalone;
    static TributaryClient client;
    static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        standalone = TestClusters.start(dir.toFile());
        client = TributaryClient.builder().serviceUrl(standalone.serviceUrl()).build();
        channel = NettyChannelBuilder.forTarget(standalone.serviceUrl()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        channel.shutdownNow();
        client.close();
        standalone.close();
    }

    private static String order(int i) {
        return "{\"orderId\":" + (1000 + i) + ",\"customer\":\"customer-" + (i % 17) + "\",\"status\":\"CREATED\","
                + "\"currency\":\"EUR\",\"items\":[{\"sku\":\"SKU-" + (i % 5) + "\",\"qty\":1}]}";
    }

    private static List<String> orders() {
        return IntStream.range(0, COUNT).mapToObj(CompressionEndToEndTest::order).toList();
    }

    private static String topic(CompressionType type) {
        return "public/default/compressed-" + type.name().toLowerCase(Locale.ROOT);
    }

    @Test
    void everyReaderOfEntriesReadsEveryCodec() throws Exception {
        Map<CompressionType, Long> bytesSent = new EnumMap<>(CompressionType.class);
        for (CompressionType type : CompressionType.values()) {
            try (Producer<String> producer = client.newProducer(Schema.STRING).topic(topic(type))
                    .compressionType(type).create()) {
                for (String o : orders()) {
                    producer.sendAsync(o);
                }
                producer.flush();
                bytesSent.put(type, producer.getStats().getBytesSent());
            }
        }
        for (CompressionType type : CompressionType.values()) {
            String topic = topic(type);
            assertThat(sdkConsumer(topic)).as("SDK consumer, %s", type).isEqualTo(orders());
            assertThat(unaryReceive(topic)).as("unary Receive, %s", type).isEqualTo(orders());
            assertThat(cliConsume(topic)).as("tributary consume, %s", type).isEqualTo(orders());
        }
        for (CompressionType type : List.of(CompressionType.LZ4, CompressionType.ZSTD, CompressionType.SNAPPY)) {
            assertThat(bytesSent.get(type)).as("bytes sent with %s", type).isLessThan(bytesSent.get(CompressionType.NONE) / 2);
        }
        System.out.println("bytes sent for " + COUNT + " orders: " + bytesSent);
    }

    private static List<String> sdkConsumer(String topic) throws Exception {
        List<String> got = new ArrayList<>();
        try (Consumer<String> consumer = client.newConsumer(Schema.STRING).topic(topic).subscriptionName("sdk")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            while (got.size() < COUNT) {
                Message<String> m = consumer.receive(30, TimeUnit.SECONDS);
                assertThat(m).as("message %d of %s", got.size(), topic).isNotNull();
                got.add(m.getValue());
                consumer.acknowledge(m);
            }
        }
        return got;
    }

    private static List<String> unaryReceive(String topic) {
        MessagingServiceGrpc.MessagingServiceBlockingStub messaging = MessagingServiceGrpc.newBlockingStub(channel);
        List<String> got = new ArrayList<>();
        while (got.size() < COUNT) {
            int before = got.size();
            messaging.receive(ReceiveRequest.newBuilder().setTopic(topic).setSubscription("unary")
                            .setInitialPosition(InitialPosition.EARLIEST).setMaxMessages(COUNT).setMaxWaitMs(5_000).build())
                    .getMessagesList().forEach(m -> got.add(m.getValue().toStringUtf8()));
            assertThat(got.size()).as("unary Receive of %s made progress", topic).isGreaterThan(before);
        }
        return got;
    }

    private static List<String> cliConsume(String topic) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = TributaryCli.commandLine().execute("consume", topic, "-s", "cli", "-n", String.valueOf(COUNT),
                    "-w", "30", "-u", standalone.serviceUrl());
        } finally {
            System.setOut(saved);
        }
        assertThat(code).isZero();
        return buf.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
