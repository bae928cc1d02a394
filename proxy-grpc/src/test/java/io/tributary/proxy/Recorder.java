package io.tributary.proxy;

import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.protocol.ErrorReasons;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** Records what a client call observes. */
class Recorder<T> implements StreamObserver<T> {
    final List<T> values = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final AtomicBoolean completed = new AtomicBoolean();

    @Override
    public void onNext(T value) {
        values.add(value);
    }

    @Override
    public void onError(Throwable t) {
        error.set(t);
    }

    @Override
    public void onCompleted() {
        completed.set(true);
    }

    StatusRuntimeException awaitError() {
        await().atMost(Duration.ofSeconds(20)).until(() -> error.get() != null || completed.get());
        Throwable t = error.get();
        if (!(t instanceof StatusRuntimeException)) {
            throw new AssertionError("expected a StatusRuntimeException, got " + t + " (completed=" + completed + ")");
        }
        return (StatusRuntimeException) t;
    }

    void awaitCompleted() {
        await().atMost(Duration.ofSeconds(30)).until(() -> error.get() != null || completed.get());
        if (error.get() != null) {
            throw new AssertionError("the call failed", error.get());
        }
    }

    void awaitValues(int n) {
        await().atMost(Duration.ofSeconds(30)).until(() -> values.size() >= n || error.get() != null);
        if (values.size() < n) {
            throw new AssertionError("the call failed after " + values.size() + " values", error.get());
        }
    }

    static ErrorDetail detailOf(StatusRuntimeException e) {
        return e.getTrailers() == null ? null : e.getTrailers().get(ErrorReasons.DETAIL_KEY);
    }

    static Status.Code codeOf(Throwable e) {
        return Status.fromThrowable(e).getCode();
    }
}
