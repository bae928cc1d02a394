package io.tributary.client.impl.transaction;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.tributary.api.v1.CheckTransactionsOpen;
import io.tributary.api.v1.CheckTransactionsRequest;
import io.tributary.api.v1.CheckTransactionsResponse;
import io.tributary.api.v1.TransactionCheckAnswer;
import io.tributary.api.v1.TransactionMessage;
import io.tributary.client.TransactionCheck;
import io.tributary.client.TransactionChecker;
import io.tributary.client.TransactionResolution;
import io.tributary.client.impl.ClientContext;
import io.tributary.client.impl.ClientResource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A producer's check-back stream: open while the producer is, for its producer group. Each check the coordinator
 * sends is answered by the application's {@link TransactionChecker} on a thread of this stream. The proxy keeps the
 * stream open when the coordinator moves; should it end anyway, it is opened again after a second.
 */
public final class TransactionCheckStream implements ClientResource {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionCheckStream.class);
    private static final long REOPEN_MS = 1000;

    private final ClientContext client;
    private final String group;
    private final TransactionChecker checker;
    private final ExecutorService checks;
    private ClientCallStreamObserver<CheckTransactionsRequest> call;
    private boolean closed;

    private TransactionCheckStream(ClientContext client, String group, TransactionChecker checker) {
        this.client = client;
        this.group = group;
        this.checker = checker;
        this.checks = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tributary-transaction-checker-" + group);
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens the stream of a producer group; null (and nothing open) once the client is closed. */
    public static TransactionCheckStream open(ClientContext client, String group, TransactionChecker checker) {
        TransactionCheckStream s = new TransactionCheckStream(client, group, checker);
        if (!client.register(s)) {
            s.checks.shutdown();
            return null;
        }
        s.connect();
        return s;
    }

    private synchronized void connect() {
        if (closed) {
            return;
        }
        client.transactionStub().checkTransactions(new ClientResponseObserver<CheckTransactionsRequest, CheckTransactionsResponse>() {
            private ClientCallStreamObserver<CheckTransactionsRequest> requests;

            @Override
            public void beforeStart(ClientCallStreamObserver<CheckTransactionsRequest> requestStream) {
                requests = requestStream;
                synchronized (TransactionCheckStream.this) {
                    call = requestStream;
                }
            }

            @Override
            public void onNext(CheckTransactionsResponse r) {
                checks.execute(() -> answer(requests, r));
            }

            @Override
            public void onError(Throwable t) {
                ended(requests, t);
            }

            @Override
            public void onCompleted() {
                ended(requests, null);
            }
        });
        send(call, CheckTransactionsRequest.newBuilder()
                .setOpen(CheckTransactionsOpen.newBuilder().setProducerGroup(group)).build());
    }

    private void answer(ClientCallStreamObserver<CheckTransactionsRequest> requests, CheckTransactionsResponse r) {
        io.tributary.api.v1.TransactionCheck c = r.getCheck();
        List<TransactionCheck.Message> messages = c.getMessagesList().stream().map(TransactionCheckStream::message).toList();
        TransactionCheck check = new TransactionCheck(c.getTransactionId(), c.getPropertiesMap(), c.getTopicsList(),
                c.getBegunMs(), c.getCheckNumber(), messages);
        TransactionResolution answer;
        try {
            answer = checker.check(check);
        } catch (RuntimeException e) {
            LOG.warn("the transaction checker of group {} failed on transaction {}: {}; answered unknown", group,
                    c.getTransactionId(), e.toString());
            answer = TransactionResolution.UNKNOWN;
        }
        io.tributary.api.v1.TransactionResolution wire = switch (answer == null ? TransactionResolution.UNKNOWN : answer) {
            case COMMIT -> io.tributary.api.v1.TransactionResolution.TRANSACTION_RESOLUTION_COMMIT;
            case ROLLBACK -> io.tributary.api.v1.TransactionResolution.TRANSACTION_RESOLUTION_ROLLBACK;
            case UNKNOWN -> io.tributary.api.v1.TransactionResolution.TRANSACTION_RESOLUTION_UNSPECIFIED;
        };
        send(requests, CheckTransactionsRequest.newBuilder().setAnswer(TransactionCheckAnswer.newBuilder()
                .setTransactionId(c.getTransactionId()).setResolution(wire)).build());
    }

    private static TransactionCheck.Message message(TransactionMessage m) {
        return new TransactionCheck.Message(m.getTopic(), m.getMessage().hasKey() ? m.getMessage().getKey() : null,
                m.getMessage().getPropertiesMap(), m.getMessage().getValue().toByteArray());
    }

    private void send(ClientCallStreamObserver<CheckTransactionsRequest> requests, CheckTransactionsRequest r) {
        synchronized (this) {
            if (closed || requests != call) {
                return;
            }
            try {
                requests.onNext(r);
            } catch (RuntimeException e) {
                LOG.debug("check-back stream of group {}: {}", group, e.toString());
            }
        }
    }

    private void ended(ClientCallStreamObserver<CheckTransactionsRequest> requests, Throwable t) {
        synchronized (this) {
            if (closed || requests != call) {
                return;
            }
            call = null;
        }
        LOG.info("check-back stream of group {} ended ({}); opening it again", group, t == null ? "completed" : t.toString());
        if (client.schedule(this::connect, REOPEN_MS, TimeUnit.MILLISECONDS) == null) {
            closeAsync();
        }
    }

    @Override
    public CompletableFuture<Void> closeAsync() {
        ClientCallStreamObserver<CheckTransactionsRequest> open;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.completedFuture(null);
            }
            closed = true;
            open = call;
            call = null;
        }
        if (open != null) {
            try {
                open.onCompleted();
            } catch (RuntimeException e) {
                // ended already
            }
        }
        checks.shutdownNow();
        client.unregister(this);
        return CompletableFuture.completedFuture(null);
    }
}
