package io.tributary.client.admin;

import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.admin.AdminBuilderImpl;
import java.util.concurrent.CompletableFuture;

/**
 * Administers a Tributary cluster through its gRPC proxy (or a broker): tenants, namespaces and
 * their policies, topics and partitions, subscriptions, stats. Thread-safe; one per process and
 * cluster is plenty, and it is independent of any {@link io.tributary.client.TributaryClient}.
 *
 * <pre>{@code
 * try (TributaryAdmin admin = TributaryAdmin.builder().serviceUrl("localhost:6650").build()) {
 *     admin.tenants().create("acme");
 *     admin.namespaces().create("acme/payments", 8);
 *     admin.namespaces().setPolicies("acme/payments",
 *             NamespacePolicies.builder().retentionTimeSeconds(3600).messageTtlSeconds(600).build());
 *     admin.topics().create("acme/payments/invoices", 4);
 *     TopicStats stats = admin.topics().getStats("acme/payments/invoices"); // summed over the 4 partitions
 * }
 * }</pre>
 *
 * <p>Every operation comes twice: a blocking method, and one ending in {@code Async} that returns
 * a {@link CompletableFuture} at once. Failures are {@link TributaryClientException}s with the
 * server's reason, as the nested subclasses name them ({@code TenantNotFoundException},
 * {@code NamespaceNotFoundException}, {@code TopicNotFoundException},
 * {@code SubscriptionNotFoundException}, {@code AlreadyExistsException}, {@code NotEmptyException},
 * {@code NotAllowedException}, …); the async variants fail their future with the same exceptions.
 * While a topic moves between brokers or a broker restarts, calls are retried until the operation
 * timeout; calls that are not idempotent (create, delete, skip) are retried only when the server
 * refused them before doing anything, so a retry never applies them twice.
 *
 * <p>A secured cluster takes a token and TLS as the client does:
 * {@link TributaryAdminBuilder#authentication} and {@link TributaryAdminBuilder#tls}.
 *
 * <p>A partitioned topic is handled as one topic: stats and info are summed over its partitions
 * (each partition's own are included), and subscription operations other than skip apply to the
 * subscription on every partition.
 */
public interface TributaryAdmin extends AutoCloseable {

    /** A builder with the defaults: {@code localhost:6650}, operation timeout 30 s. */
    static TributaryAdminBuilder builder() {
        return new AdminBuilderImpl();
    }

    /** Tenants: create, delete, list. */
    Tenants tenants();

    /** Namespaces and their policies. */
    Namespaces namespaces();

    /** Topics, partitions, info and stats. */
    Topics topics();

    /** Subscriptions of a topic: list, reset, skip, clear backlog, delete. */
    Subscriptions subscriptions();

    /** Closes the connection; calls in flight fail. Closing twice does nothing. */
    @Override
    void close();
}
