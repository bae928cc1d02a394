package io.tributary.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code admin --output} prints. JSON and YAML are for scripts and stay stable: an API response
 * is printed as its protobuf JSON mapping (the same bodies the REST admin API answers: lowerCamel
 * field names, every field even at its default, enums by name, 64-bit integers as strings), a list
 * of names as an array of strings, an action's outcome as a small object. YAML is the same tree.
 * Table is for people: a list of objects in aligned columns, one object as {@code key: value} lines.
 */
final class Output {
    /** The formats of {@code --output}. */
    enum Format { table, json, yaml }

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS));
    private static final JsonFormat.Printer PROTO = JsonFormat.printer().includingDefaultValueFields();

    private Output() {}

    /** The value as a JSON tree: a protobuf message by its JSON mapping, anything else as Jackson writes it. */
    static JsonNode tree(Object value) {
        if (value instanceof JsonNode n) {
            return n;
        }
        if (value instanceof MessageOrBuilder m) {
            try {
                return JSON.readTree(PROTO.print(m));
            } catch (InvalidProtocolBufferException | com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot print " + m.getDescriptorForType().getFullName() + " as JSON", e);
            }
        }
        return JSON.valueToTree(value);
    }

    /** Prints {@code value} in {@code format}; a table as {@link #table}. */
    static void print(Format format, Object value, PrintStream out) {
        JsonNode tree = tree(value);
        try {
            switch (format) {
                case json -> out.println(JSON.writeValueAsString(tree));
                case yaml -> out.print(YAML.writeValueAsString(tree));
                case table -> table(tree, out);
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A refusal on stderr: {@code error: REASON: message}, or in JSON or YAML an object with reason and message. */
    static void error(Format format, String reason, String message, PrintStream err) {
        if (format == Format.table) {
            err.println("error: " + reason + ": " + message);
            return;
        }
        ObjectNode o = JSON.createObjectNode().put("reason", reason).put("message", message);
        print(format, JSON.createObjectNode().set("error", o), err);
    }

    /**
     * A tree as text for people: an array of objects as aligned columns (nested values as compact
     * JSON), an array of scalars one per line, an object as {@code key: value} lines with its arrays
     * of objects as tables of their own under their name.
     */
    static void table(JsonNode tree, PrintStream out) {
        if (tree.isArray()) {
            rows(tree, out, "");
        } else if (tree.isObject()) {
            List<String> nested = new ArrayList<>();
            int width = 0;
            for (Iterator<String> it = tree.fieldNames(); it.hasNext(); ) {
                width = Math.max(width, it.next().length());
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getValue().isArray() && f.getValue().size() > 0 && f.getValue().get(0).isObject()) {
                    nested.add(f.getKey());
                    continue;
                }
                out.println(String.format("%-" + (width + 1) + "s %s", f.getKey() + ":", cell(f.getValue())));
            }
            for (String name : nested) {
                out.println();
                out.println(name + ":");
                rows(tree.get(name), out, "  ");
            }
        } else {
            out.println(cell(tree));
        }
    }

    private static void rows(JsonNode array, PrintStream out, String indent) {
        if (array.size() == 0) {
            out.println(indent + "(none)");
            return;
        }
        if (!array.get(0).isObject()) {
            array.forEach(v -> out.println(indent + cell(v)));
            return;
        }
        Set<String> columns = new LinkedHashSet<>();
        array.forEach(row -> row.fieldNames().forEachRemaining(columns::add));
        List<String> names = new ArrayList<>(columns);
        int[] widths = new int[names.size()];
        for (int c = 0; c < names.size(); c++) {
            widths[c] = names.get(c).length();
            for (JsonNode row : array) {
                widths[c] = Math.max(widths[c], cell(row.get(names.get(c))).length());
            }
        }
        StringBuilder header = new StringBuilder(indent);
        for (int c = 0; c < names.size(); c++) {
            header.append(String.format("%-" + (widths[c] + 2) + "s", names.get(c).toUpperCase(java.util.Locale.ROOT)));
        }
        out.println(header.toString().stripTrailing());
        for (JsonNode row : array) {
            StringBuilder line = new StringBuilder(indent);
            for (int c = 0; c < names.size(); c++) {
                line.append(String.format("%-" + (widths[c] + 2) + "s", cell(row.get(names.get(c)))));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static String cell(JsonNode v) {
        if (v == null || v.isNull()) {
            return "";
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }
}
