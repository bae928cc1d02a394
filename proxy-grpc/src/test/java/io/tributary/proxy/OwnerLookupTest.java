package io.tributary.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.protocol.TopicName;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OwnerLookupTest {
    private FakeBroker broker;
    private BrokerChannels channels;
    private final AtomicLong clock = new AtomicLong();
    private OwnerLookup lookup;

    @BeforeEach
    void setUp() throws Exception {
        broker = new FakeBroker("A");
        channels = new BrokerChannels(1024 * 1024);
        lookup = new OwnerLookup(new KnownBrokers(() -> List.of(broker.address), channels), Duration.ofSeconds(60),
                clock::get);
    }

    @AfterEach
    void tearDown() throws Exception {
        channels.close();
        broker.close();
    }

    private String owner(String topic) throws Exception {
        return lookup.ownerOf(TopicName.of(topic)).get(20, TimeUnit.SECONDS);
    }

    @Test
    void ownersAreCachedUntilTheTtlPasses() throws Exception {
        AtomicReference<String> owner = new AtomicReference<>("h1:1");
        broker.owners = t -> owner.get();
        assertThat(owner("t/n/a")).isEqualTo("h1:1");
        owner.set("h2:1");
        assertThat(owner("persistent://t/n/a")).isEqualTo("h1:1"); // same topic, cached
        assertThat(broker.lookups).hasValue(1);

        clock.addAndGet(Duration.ofSeconds(61).toNanos());
        assertThat(owner("t/n/a")).isEqualTo("h2:1");
        assertThat(broker.lookups).hasValue(2);
    }

    @Test
    void invalidateForgetsTheOwner() throws Exception {
        assertThat(owner("t/n/a")).isEqualTo(broker.address);
        lookup.invalidate(TopicName.of("t/n/a"), "someone-else:1"); // not the cached owner: kept
        assertThat(owner("t/n/a")).isEqualTo(broker.address);
        assertThat(broker.lookups).hasValue(1);
        lookup.invalidate(TopicName.of("t/n/a"));
        assertThat(owner("t/n/a")).isEqualTo(broker.address);
        assertThat(broker.lookups).hasValue(2);
    }

    @Test
    void concurrentLookupsShareOneCall() throws Exception {
        List<CompletableFuture<String>> futures = List.of(
                lookup.ownerOf(TopicName.of("t/n/c")), lookup.ownerOf(TopicName.of("t/n/c")),
                lookup.ownerOf(TopicName.of("t/n/c")));
        for (CompletableFuture<String> f : futures) {
            assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo(broker.address);
        }
        assertThat(broker.lookups).hasValue(1);
    }

    @Test
    void zeroTtlCachesNothing() throws Exception {
        lookup = new OwnerLookup(new KnownBrokers(() -> List.of(broker.address), channels), Duration.ZERO, clock::get);
        owner("t/n/z");
        owner("t/n/z");
        assertThat(broker.lookups).hasValue(2);
    }

    @Test
    void aLookupRefusedToOneClientIsNotTheAnswerForAnotherWaitingOnIt() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        broker.lookupErrors = t -> {
            // the role the proxy forwarded for this lookup (recorded just before the handler ran)
            String role = broker.identities.get(broker.identities.size() - 1).originalRole();
            if ("alice".equals(role)) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return io.grpc.Status.PERMISSION_DENIED.withDescription("role 'alice' may not look up " + t).asRuntimeException();
            }
            return null;
        };
        TopicName topic = TopicName.of("t/n/shared");
        CompletableFuture<String> alice = asRole("alice", () -> lookup.ownerOf(topic));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> broker.lookups.get() == 1);
        CompletableFuture<String> bob = asRole("bob", () -> lookup.ownerOf(topic)); // joins alice's lookup in flight
        release.countDown();

        assertThat(alice).failsWithin(Duration.ofSeconds(20)).withThrowableThat().withMessageContaining("alice");
        assertThat(bob.get(20, TimeUnit.SECONDS)).isEqualTo(broker.address);
        assertThat(broker.identities).extracting(FakeBroker.CallIdentity::originalRole).containsExactly("alice", "bob");
        // and bob's answer serves everyone from the cache
        assertThat(asRole("alice", () -> lookup.ownerOf(topic)).get(20, TimeUnit.SECONDS)).isEqualTo(broker.address);
        assertThat(broker.lookups).hasValue(2);
    }

    private static <T> T asRole(String role, java.util.function.Supplier<T> call) {
        io.grpc.Context ctx = io.grpc.Context.current().withValue(io.tributary.security.auth.AuthContext.PRINCIPAL,
                io.tributary.security.auth.Principal.of(role));
        io.grpc.Context previous = ctx.attach();
        try {
            return call.get();
        } finally {
            ctx.detach(previous);
        }
    }
}
