package io.tributary.cli.perf;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A run's summary as indented JSON (Jackson). A figure that is not a number (no latency measured:
 * NaN) is written as null, and a whole number without a fraction, so scripts read plain JSON.
 */
final class SummaryJson {
    /** {@code "key": value}, as the summaries were always written (scripts grep them). */
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .setDefaultPrettyPrinter(new DefaultPrettyPrinter().withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)))
            .registerModule(new SimpleModule().addSerializer(Double.class, new Figure()));

    private SummaryJson() {}

    static String write(Object summary) {
        try {
            return MAPPER.writeValueAsString(summary) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class Figure extends StdSerializer<Double> {
        Figure() {
            super(Double.class);
        }

        @Override
        public void serialize(Double d, JsonGenerator gen, SerializerProvider provider) throws IOException {
            if (d.isNaN() || d.isInfinite()) {
                gen.writeNull();
            } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                gen.writeNumber(d.longValue());
            } else {
                gen.writeNumber(d);
            }
        }
    }
}
