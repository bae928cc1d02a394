/**
 * The admin client: {@link io.tributary.client.admin.TributaryAdmin} manages tenants,
 * namespaces and their policies, topics and partitions, and subscriptions, and reads stats,
 * through the same gRPC endpoint as the messaging client. The value types here
 * ({@link io.tributary.client.admin.NamespacePolicies}, {@link io.tributary.client.admin.TopicStats}, …)
 * are immutable.
 */
package io.tributary.client.admin;
