package io.tributary.broker.namespace;

import io.tributary.api.v1.AutoTopicCreationType;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.NamespacePolicies;
import io.tributary.api.v1.Persistence;
import io.tributary.broker.service.Errors;

/**
 * Checks the limit policies of a SetNamespacePolicies (fields 9-17) before anything is stored:
 * INVALID_REQUEST naming the field and its bounds for a negative count, a message size over the
 * broker's, an unknown auto topic creation type, partitions out of range, or quorums out of order.
 */
final class LimitPoliciesValidation {
    private LimitPoliciesValidation() {}

    static void validate(NamespacePolicies p, int brokerMaxMessageSize, int brokerMaxPartitions) {
        if (p.hasMaxProducersPerTopic()) {
            atLeastZero("max_producers_per_topic", p.getMaxProducersPerTopic());
        }
        if (p.hasMaxConsumersPerTopic()) {
            atLeastZero("max_consumers_per_topic", p.getMaxConsumersPerTopic());
        }
        if (p.hasMaxSubscriptionsPerTopic()) {
            atLeastZero("max_subscriptions_per_topic", p.getMaxSubscriptionsPerTopic());
        }
        if (p.hasMaxTopicsPerNamespace()) {
            atLeastZero("max_topics_per_namespace", p.getMaxTopicsPerNamespace());
        }
        if (p.hasMaxMessageSizeBytes()) {
            int size = p.getMaxMessageSizeBytes();
            if (size < 0 || size > brokerMaxMessageSize) {
                throw invalid("max_message_size_bytes must be in [0, " + brokerMaxMessageSize
                        + "] (0: the broker's; at most broker.maxMessageSize), was " + size);
            }
        }
        if (p.hasAutoTopicCreation()) {
            AutoTopicCreationType type = p.getAutoTopicCreation().getType();
            int partitions = p.getAutoTopicCreation().getPartitions();
            if (type == AutoTopicCreationType.UNRECOGNIZED || type == AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_UNSPECIFIED) {
                throw invalid("auto_topic_creation.type must be DISABLED, NON_PARTITIONED or PARTITIONED, was "
                        + p.getAutoTopicCreation().getTypeValue());
            }
            if (type == AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED
                    ? partitions < 1 || partitions > brokerMaxPartitions : partitions != 0) {
                throw invalid(type == AutoTopicCreationType.AUTO_TOPIC_CREATION_TYPE_PARTITIONED
                        ? "auto_topic_creation.partitions must be in [1, " + brokerMaxPartitions
                                + "] (broker.maxPartitions) for PARTITIONED, was " + partitions
                        : "auto_topic_creation.partitions is for PARTITIONED only, was " + partitions + " with " + type);
            }
        }
        if (p.hasSubscriptionExpirationSeconds()) {
            long s = p.getSubscriptionExpirationSeconds();
            // bounded so that the milliseconds do not overflow: 100 years
            if (s < 0 || s > 3_153_600_000L) {
                throw invalid("subscription_expiration_seconds must be in [0, 3153600000] (0: never), was " + s);
            }
        }
        if (p.hasPersistence()) {
            Persistence q = p.getPersistence();
            if (q.getAckQuorum() < 1 || q.getWriteQuorum() < q.getAckQuorum() || q.getEnsembleSize() < q.getWriteQuorum()
                    || q.getEnsembleSize() > 1000) {
                throw invalid("persistence must have 1000 >= ensemble_size >= write_quorum >= ack_quorum >= 1, was ensemble_size="
                        + q.getEnsembleSize() + ", write_quorum=" + q.getWriteQuorum() + ", ack_quorum=" + q.getAckQuorum());
            }
        }
    }

    private static void atLeastZero(String field, int value) {
        if (value < 0) {
            throw invalid(field + " must be >= 0 (0: no limit), was " + value);
        }
    }

    private static RuntimeException invalid(String message) {
        return Errors.error(ErrorReason.INVALID_REQUEST, message);
    }
}
