package io.tributary.chaos.fault;

/**
 * One planned fault.
 *
 * @param index position in the schedule, from 0
 * @param type what happens
 * @param target the server or relay name (e.g. {@code broker-2}, {@code broker-1-zk-3}); for bundle faults
 *               {@code "bundle"}, the bundle being chosen by {@code pick} among those that exist then
 * @param startMillis planned start, from the start of the load; the injector starts no earlier, and later if the
 *                    previous fault is still healing
 * @param durationMillis how long the fault lasts before it is healed (0: a one-off action)
 * @param delayMillis for link delays, the delay per chunk; else 0
 * @param pick a random number for choices made when the fault starts (which bundle)
 */
public record Fault(int index, FaultType type, String target, long startMillis, long durationMillis, long delayMillis, long pick) {
}
