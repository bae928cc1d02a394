package io.tributary.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.SampleNameFilter;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Answers a scrape: the registry in the Prometheus text format, or OpenMetrics when {@code Accept}
 * asks for it; only the families named by {@code name[]} parameters when there are any; gzipped when
 * the scraper accepts it (Prometheus does). The text is written into an unsynchronized buffer and
 * encoded once: written through an {@code OutputStreamWriter}, as the Prometheus client's own server
 * does, the encoder's per-call cost was the largest part of a scrape (the text format writes label
 * values a character at a time).
 */
final class MetricsHandler implements HttpHandler {
    private final CollectorRegistry registry;
    /** The last body's length: the next buffer starts that large. */
    private volatile int lastLength = 16 * 1024;

    MetricsHandler(CollectorRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String contentType = TextFormat.chooseContentType(exchange.getRequestHeaders().getFirst("Accept"));
            List<String> names = names(exchange.getRequestURI().getRawQuery());
            TextBuffer text = new TextBuffer(lastLength + 1024);
            TextFormat.writeFormat(contentType, text, names.isEmpty() ? registry.metricFamilySamples()
                    : registry.filteredMetricFamilySamples(SampleNameFilter.restrictToNamesEqualTo(null, names)));
            lastLength = text.length();
            byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            if (acceptsGzip(exchange)) {
                exchange.getResponseHeaders().set("Content-Encoding", "gzip");
                body = gzip(body);
            }
            if ("HEAD".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The values of the {@code name[]} query parameters. */
    static List<String> names(String rawQuery) {
        List<String> names = new ArrayList<>();
        if (rawQuery == null) {
            return names;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8).equals("name[]")) {
                names.add(URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return names;
    }

    private static boolean acceptsGzip(HttpExchange exchange) {
        List<String> encodings = exchange.getRequestHeaders().get("Accept-Encoding");
        if (encodings == null) {
            return false;
        }
        for (String header : encodings) {
            for (String encoding : header.split(",")) {
                if (encoding.trim().toLowerCase(java.util.Locale.ROOT).startsWith("gzip")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Gzip at the fastest level: a scrape's text compresses well either way, and CPU is what a scrape costs. */
    private static byte[] gzip(byte[] body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 4 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        }) {
            gz.write(body);
        }
        return out.toByteArray();
    }

    /** A {@link Writer} into a {@link StringBuilder}, without the locking of {@code StringWriter}'s buffer. */
    private static final class TextBuffer extends Writer {
        private final StringBuilder text;

        TextBuffer(int capacity) {
            text = new StringBuilder(capacity);
        }

        @Override
        public void write(int c) {
            text.append((char) c);
        }

        @Override
        public void write(char[] chars, int offset, int length) {
            text.append(chars, offset, length);
        }

        @Override
        public void write(String s) {
            text.append(s);
        }

        @Override
        public void write(String s, int offset, int length) {
            text.append(s, offset, offset + length);
        }

        @Override
        public Writer append(CharSequence s) {
            text.append(s);
            return this;
        }

        int length() {
            return text.length();
        }

        @Override
        public String toString() {
            return text.toString();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
