package io.tributary.client.impl.transaction;

import io.tributary.api.v1.BeginTransactionRequest;
import io.tributary.api.v1.BeginTransactionResponse;
import io.tributary.client.Transaction;
import io.tributary.client.TransactionBuilder;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.UnaryCalls;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Begins a transaction with the coordinator (through the service URL). */
public final class TransactionBuilderImpl implements TransactionBuilder {
    private final ClientContext client;
    private Duration timeout;
    private String group = "";
    private final Map<String, String> properties = new LinkedHashMap<>();

    public TransactionBuilderImpl(ClientContext client) {
        this.client = client;
    }

    @Override
    public TransactionBuilder timeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.toMillis() < 1000) {
            throw new IllegalArgumentException("a transaction's timeout is at least one second");
        }
        this.timeout = timeout;
        return this;
    }

    @Override
    public TransactionBuilder producerGroup(String group) {
        this.group = Objects.requireNonNull(group, "group");
        return this;
    }

    @Override
    public TransactionBuilder property(String name, String value) {
        properties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return this;
    }

    @Override
    public TransactionBuilder properties(Map<String, String> properties) {
        properties.forEach(this::property);
        return this;
    }

    @Override
    public Transaction build() throws TributaryClientException {
        return Futures.await(buildAsync());
    }

    @Override
    public CompletableFuture<Transaction> buildAsync() {
        if (client.isClosed()) {
            return Futures.failed(new TributaryClientException.AlreadyClosedException("the client is closed"));
        }
        BeginTransactionRequest req = BeginTransactionRequest.newBuilder()
                .setTimeoutMs(timeout == null ? 0 : timeout.toMillis()).setProducerGroup(group)
                .putAllProperties(properties).build();
        // a begin retried after a lost answer leaves an empty transaction open: it is rolled back at its timeout
        return UnaryCalls.withRetries("beginning a transaction", left -> {
            CompletableFuture<BeginTransactionResponse> f = new CompletableFuture<>();
            client.transactionStub().withDeadlineAfter(left, TimeUnit.NANOSECONDS).beginTransaction(req, UnaryCalls.into(f));
            return f;
        }, UnaryCalls::retriable, client.operationTimeout(), client.scheduler())
                .thenApply(r -> new TransactionImpl(client, r.getTransactionId(), Duration.ofMillis(r.getTimeoutMs()), group));
    }
}
