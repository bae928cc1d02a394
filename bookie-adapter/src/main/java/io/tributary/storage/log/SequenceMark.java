package io.tributary.storage.log;

/**
 * The producer and the last sequence id of one appended entry. The log remembers the highest per
 * producer, keeps it in its metadata, and rebuilds it when it takes a log over, so deduplication
 * survives a change of owner.
 */
public record SequenceMark(String producerName, long lastSequenceId) {}
