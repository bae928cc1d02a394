package io.tributary.chaos.check;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tributary.api.v1.ListTransactionsRequest;
import io.tributary.api.v1.TransactionServiceGrpc;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Waits until the transaction coordinator holds no unfinished transaction (asked through a proxy). */
final class TransactionsFinished {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionsFinished.class);

    private TransactionsFinished() {}

    /** True once {@code ListTransactions} answers none; false if {@code deadlineMs} came first. */
    static boolean await(String serviceUrl, long deadlineMs) throws InterruptedException {
        String target = serviceUrl.replaceFirst("^(tributary|grpc)://", "");
        ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
        try {
            TransactionServiceGrpc.TransactionServiceBlockingStub stub = TransactionServiceGrpc.newBlockingStub(channel);
            int total = -1;
            while (System.currentTimeMillis() < deadlineMs) {
                try {
                    total = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                            .listTransactions(ListTransactionsRequest.getDefaultInstance()).getTotal();
                    if (total == 0) {
                        return true;
                    }
                } catch (RuntimeException e) {
                    LOG.info("listing transactions failed, asking again: {}", e.toString());
                }
                TimeUnit.SECONDS.sleep(1); // polls a condition, with a deadline
            }
            LOG.warn("the coordinator still held {} unfinished transactions at the audit's deadline", total);
            return false;
        } finally {
            channel.shutdownNow();
        }
    }
}
