/**
 * The Tributary Java client: build a {@link io.tributary.client.TributaryClient}, then
 * producers and consumers from it. Everything outside this package ({@code impl}) is internal.
 */
package io.tributary.client;
