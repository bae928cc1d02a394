package io.tributary.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tributary.cli.Standalone;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code admin --output json|yaml|table}: scripts parse JSON (the API's protobuf JSON mapping, lists as
 * arrays, actions as small objects, refusals as an error object on stderr), YAML is the same tree, and
 * people get tables. The new policy flags and {@code --clear} round-trip through {@code policies}.
 */
class AdminOutputTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @TempDir
    static Path dir;

    static Standalone standalone;

    @BeforeAll
    static void start() throws Exception {
        standalone = new Standalone(TestClusters.options(dir.resolve("data").toFile(), c -> c)).start();
    }

    @AfterAll
    static void stop() {
        if (standalone != null) {
            standalone.close();
        }
    }

    private static CliRun admin(String... args) {
        return CliRun.admin(standalone.serviceUrl(), args);
    }

    private static JsonNode json(String... args) throws Exception {
        CliRun r = admin(args);
        assertThat(r.code()).as("exit code; stderr: %s", r.err()).isZero();
        return JSON.readTree(r.out());
    }

    @Test
    void jsonIsParsedYamlIsTheSameTreeAndTablesAreForPeople() throws Exception {
        assertThat(json("tenants", "list", "-o", "json")).isNotEmpty().allSatisfy(t -> assertThat(t.isTextual()).isTrue());
        assertThat(json("namespaces", "create", "public/out", "-o", "json").get("created").asText()).isEqualTo("public/out");
        assertThat(json("namespaces", "list", "public", "-o", "json")).extracting(JsonNode::asText).contains("public/out");

        JsonNode set = json("namespaces", "set-policies", "public/out", "--max-producers-per-topic", "5",
                "--publish-rate-per-topic", "100,2000", "--auto-topic-creation", "partitioned", "--auto-topic-partitions", "2",
                "--persistence", "1,1,1", "--deduplication", "false", "--subscription-expiration", "3600", "--ttl", "60",
                "-o", "json");
        assertThat(set.get("maxProducersPerTopic").asInt()).isEqualTo(5);
        assertThat(set.get("publishRatePerTopic").get("messagesPerSecond").asText()).isEqualTo("100");
        assertThat(set.get("publishRatePerTopic").get("bytesPerSecond").asText()).isEqualTo("2000");
        assertThat(set.get("autoTopicCreation").get("type").asText()).isEqualTo("AUTO_TOPIC_CREATION_TYPE_PARTITIONED");
        assertThat(set.get("persistence").get("ackQuorum").asInt()).isEqualTo(1);
        assertThat(set.get("deduplicationEnabled").asBoolean()).isFalse();
        assertThat(set.get("subscriptionExpirationSeconds").asText()).isEqualTo("3600");

        JsonNode policies = json("namespaces", "policies", "public/out", "-o", "json");
        assertThat(policies).isEqualTo(set);
        CliRun yaml = admin("namespaces", "policies", "public/out", "-o", "yaml");
        assertThat(YAML.readTree(yaml.out())).as(yaml.out()).isEqualTo(policies);

        // cleared: the broker's default again, so the field is not set
        JsonNode cleared = json("namespaces", "set-policies", "public/out", "--clear", "max_producers_per_topic", "-o", "json");
        assertThat(cleared.has("maxProducersPerTopic")).isFalse();
        assertThat(cleared.get("messageTtlSeconds").asText()).isEqualTo("60");

        JsonNode brokers = json("brokers", "list", "-o", "json");
        assertThat(brokers).singleElement().satisfies(b -> assertThat(b.get("brokerId").asText()).isNotEmpty());
        assertThat(json("deadletters", "list", "--namespace", "public/out", "-o", "json")).isEmpty();
        assertThat(json("topics", "create", "public/out/t", "-o", "json").get("created").asText()).isEqualTo("public/out/t");
        assertThat(json("topics", "stats", "public/out/t", "-o", "json").has("subscriptions")).isTrue();

        // the dead-letter commands build their requests: a topic without dead letters is refused by the broker,
        // a malformed id by the CLI itself
        CliRun peek = admin("deadletters", "peek", "public/out/t", "-n", "5", "-o", "json");
        assertThat(peek.code()).isEqualTo(1);
        assertThat(JSON.readTree(peek.err()).get("error").get("message").asText()).contains("is not a dead-letter topic");
        CliRun redrive = admin("deadletters", "redrive", "public/out/t", "--message-id", "1:2:3", "--rate", "5", "-o", "json");
        assertThat(JSON.readTree(redrive.err()).get("error").get("reason").asText()).isEqualTo("SUBSCRIPTION_NOT_FOUND");
        CliRun badId = admin("deadletters", "purge", "public/out/t", "--message-id", "x:y");
        assertThat(badId.code()).isEqualTo(2);
        assertThat(badId.err()).contains("--message-id must be LEDGER:ENTRY[:INDEX], was x:y");

        // a refusal: exit 1 and an error object on stderr
        CliRun again = admin("namespaces", "create", "public/out", "-o", "json");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.out()).isEmpty();
        JsonNode error = JSON.readTree(again.err()).get("error");
        assertThat(error.get("reason").asText()).isEqualTo("NAMESPACE_ALREADY_EXISTS");
        assertThat(error.get("message").asText()).contains("public/out");

        // for people: columns with headers, and key: value lines
        CliRun table = admin("brokers", "list");
        assertThat(table.out()).startsWith("BROKER").contains(brokers.get(0).get("brokerId").asText());
        assertThat(admin("namespaces", "policies", "public/out").out()).contains("messageTtlSeconds:").contains("60");
        assertThat(admin("namespaces", "create", "public/out2").out().strip()).isEqualTo("created public/out2");
    }
}
