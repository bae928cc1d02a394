package io.tributary.storage.log;

/** One entry read from a managed log: its position and its bytes, as appended. */
public record LogEntry(Position position, byte[] data) {}
