package io.tributary.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.api.v1.ForceEndTransactionRequest;
import io.tributary.api.v1.ForceEndTransactionResponse;
import io.tributary.api.v1.ListTransactionsRequest;
import io.tributary.api.v1.ListTransactionsResponse;
import io.tributary.api.v1.TransactionInfo;
import io.tributary.api.v1.TransactionResolution;
import io.tributary.api.v1.TransactionServiceGrpc;
import io.tributary.api.v1.TransactionServiceGrpc.TransactionServiceBlockingStub;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tributary admin transactions ...}: what the transaction coordinator holds (docs/transactions.md). */
@Command(name = "transactions", mixinStandardHelpOptions = true,
        description = "Lists transactions not finished; commits or rolls one back (a superuser).",
        subcommands = {TransactionCommands.ListOpen.class, TransactionCommands.Commit.class, TransactionCommands.Abort.class})
final class TransactionCommands {
    private TransactionCommands() {}

    /** A leaf command: calls on the transaction service of the cluster named by {@code admin --service-url}. */
    abstract static class Call implements Callable<Integer> {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        abstract void run(TransactionServiceBlockingStub transactions);

        @Override
        public Integer call() throws Exception {
            return AdminCommand.root(spec).callOn(channel -> run(TransactionServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(1, TimeUnit.MINUTES)));
        }

        boolean structured(Object value) {
            return AdminCommand.root(spec).structured(value);
        }

        void print(Object value) {
            Output.print(AdminCommand.root(spec).output, value, System.out);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Transactions open or being applied, oldest first: age, state, group, topics, messages, checks.")
    static final class ListOpen extends Call {
        @Option(names = "--limit", defaultValue = "1000", description = "At most this many (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        void run(TransactionServiceBlockingStub transactions) {
            ListTransactionsResponse r = transactions.listTransactions(ListTransactionsRequest.newBuilder().setLimit(limit).build());
            if (structured(r.getTransactionsList().stream().map(Output::tree).toList())) {
                return;
            }
            List<ObjectNode> rows = new ArrayList<>();
            for (TransactionInfo t : r.getTransactionsList()) {
                rows.add(Output.JSON.createObjectNode().put("id", t.getTransactionId())
                        .put("state", t.getState().name().replace("TRANSACTION_STATE_", "").toLowerCase())
                        .put("age", t.getAgeMs() / 1000 + " s").put("begun", Instant.ofEpochMilli(t.getBegunMs()).toString())
                        .put("group", t.getProducerGroup()).put("topics", String.join(",", t.getTopicsList()))
                        .put("messages", t.getMessageCount()).put("checks", t.getChecks())
                        .put("decided by", t.getDecidedBy()));
            }
            print(rows);
            if (r.getTotal() > r.getTransactionsCount()) {
                System.out.println("(" + r.getTotal() + " in all)");
            }
        }
    }

    /** Ends a transaction as its client would. */
    abstract static class End extends Call {
        @Parameters(paramLabel = "TRANSACTION_ID")
        String id;

        abstract TransactionResolution resolution();

        @Override
        void run(TransactionServiceBlockingStub transactions) {
            ForceEndTransactionResponse r = transactions.forceEndTransaction(ForceEndTransactionRequest.newBuilder()
                    .setTransactionId(id).setResolution(resolution()).build());
            if (!structured(r)) {
                System.out.println(id + " " + (resolution() == TransactionResolution.TRANSACTION_RESOLUTION_COMMIT
                        ? "committed" : "rolled back") + " (" + r.getMessageCount() + " messages)");
            }
        }
    }

    @Command(name = "commit", mixinStandardHelpOptions = true, description = "Commits an open transaction.")
    static final class Commit extends End {
        @Override
        TransactionResolution resolution() {
            return TransactionResolution.TRANSACTION_RESOLUTION_COMMIT;
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true, description = "Rolls an open transaction back.")
    static final class Abort extends End {
        @Override
        TransactionResolution resolution() {
            return TransactionResolution.TRANSACTION_RESOLUTION_ROLLBACK;
        }
    }
}
