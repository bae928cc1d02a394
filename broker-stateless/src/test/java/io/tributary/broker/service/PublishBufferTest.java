package io.tributary.broker.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PublishBufferTest {

    @Test
    void streamsStopReadingWhileTheBufferIsFullAndResumeOnceWhenItDrains() {
        PublishBuffer buffer = new PublishBuffer(1000);
        AtomicInteger resumedA = new AtomicInteger();
        AtomicInteger resumedB = new AtomicInteger();
        Runnable a = resumedA::incrementAndGet;
        Runnable b = resumedB::incrementAndGet;

        buffer.add(600);
        assertThat(buffer.roomOrWait(a)).as("room below the limit").isTrue();
        buffer.add(600);
        assertThat(buffer.roomOrWait(a)).as("full: stop reading").isFalse();
        assertThat(buffer.roomOrWait(a)).as("asking again waits once").isFalse();
        assertThat(buffer.roomOrWait(b)).isFalse();
        assertThat(buffer.peak()).isEqualTo(1200);

        buffer.release(100);
        assertThat(resumedA).as("still full").hasValue(0);
        buffer.release(600);
        assertThat(resumedA).hasValue(1);
        assertThat(resumedB).hasValue(1);
        assertThat(buffer.used()).isEqualTo(500);

        buffer.release(500);
        assertThat(resumedA).as("nobody waits any more").hasValue(1);
    }

    @Test
    void aStreamThatEndedIsNotResumed() {
        PublishBuffer buffer = new PublishBuffer(10);
        AtomicInteger resumed = new AtomicInteger();
        Runnable r = resumed::incrementAndGet;
        buffer.add(10);
        assertThat(buffer.roomOrWait(r)).isFalse();
        buffer.forget(r);
        buffer.release(10);
        assertThat(resumed).hasValue(0);
    }
}
