package io.tributary.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.api.v1.ErrorReason;
import io.tributary.storage.log.ManagedLogException;
import java.util.concurrent.CompletionException;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.Test;

class StorageErrorsTest {

    @Test
    void storageFailuresMapToTheirReasonsThroughCompletionWrappers() {
        assertThat(StorageErrors.detailOf(new CompletionException(new ManagedLogException.FencedException("x"))).getReason())
                .isEqualTo(ErrorReason.TOPIC_FENCED);
        assertThat(StorageErrors.detailOf(new ManagedLogException.NotFoundException("x")).getReason())
                .isEqualTo(ErrorReason.TOPIC_NOT_FOUND);
        assertThat(StorageErrors.detailOf(new ManagedLogException.ClosedException("x")).getReason())
                .isEqualTo(ErrorReason.SERVICE_NOT_READY);
        assertThat(StorageErrors.detailOf(new ManagedLogException("x")).getReason())
                .isEqualTo(ErrorReason.STORAGE_ERROR);
        assertThat(StorageErrors.detailOf(KeeperException.create(KeeperException.Code.CONNECTIONLOSS)).getReason())
                .isEqualTo(ErrorReason.METADATA_ERROR);
    }
}
