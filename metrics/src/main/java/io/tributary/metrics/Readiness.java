package io.tributary.metrics;

/**
 * Whether a process serves: {@code /health/ready} answers 200 when {@link #notReadyBecause()} is
 * null and 503 with the reason otherwise (a Kubernetes readiness probe takes the pod out of its
 * service meanwhile). Called on the HTTP server's thread at each probe: keep it cheap.
 */
@FunctionalInterface
public interface Readiness {
    /** Always ready (a process with nothing to wait for). */
    Readiness ALWAYS = () -> null;

    /** Null when the process serves, else why not, for the operator ("not registered in ZooKeeper"). */
    String notReadyBecause();
}
