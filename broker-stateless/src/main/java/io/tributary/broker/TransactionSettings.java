package io.tributary.broker;

import com.google.common.base.Preconditions;
import io.tributary.protocol.config.Settings;
import java.time.Duration;

/**
 * How the broker coordinates transactions (docs/transactions.md, "Settings").
 *
 * @param defaultTimeout   how long a transaction may stay open when its client names no timeout
 *                         ({@code broker.transactionTimeout})
 * @param maxTimeout       the longest timeout a client may ask for ({@code broker.transactionMaxTimeout})
 * @param checkInterval    the wait after a check-back answered unknown or unanswered, doubled after each up to
 *                         eight times this ({@code broker.transactionCheckInterval})
 * @param maxChecks        check-backs before the default outcome applies ({@code broker.transactionMaxChecks})
 * @param commitByDefault  the outcome after the last check: commit if true, else roll back
 *                         ({@code broker.transactionDefaultOutcome=commit|rollback})
 * @param maxOpen          open transactions a coordinator holds ({@code broker.maxOpenTransactions})
 * @param maxBytes         a transaction's messages in all, in bytes ({@code broker.transactionMaxBytes})
 * @param maxHeldBytes     the messages of all transactions not yet applied, in bytes, which the coordinator holds in
 *                         memory ({@code broker.transactionBufferBytes})
 */
public record TransactionSettings(Duration defaultTimeout, Duration maxTimeout, Duration checkInterval, int maxChecks,
                                  boolean commitByDefault, int maxOpen, long maxBytes, long maxHeldBytes) {

    public static final TransactionSettings DEFAULT = new TransactionSettings(Duration.ofSeconds(60), Duration.ofHours(1),
            Duration.ofSeconds(30), 15, false, 10_000, 4L * 1024 * 1024, 64L * 1024 * 1024);

    public TransactionSettings {
        Preconditions.checkArgument(defaultTimeout.toMillis() >= 1000, "broker.transactionTimeout must be at least 1s");
        Preconditions.checkArgument(maxTimeout.compareTo(defaultTimeout) >= 0,
                "broker.transactionMaxTimeout must be at least broker.transactionTimeout");
        Preconditions.checkArgument(checkInterval.toMillis() >= 100, "broker.transactionCheckInterval must be at least 100ms");
        Preconditions.checkArgument(maxChecks >= 1 && maxChecks <= 1000, "broker.transactionMaxChecks must be in [1, 1000]");
        Preconditions.checkArgument(maxOpen >= 1, "broker.maxOpenTransactions must be at least 1");
        Preconditions.checkArgument(maxBytes >= 1024, "broker.transactionMaxBytes must be at least 1024");
        Preconditions.checkArgument(maxHeldBytes >= maxBytes,
                "broker.transactionBufferBytes must be at least broker.transactionMaxBytes");
    }

    public static TransactionSettings from(Settings s) {
        String outcome = s.get("broker.transactionDefaultOutcome", "rollback").trim();
        Preconditions.checkArgument(outcome.equals("rollback") || outcome.equals("commit"),
                "broker.transactionDefaultOutcome must be rollback or commit, was %s", outcome);
        return new TransactionSettings(s.getDuration("broker.transactionTimeout", DEFAULT.defaultTimeout),
                s.getDuration("broker.transactionMaxTimeout", DEFAULT.maxTimeout),
                s.getDuration("broker.transactionCheckInterval", DEFAULT.checkInterval),
                s.getInt("broker.transactionMaxChecks", DEFAULT.maxChecks), outcome.equals("commit"),
                s.getInt("broker.maxOpenTransactions", DEFAULT.maxOpen),
                s.getLong("broker.transactionMaxBytes", DEFAULT.maxBytes),
                s.getLong("broker.transactionBufferBytes", DEFAULT.maxHeldBytes));
    }
}
