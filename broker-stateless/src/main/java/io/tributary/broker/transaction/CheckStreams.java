package io.tributary.broker.transaction;

import io.grpc.stub.ServerCallStreamObserver;
import io.tributary.api.v1.CheckTransactionsResponse;
import io.tributary.api.v1.ErrorReason;
import io.tributary.api.v1.TransactionCheck;
import io.tributary.protocol.TributaryException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The open check-back streams, by producer group: a check goes to one live producer of the transaction's group
 * (whose role began it, under authentication), taken in turn, so one that crashed is not asked again.
 */
final class CheckStreams {
    /** One producer's open stream. */
    record Stream(String group, String role, ServerCallStreamObserver<CheckTransactionsResponse> out) {}

    private final Map<String, List<Stream>> byGroup = new HashMap<>();
    private final AtomicLong turn = new AtomicLong();

    synchronized void add(Stream s) {
        byGroup.computeIfAbsent(s.group(), g -> new ArrayList<>()).add(s);
    }

    synchronized void remove(Stream s) {
        List<Stream> list = byGroup.get(s.group());
        if (list != null) {
            list.remove(s);
            if (list.isEmpty()) {
                byGroup.remove(s.group());
            }
        }
    }

    /** Sends the check to one stream of the group that may see it; false when there is none. */
    boolean ask(String group, String role, TransactionCheck check) {
        Stream chosen;
        synchronized (this) {
            List<Stream> candidates = byGroup.getOrDefault(group, List.of()).stream()
                    .filter(s -> role.isEmpty() || role.equals(s.role()))
                    .filter(s -> !s.out().isCancelled()).toList();
            if (candidates.isEmpty()) {
                return false;
            }
            chosen = candidates.get((int) (turn.getAndIncrement() % candidates.size()));
        }
        try {
            synchronized (chosen) {
                chosen.out().onNext(CheckTransactionsResponse.newBuilder().setCheck(check).build());
            }
            return true;
        } catch (RuntimeException e) {
            remove(chosen);
            return false;
        }
    }

    /** Ends every stream (the coordinator moved): each producer opens its stream again on the new owner. */
    void closeAll(ErrorReason reason, String message) {
        List<Stream> all;
        synchronized (this) {
            all = byGroup.values().stream().flatMap(List::stream).toList();
            byGroup.clear();
        }
        for (Stream s : all) {
            try {
                synchronized (s) {
                    s.out().onError(new TributaryException(reason, message).toStatus());
                }
            } catch (RuntimeException e) {
                // already ended
            }
        }
    }
}
