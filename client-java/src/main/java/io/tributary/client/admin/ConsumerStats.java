package io.tributary.client.admin;

/**
 * One consumer of a subscription, as the topic's owner sees it.
 *
 * @param consumerName    the consumer's name
 * @param permits         messages the broker may still send it
 * @param unackedMessages messages delivered to it and not acknowledged yet
 * @param msgRateOut      messages per second delivered to it
 * @param msgOutTotal     messages delivered to it since the topic was loaded on its broker
 * @param active          whether it receives messages (false for a standby of a Failover subscription)
 * @param priority        its priority level (Failover: lower first)
 */
public record ConsumerStats(String consumerName, int permits, long unackedMessages, double msgRateOut,
                            long msgOutTotal, boolean active, int priority) {}
