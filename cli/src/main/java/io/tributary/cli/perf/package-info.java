/**
 * {@code tributary perf produce|consume}: throughput, latency and publish-pause benchmarks on the Java SDK.
 * Latencies are kept in HdrHistograms; a {@link io.tributary.cli.perf.PublishPauseTracker} measures the
 * longest time without acknowledgements while sends were outstanding (what a topic move costs a producer).
 */
package io.tributary.cli.perf;
