/**
 * The Tributary gRPC proxy: the public endpoint clients connect to.
 *
 * <p>{@link io.tributary.proxy.ProxyServer} serves {@code MessagingService}, {@code LookupService},
 * {@code AdminService} and the gRPC health service. It holds no state but a cache of topic owners
 * ({@link io.tributary.proxy.OwnerLookup}, filled through {@code LookupService.Lookup} on the configured
 * brokers) and one channel per broker ({@link io.tributary.proxy.BrokerChannels}). Publish and Subscribe
 * streams are piped to the owner with gRPC flow control end to end (at most one message held per direction);
 * Receive, Acknowledge and DeleteTopic go to the owner and are retried once on NOT_OWNER; other admin calls and
 * lookups go to any configured broker. Broker errors reach clients with their status and
 * {@code tributary.v1.errordetail-bin} trailer unchanged.
 */
package io.tributary.proxy;
