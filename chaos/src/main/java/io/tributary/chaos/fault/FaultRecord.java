package io.tributary.chaos.fault;

/**
 * What happened when a fault ran.
 *
 * @param fault the planned fault
 * @param target what it hit (for bundle faults the bundle chosen, for drains the broker id too)
 * @param startMillis when it was injected, from the start of the load
 * @param endMillis when it was healed
 * @param recoveryMillis from the heal until publishing through the proxies worked again on every probe topic;
 *                       -1 if it did not within the wait
 * @param unavailableMillis how long, between injection and recovery, publishing failed on some probe topic
 * @param slowestRoundMillis between injection and recovery, the longest one round of probe sends (one per topic) took
 * @param error why injecting or healing failed, else null
 */
public record FaultRecord(Fault fault, String target, long startMillis, long endMillis, long recoveryMillis,
        long unavailableMillis, long slowestRoundMillis, String error) {
}
