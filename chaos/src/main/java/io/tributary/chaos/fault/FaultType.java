package io.tributary.chaos.fault;

/** The faults a chaos run injects. Each names what it does to which kind of target. */
public enum FaultType {
    /** SIGKILL a broker, restart it on the same port later. */
    BROKER_KILL("broker"),
    /** SIGKILL a bookie, restart it on the same port and data directory later. */
    BOOKIE_KILL("bookie"),
    /** SIGKILL a proxy, restart it later. */
    PROXY_KILL("proxy"),
    /** SIGKILL one ZooKeeper member, restart it on its data directory later. */
    ZOOKEEPER_KILL("zookeeper"),
    /** SIGSTOP a broker past its ZooKeeper session, then SIGCONT. */
    BROKER_PAUSE("broker"),
    /** SIGSTOP a bookie past its ZooKeeper session, then SIGCONT. */
    BOOKIE_PAUSE("bookie"),
    /** Blackhole every link of a broker to ZooKeeper past its session timeout: ZooKeeper expires the session. */
    BROKER_SESSION_EXPIRY("broker"),
    /** Blackhole one broker's link to one ZooKeeper member (target {@code broker-M-zk-K}): it must move to another. */
    BROKER_ZK_BLACKHOLE("relay"),
    /** Blackhole every broker's link to a bookie, which stays registered in ZooKeeper. */
    BOOKIE_BLACKHOLE("bookie"),
    /** Reset every proxy–broker (and broker–broker) connection of a broker. */
    BROKER_LINK_RESET("broker"),
    /** Slow every broker's link to a bookie. */
    BOOKIE_LINK_DELAY("bookie"),
    /** Move a bundle to another broker while load runs. */
    BUNDLE_UNLOAD("bundle"),
    /** Split a bundle while load runs. */
    BUNDLE_SPLIT("bundle"),
    /** Move every bundle off a broker while load runs; the broker is restarted to take bundles again. */
    BROKER_DRAIN("broker");

    private final String targetKind;

    FaultType(String targetKind) {
        this.targetKind = targetKind;
    }

    /** What {@link Fault#target()} names: a server kind, a relay, or a bundle picked when the fault starts. */
    public String targetKind() {
        return targetKind;
    }
}
