package io.tributary.rest;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

/**
 * Builds a request message the way the route says: the JSON body (proto3 JSON mapping, unknown fields refused)
 * when the rule has {@code body: "*"}, else the query string ({@code field=value}, {@code a.b=value} into a
 * nested message, a repeated field by repeating the parameter); then the path's variables, which win over
 * the body.
 */
final class RequestBuilder {
    /** At most this many query parameters (and so repeated values) per request. */
    static final int MAX_QUERY_PARAMETERS = 100;

    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private RequestBuilder() {}

    static Message build(Route route, Map<String, String> pathValues, String rawQuery, byte[] body) throws RestError {
        Message.Builder b = route.requestPrototype().newBuilderForType();
        if (route.body()) {
            if (rawQuery != null && !rawQuery.isEmpty()) {
                throw RestError.invalid("query parameters are not taken by " + route.httpMethod() + " " + route.path()
                        + ": send the fields in the JSON body");
            }
            String json = new String(body, StandardCharsets.UTF_8).strip();
            if (!json.isEmpty()) {
                try {
                    PARSER.merge(json, b);
                } catch (InvalidProtocolBufferException | RuntimeException e) {
                    throw RestError.invalid("malformed JSON body for " + b.getDescriptorForType().getFullName() + ": "
                            + e.getMessage());
                }
            }
        } else {
            if (body.length > 0) {
                throw RestError.invalid(route.httpMethod() + " " + route.path() + " takes no body: send the fields as "
                        + "query parameters");
            }
            query(b, rawQuery, pathValues.keySet());
        }
        for (Map.Entry<String, String> e : pathValues.entrySet()) {
            FieldDescriptor f = b.getDescriptorForType().findFieldByName(e.getKey());
            b.clearField(f);
            set(b, f, e.getValue(), e.getKey());
        }
        return b.build();
    }

    private static void query(Message.Builder root, String rawQuery, Set<String> byPath) throws RestError {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return;
        }
        String[] pairs = rawQuery.split("&", MAX_QUERY_PARAMETERS + 1);
        if (pairs.length > MAX_QUERY_PARAMETERS) {
            throw RestError.invalid("more than " + MAX_QUERY_PARAMETERS + " query parameters");
        }
        for (String pair : pairs) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            Message.Builder b = root;
            String[] path = name.split("\\.", -1);
            FieldDescriptor f = null;
            for (int i = 0; i < path.length; i++) {
                f = field(b, path[i], name);
                if (i == 0) {
                    boundByPath(f, byPath, name);
                }
                if (i < path.length - 1) {
                    if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE || f.isRepeated()) {
                        throw RestError.invalid("query parameter '" + name + "': '" + path[i] + "' is not a message field");
                    }
                    b = b.getFieldBuilder(f);
                }
            }
            set(b, f, value, name);
        }
    }

    /** Refuses a query parameter for a field the path sets, or for another member of a oneof the path sets. */
    private static void boundByPath(FieldDescriptor f, Set<String> byPath, String parameter) throws RestError {
        for (String v : byPath) {
            FieldDescriptor p = f.getContainingType().findFieldByName(v);
            if (p.equals(f) || (f.getRealContainingOneof() != null && f.getRealContainingOneof().equals(p.getRealContainingOneof()))) {
                throw RestError.invalid("query parameter '" + parameter + "': the path already sets '" + v + "'"
                        + (p.equals(f) ? "" : " (one of " + f.getRealContainingOneof().getName() + ")"));
            }
        }
    }

    private static FieldDescriptor field(Message.Builder b, String name, String parameter) throws RestError {
        FieldDescriptor f = b.getDescriptorForType().findFieldByName(name);
        if (f == null) {
            for (FieldDescriptor c : b.getDescriptorForType().getFields()) {
                if (c.getJsonName().equals(name)) {
                    f = c;
                }
            }
        }
        if (f == null) {
            throw RestError.invalid("unknown query parameter '" + parameter + "': " + b.getDescriptorForType().getFullName()
                    + " has no field '" + name + "'");
        }
        return f;
    }

    private static String decode(String s) throws RestError {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw RestError.invalid("malformed query string: " + e.getMessage());
        }
    }

    /** Sets (or, repeated, adds) {@code text} parsed as the field's type. */
    private static void set(Message.Builder b, FieldDescriptor f, String text, String name) throws RestError {
        Object value;
        try {
            value = switch (f.getJavaType()) {
                case STRING -> text;
                case BOOLEAN -> bool(text);
                case INT -> Integer.valueOf(text);
                case LONG -> Long.valueOf(text);
                case FLOAT -> Float.valueOf(text);
                case DOUBLE -> Double.valueOf(text);
                case BYTE_STRING -> ByteString.copyFrom(Base64.getDecoder().decode(text));
                case ENUM -> enumValue(f, text);
                case MESSAGE -> throw new IllegalArgumentException("a message: set its fields as '" + name + ".<field>'");
            };
        } catch (IllegalArgumentException e) {
            throw RestError.invalid("bad value for '" + name + "' (" + f.getType().name().toLowerCase() + "): "
                    + e.getMessage());
        }
        if (f.isRepeated()) {
            b.addRepeatedField(f, value);
        } else {
            b.setField(f, value);
        }
    }

    private static Boolean bool(String text) {
        if (text.equals("true") || text.equals("false")) {
            return Boolean.valueOf(text);
        }
        throw new IllegalArgumentException("expected true or false");
    }

    private static EnumValueDescriptor enumValue(FieldDescriptor f, String text) {
        EnumValueDescriptor v = f.getEnumType().findValueByName(text);
        if (v == null) {
            throw new IllegalArgumentException("'" + text + "' is not one of " + f.getEnumType().getValues().stream()
                    .map(EnumValueDescriptor::getName).toList());
        }
        return v;
    }
}
