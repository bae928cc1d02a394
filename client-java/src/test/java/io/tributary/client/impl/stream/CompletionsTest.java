package io.tributary.client.impl.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

class CompletionsTest {
    private final ReentrantLock lock = new ReentrantLock();
    private final List<String> ran = new ArrayList<>();

    private void act(boolean returnEarly) {
        Completions.underLock(lock, done -> {
            done.add(() -> ran.add(lock.isHeldByCurrentThread() ? "under the lock" : "after the lock"));
            if (returnEarly) {
                return;
            }
            done.add(() -> ran.add("second"));
        });
    }

    @Test
    void whatTheActionCompletedRunsOnceTheLockIsReleased() {
        act(false);
        assertThat(ran).containsExactly("after the lock", "second");
        assertThat(lock.isLocked()).isFalse();
    }

    @Test
    void whatTheActionCompletedRunsEvenWhenItReturnsEarly() {
        act(true);
        assertThat(ran).containsExactly("after the lock");
    }

    @Test
    void aFailingCallbackDoesNotStopTheOthers() {
        Completions.underLock(lock, done -> {
            done.add(() -> {
                throw new IllegalStateException("an application callback failed");
            });
            done.add(() -> ran.add("next"));
        });
        assertThat(ran).containsExactly("next");
    }
}
