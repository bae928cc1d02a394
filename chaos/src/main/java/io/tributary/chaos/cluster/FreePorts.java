package io.tributary.chaos.cluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;

/**
 * Ports for processes a tool starts on one machine (the chaos cluster, tests' clusters). They come
 * from below the ephemeral range (32768 and up on Linux), from which every listener bound to port 0
 * draws: a port chosen here and bound a moment later cannot have been handed to such a listener
 * meanwhile. Two choosers can still pick the same port; they pick at random to make that rare.
 */
public final class FreePorts {
    private static final int LOWEST = 20_000;
    private static final int HIGHEST = 32_000;

    private FreePorts() {}

    public static int one() {
        return consecutive(1);
    }

    /** The first of {@code n} consecutive ports that are free now and none of {@code taken}. */
    public static int consecutive(int n, int... taken) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int first = LOWEST + ThreadLocalRandom.current().nextInt(HIGHEST - LOWEST - n);
            if (IntStream.of(taken).anyMatch(t -> t >= first && t < first + n)) {
                continue;
            }
            List<ServerSocket> held = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    held.add(new ServerSocket(first + i));
                }
                return first;
            } catch (IOException busy) {
                // one of them is in use: try another range
            } finally {
                for (ServerSocket s : held) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing a socket opened only to test the port
                    }
                }
            }
        }
        throw new IllegalStateException("no " + n + " consecutive free ports found");
    }
}
