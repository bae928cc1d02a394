package io.tributary.proxy;

import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.BeginTransactionRequest;
import io.tributary.api.v1.BeginTransactionResponse;
import io.tributary.api.v1.CheckTransactionsRequest;
import io.tributary.api.v1.CheckTransactionsResponse;
import io.tributary.api.v1.EndTransactionRequest;
import io.tributary.api.v1.EndTransactionResponse;
import io.tributary.api.v1.ForceEndTransactionRequest;
import io.tributary.api.v1.ForceEndTransactionResponse;
import io.tributary.api.v1.ListTransactionsRequest;
import io.tributary.api.v1.ListTransactionsResponse;
import io.tributary.api.v1.TransactionServiceGrpc;
import io.tributary.protocol.SystemTopics;
import io.tributary.protocol.TopicName;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * {@code TransactionService} as the proxy serves it: every call goes to the owner of the transaction log
 * ({@link SystemTopics#TRANSACTION_LOG}), where the coordinator runs. A check-back stream follows the log to its
 * new owner when it moves, as a Publish stream follows its topic: the producer's stream stays open.
 */
public final class TransactionProxyService extends TransactionServiceGrpc.TransactionServiceImplBase {
    static final TopicName LOG = TopicName.of(SystemTopics.TRANSACTION_LOG);

    private final OwnerLookup lookup;
    private final BrokerChannels channels;
    private final OwnerForwarder owners;
    private final ScheduledExecutorService scheduler;
    private final Duration resumeTimeout;

    public TransactionProxyService(OwnerLookup lookup, BrokerChannels channels, ScheduledExecutorService scheduler,
                                   Duration resumeTimeout) {
        this.lookup = lookup;
        this.channels = channels;
        this.owners = new OwnerForwarder(lookup, channels);
        this.scheduler = scheduler;
        this.resumeTimeout = resumeTimeout;
    }

    @Override
    public void beginTransaction(BeginTransactionRequest request, StreamObserver<BeginTransactionResponse> out) {
        owners.forward(LOG, TransactionServiceGrpc.getBeginTransactionMethod(), request, out);
    }

    @Override
    public void endTransaction(EndTransactionRequest request, StreamObserver<EndTransactionResponse> out) {
        owners.forward(LOG, TransactionServiceGrpc.getEndTransactionMethod(), request, out);
    }

    @Override
    public void listTransactions(ListTransactionsRequest request, StreamObserver<ListTransactionsResponse> out) {
        owners.forward(LOG, TransactionServiceGrpc.getListTransactionsMethod(), request, out);
    }

    @Override
    public void forceEndTransaction(ForceEndTransactionRequest request, StreamObserver<ForceEndTransactionResponse> out) {
        owners.forward(LOG, TransactionServiceGrpc.getForceEndTransactionMethod(), request, out);
    }

    @Override
    public StreamObserver<CheckTransactionsRequest> checkTransactions(StreamObserver<CheckTransactionsResponse> out) {
        return StreamForwarder.start(TransactionServiceGrpc.getCheckTransactionsMethod(), out,
                r -> r.hasOpen() ? SystemTopics.TRANSACTION_LOG : null, r -> false, new CheckResumption(), resumeTimeout,
                lookup, channels, scheduler);
    }

    /**
     * A check-back stream on a new owner: its open again. Answers sent while it was between owners go to the new
     * one (which ignores those of transactions it no longer asks about); checks are asked again by the new owner.
     */
    private static final class CheckResumption implements StreamResumption<CheckTransactionsRequest, CheckTransactionsResponse> {
        private CheckTransactionsRequest open;

        @Override
        public String kind() {
            return "transaction_check";
        }

        @Override
        public void opened(CheckTransactionsRequest request) {
            open = request;
        }

        @Override
        public void sent(CheckTransactionsRequest request) {
        }

        @Override
        public void queued(CheckTransactionsRequest request) {
        }

        @Override
        public CheckTransactionsResponse received(CheckTransactionsResponse response) {
            return response;
        }

        @Override
        public boolean resumable() {
            return open != null;
        }

        @Override
        public List<CheckTransactionsRequest> replay() {
            return List.of(open);
        }

        @Override
        public int repliesOwedAfterReplay() {
            return 0;
        }
    }
}
