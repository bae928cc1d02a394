package io.tributary.client.impl.transaction;

import io.tributary.api.v1.EndTransactionRequest;
import io.tributary.api.v1.EndTransactionResponse;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.api.v1.SendResult;
import io.tributary.api.v1.TransactionResolution;
import io.tributary.client.MessageId;
import io.tributary.client.Transaction;
import io.tributary.client.TributaryClientException;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.Futures;
import io.tributary.client.impl.UnaryCalls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * A transaction of this client: its messages go to its coordinator through the service URL's {@code Send} with
 * the transaction id (retried with the same sequence ids, which the coordinator de-duplicates), and an end waits
 * for every send before it asks the coordinator to decide.
 */
public final class TransactionImpl implements Transaction {
    private final ClientContext client;
    private final String id;
    private final Duration timeout;
    private final String group;
    private final List<CompletableFuture<?>> sends = new ArrayList<>();
    private State state = State.OPEN;
    private CompletableFuture<Void> ending;

    TransactionImpl(ClientContext client, String id, Duration timeout, String group) {
        this.client = client;
        this.id = id;
        this.timeout = timeout;
        this.group = group;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Duration timeout() {
        return timeout;
    }

    @Override
    public synchronized State state() {
        return state;
    }

    /** Sends one message of a producer into the transaction; refused once an end began. */
    public CompletableFuture<MessageId> send(SendRequest.Builder request, String producerGroup) {
        SendRequest req = request.setTransactionId(id).setProducerGroup(producerGroup == null || producerGroup.isEmpty()
                ? group : producerGroup).build();
        CompletableFuture<MessageId> sent;
        synchronized (this) {
            if (state != State.OPEN) {
                return Futures.failed(new TributaryClientException.TransactionEndedException("transaction " + id
                        + " is " + state.name().toLowerCase() + ": it takes no more messages"));
            }
            sent = UnaryCalls.withRetries("sending a message in transaction " + id, left -> {
                CompletableFuture<SendResponse> f = new CompletableFuture<>();
                client.stub().withDeadlineAfter(left, TimeUnit.NANOSECONDS).send(req, UnaryCalls.into(f));
                return f;
            }, UnaryCalls::retriable, client.operationTimeout(), client.scheduler()).thenApply(r -> {
                for (SendResult result : r.getResultsList()) {
                    if (result.hasError()) {
                        throw new CompletionException(TributaryClientException.of(result.getError()));
                    }
                }
                return MessageId.earliest;
            });
            sends.add(sent);
        }
        return sent;
    }

    @Override
    public void commit() throws TributaryClientException {
        Futures.await(commitAsync());
    }

    @Override
    public void abort() throws TributaryClientException {
        Futures.await(abortAsync());
    }

    @Override
    public CompletableFuture<Void> commitAsync() {
        return end(TransactionResolution.TRANSACTION_RESOLUTION_COMMIT);
    }

    @Override
    public CompletableFuture<Void> abortAsync() {
        return end(TransactionResolution.TRANSACTION_RESOLUTION_ROLLBACK);
    }

    private CompletableFuture<Void> end(TransactionResolution resolution) {
        boolean commit = resolution == TransactionResolution.TRANSACTION_RESOLUTION_COMMIT;
        CompletableFuture<?>[] pending;
        synchronized (this) {
            if (state == State.COMMITTED || state == State.ABORTED) {
                // ended: the same end again is done, the other refused
                return (state == State.COMMITTED) == commit ? CompletableFuture.completedFuture(null) : refused(commit);
            }
            if (ending != null) {
                // ending: the same end waits for it, the other is refused
                return (state == State.COMMITTING) == commit ? ending : refused(commit);
            }
            state = commit ? State.COMMITTING : State.ABORTING;
            pending = sends.toArray(CompletableFuture[]::new);
            ending = new CompletableFuture<>();
        }
        CompletableFuture<Void> result = ending;
        // every send settled (stored or failed): a commit with a failed send rolls back instead
        CompletableFuture.allOf(pending).handle((v, sendError) -> sendError).thenCompose(sendError -> {
            TransactionResolution decided = commit && sendError != null ? TransactionResolution.TRANSACTION_RESOLUTION_ROLLBACK
                    : resolution;
            return call(decided).thenApply(r -> {
                if (decided != resolution) {
                    TributaryClientException cause = TributaryClientException.from(sendError);
                    throw new CompletionException(new TributaryClientException.TransactionEndedException(
                            cause.detail().toBuilder().setMessage("transaction " + id + " was rolled back: a message of it"
                                    + " failed to send (" + cause.getMessage() + ")")
                                    .setReason(io.tributary.api.v1.ErrorReason.TRANSACTION_ENDED).build(), cause));
                }
                return r;
            });
        }).whenComplete((r, e) -> {
            TributaryClientException error = e == null ? null : TributaryClientException.from(e);
            synchronized (this) {
                if (error == null) {
                    state = r.getState() == io.tributary.api.v1.TransactionState.TRANSACTION_STATE_COMMITTED
                            ? State.COMMITTED : State.ABORTED;
                } else if (error.reason() == io.tributary.api.v1.ErrorReason.TRANSACTION_ENDED) {
                    // decided the other way: by a check-back, the timeout, an administrator, or a failed send
                    state = commit ? State.ABORTED : State.COMMITTED;
                } else {
                    // the outcome is not known (time ran out, say): the same end may be asked again
                    ending = null;
                }
            }
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(null);
            }
        });
        return result;
    }

    private CompletableFuture<Void> refused(boolean commit) {
        return Futures.failed(new TributaryClientException.TransactionEndedException("transaction " + id + " is "
                + state.name().toLowerCase() + "; it cannot be " + (commit ? "committed" : "rolled back")));
    }

    private CompletableFuture<EndTransactionResponse> call(TransactionResolution resolution) {
        EndTransactionRequest req = EndTransactionRequest.newBuilder().setTransactionId(id).setResolution(resolution).build();
        return UnaryCalls.withRetries("ending transaction " + id, left -> {
            CompletableFuture<EndTransactionResponse> f = new CompletableFuture<>();
            client.transactionStub().withDeadlineAfter(left, TimeUnit.NANOSECONDS).endTransaction(req, UnaryCalls.into(f));
            return f;
        }, UnaryCalls::retriable, client.operationTimeout(), client.scheduler());
    }

    @Override
    public String toString() {
        return "Transaction{" + id + ", " + state() + "}";
    }
}
