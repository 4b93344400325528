package dev.lifeline.internal.receiver;

/**
 * When a durable receiver checkpoints: once {@code messages} messages or {@code bytes} bytes
 * were written since the last checkpoint, or {@code nanos} after the first of them, whichever
 * comes first. Validated by the builder that makes it.
 */
public record Cadence(int messages, long bytes, long nanos) {}
