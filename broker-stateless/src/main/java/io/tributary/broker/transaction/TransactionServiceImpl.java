package io.tributary.broker.transaction;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.BeginTransactionRequest;
import io.tributary.api.v1.BeginTransactionResponse;
import io.tributary.api.v1.CheckTransactionsRequest;
import io.tributary.api.v1.CheckTransactionsResponse;
import io.tributary.api.v1.EndTransactionRequest;
import io.tributary.api.v1.EndTransactionResponse;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.ForceEndTransactionRequest;
import io.tributary.api.v1.ForceEndTransactionResponse;
import io.tributary.api.v1.ListTransactionsRequest;
import io.tributary.api.v1.ListTransactionsResponse;
import io.tributary.api.v1.SendRequest;
import io.tributary.api.v1.SendResponse;
import io.tributary.api.v1.TransactionServiceGrpc;
import io.tributary.broker.service.Errors;
import io.tributary.broker.service.PlainMessages;
import io.tributary.broker.service.Replies;
import io.tributary.protocol.TributaryException;
import io.tributary.security.auth.AuthContext;
import io.tributary.security.auth.Principal;
import java.util.concurrent.CompletableFuture;

/**
 * {@code TransactionService} on the broker that owns the transaction log (others answer NOT_OWNER), and the
 * transactional {@code Send} the messaging service hands over.
 */
public final class TransactionServiceImpl extends TransactionServiceGrpc.TransactionServiceImplBase {
    private static final int MAX_GROUP_LENGTH = 256;
    private static final int DEFAULT_LIST_LIMIT = 1000;

    private final TransactionCoordinators coordinators;
    private final int maxEntrySize;
    private final int maxSendMessages;

    public TransactionServiceImpl(TransactionCoordinators coordinators, int maxEntrySize, int maxSendMessages) {
        this.coordinators = coordinators;
        this.maxEntrySize = maxEntrySize;
        this.maxSendMessages = maxSendMessages;
    }

    /** The caller's role; null without authentication. */
    private static String role() {
        Principal p = AuthContext.current();
        return p == null ? null : p.role();
    }

    private static void checkGroup(String group) {
        if (group.length() > MAX_GROUP_LENGTH) {
            throw new TributaryException(ErrorReason.INVALID_REQUEST, "a producer group name takes at most "
                    + MAX_GROUP_LENGTH + " characters, not " + group.length());
        }
    }

    @Override
    public void beginTransaction(BeginTransactionRequest req, StreamObserver<BeginTransactionResponse> out) {
        String role = role();
        Replies.reply(out, () -> {
            checkGroup(req.getProducerGroup());
            return coordinators.coordinator().thenCompose(c -> c.begin(req, role));
        });
    }

    @Override
    public void endTransaction(EndTransactionRequest req, StreamObserver<EndTransactionResponse> out) {
        String role = role();
        Replies.reply(out, () -> coordinators.coordinator()
                .thenCompose(c -> c.end(req.getTransactionId(), req.getResolution(), "its client", role)));
    }

    @Override
    public void listTransactions(ListTransactionsRequest req, StreamObserver<ListTransactionsResponse> out) {
        Replies.reply(out, () -> {
            if (req.getLimit() < 0) {
                throw new TributaryException(ErrorReason.INVALID_REQUEST, "limit must not be negative");
            }
            int limit = req.getLimit() == 0 ? DEFAULT_LIST_LIMIT : req.getLimit();
            return coordinators.coordinator().thenCompose(c -> c.list(limit));
        });
    }

    @Override
    public void forceEndTransaction(ForceEndTransactionRequest req, StreamObserver<ForceEndTransactionResponse> out) {
        Replies.reply(out, () -> coordinators.coordinator()
                .thenCompose(c -> c.end(req.getTransactionId(), req.getResolution(), "admin", null))
                .thenApply(r -> ForceEndTransactionResponse.newBuilder().setState(r.getState())
                        .setMessageCount(r.getMessageCount()).build()));
    }

    /** A Send with a transaction id: its messages join the transaction. */
    public CompletableFuture<SendResponse> send(SendRequest req) {
        String role = role();
        checkGroup(req.getProducerGroup());
        PlainMessages.checkCount(req.getMessagesCount(), maxSendMessages, "a Send");
        return coordinators.coordinator().thenCompose(c -> c.send(req, role, maxEntrySize, maxSendMessages));
    }

    @Override
    public StreamObserver<CheckTransactionsRequest> checkTransactions(StreamObserver<CheckTransactionsResponse> out) {
        ServerCallStreamObserver<CheckTransactionsResponse> call = (ServerCallStreamObserver<CheckTransactionsResponse>) out;
        String role = role();
        return new StreamObserver<>() {
            private CheckStreams.Stream stream;
            private CompletableFuture<TransactionCoordinator> coordinator;

            @Override
            public void onNext(CheckTransactionsRequest r) {
                if (stream == null) {
                    if (!r.hasOpen() || r.getOpen().getProducerGroup().isEmpty()) {
                        fail(new TributaryException(ErrorReason.INVALID_REQUEST,
                                "a CheckTransactions stream starts with an open naming its producer group"));
                        return;
                    }
                    try {
                        checkGroup(r.getOpen().getProducerGroup());
                    } catch (TributaryException e) {
                        fail(e);
                        return;
                    }
                    stream = new CheckStreams.Stream(r.getOpen().getProducerGroup(), role == null ? "" : role, call);
                    coordinator = coordinators.coordinator();
                    coordinator.whenComplete((c, e) -> {
                        if (e != null) {
                            fail(e);
                        } else if (!call.isCancelled()) {
                            coordinators.checks().add(stream);
                        }
                    });
                    return;
                }
                if (!r.hasAnswer()) {
                    fail(new TributaryException(ErrorReason.INVALID_REQUEST, "after its open, a CheckTransactions stream"
                            + " carries answers only"));
                    return;
                }
                coordinator.thenAccept(c -> c.answered(r.getAnswer().getTransactionId(), r.getAnswer().getResolution(), role));
            }

            private void fail(Throwable e) {
                if (stream != null) {
                    coordinators.checks().remove(stream);
                }
                try {
                    synchronized (stream == null ? this : stream) {
                        out.onError(Errors.toStatus(e));
                    }
                } catch (RuntimeException ignored) {
                    // the call ended already
                }
            }

            @Override
            public void onError(Throwable t) {
                if (stream != null) {
                    coordinators.checks().remove(stream);
                }
            }

            @Override
            public void onCompleted() {
                if (stream != null) {
                    coordinators.checks().remove(stream);
                }
                try {
                    synchronized (stream == null ? this : stream) {
                        out.onCompleted();
                    }
                } catch (RuntimeException ignored) {
                    // the call ended already
                }
            }
        };
    }
}
