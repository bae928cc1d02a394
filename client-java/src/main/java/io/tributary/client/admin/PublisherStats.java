package io.tributary.client.admin;

/**
 * A producer connected to a topic (of a partitioned topic: to one partition), since it connected.
 *
 * @param producerName     the producer's name, unique on the topic
 * @param msgRateIn        messages per second it published
 * @param bytesRateIn      bytes per second it published
 * @param msgInTotal       messages it published since it connected
 * @param bytesInTotal     bytes it published since it connected
 * @param connectedSinceMs when it connected (epoch milliseconds, the broker's clock)
 * @param throttledMsTotal time it was held back by publish rate limits since it connected, in milliseconds
 */
public record PublisherStats(String producerName, double msgRateIn, double bytesRateIn, long msgInTotal, long bytesInTotal,
                             long connectedSinceMs, long throttledMsTotal) {}
