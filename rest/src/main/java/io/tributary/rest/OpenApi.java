package io.tributary.rest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import io.tributary.api.v1.ErrorReason;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The OpenAPI 3 document of a set of routes, from the same descriptors and HTTP rules {@link RestTranscoder}
 * serves: one operation per binding, path variables and query parameters, request and response schemas from
 * the messages (proto3 JSON mapping: lowerCamel names, enums as strings, 64-bit integers as strings), the error
 * body, and bearer authentication. Deterministic, so a checked-in copy can be compared with it.
 */
public final class OpenApi {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private OpenApi() {}

    /** The document, pretty-printed, ending with a newline. */
    public static String document(List<Route> routes) {
        ObjectNode root = JSON.createObjectNode();
        root.put("openapi", "3.0.3");
        ObjectNode info = root.putObject("info");
        info.put("title", "Tributary admin API");
        info.put("version", "v1");
        info.put("description", "The AdminService of tributary.v1 over HTTP/JSON, generated from the google.api.http "
                + "rules of protocol/src/main/proto/tributary/v1/admin.proto. Bodies use the proto3 JSON mapping. "
                + "A path variable shown as {topic} stands for tenant/namespace/topic and {namespace} for "
                + "tenant/namespace: their slashes are path separators. See docs/administration.md.");
        root.putArray("security").addObject().putArray("bearerAuth");
        ObjectNode paths = root.putObject("paths");
        Map<String, Descriptor> schemas = new TreeMap<>();
        Map<String, Integer> bindings = new HashMap<>();
        for (Route r : routes) {
            ObjectNode item = paths.has(r.path().openApiPath()) ? (ObjectNode) paths.get(r.path().openApiPath())
                    : paths.putObject(r.path().openApiPath());
            ObjectNode op = item.putObject(r.httpMethod().toLowerCase());
            int n = bindings.merge(r.proto().getName(), 1, Integer::sum);
            op.put("operationId", n == 1 ? r.proto().getName() : r.proto().getName() + "_" + n);
            op.put("summary", "tributary.v1.AdminService." + r.proto().getName());
            ArrayNode params = op.putArray("parameters");
            Descriptor in = r.proto().getInputType();
            for (String v : r.path().variables()) {
                ObjectNode p = params.addObject();
                p.put("name", v);
                p.put("in", "path");
                p.put("required", true);
                p.set("schema", JSON.createObjectNode().put("type", "string"));
            }
            if (r.body()) {
                ObjectNode body = op.putObject("requestBody");
                body.put("required", false);
                body.putObject("content").putObject("application/json").set("schema", ref(in, schemas));
            } else {
                for (FieldDescriptor f : in.getFields()) {
                    if (r.path().variables().contains(f.getName()) || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE
                            || inOneofBoundByPath(f, r)) {
                        continue;
                    }
                    ObjectNode p = params.addObject();
                    p.put("name", f.getJsonName());
                    p.put("in", "query");
                    p.put("required", false);
                    p.set("schema", fieldSchema(f, schemas));
                    if (f.isRepeated()) {
                        p.put("explode", true);
                    }
                }
            }
            if (params.isEmpty()) {
                op.remove("parameters");
            }
            ObjectNode responses = op.putObject("responses");
            ObjectNode ok = responses.putObject("200");
            ok.put("description", "OK");
            ok.putObject("content").putObject("application/json").set("schema", ref(r.proto().getOutputType(), schemas));
            ObjectNode error = responses.putObject("default");
            error.put("description", "An error: the HTTP status of the gRPC status, with its reason");
            error.putObject("content").putObject("application/json").set("schema",
                    JSON.createObjectNode().put("$ref", "#/components/schemas/Error"));
        }
        ObjectNode components = root.putObject("components");
        ObjectNode bearer = components.putObject("securitySchemes").putObject("bearerAuth");
        bearer.put("type", "http");
        bearer.put("scheme", "bearer");
        bearer.put("description", "The same token as the gRPC API takes (docs/security.md)");
        ObjectNode out = components.putObject("schemas");
        out.set("Error", errorSchema());
        Deque<Descriptor> todo = new ArrayDeque<>(schemas.values());
        Map<String, ObjectNode> written = new TreeMap<>();
        while (!todo.isEmpty()) {
            Descriptor d = todo.pop();
            if (written.containsKey(d.getFullName())) {
                continue;
            }
            Map<String, Descriptor> more = new TreeMap<>();
            written.put(d.getFullName(), messageSchema(d, more));
            more.values().stream().filter(m -> !written.containsKey(m.getFullName())).forEach(todo::push);
        }
        written.forEach(out::set);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether another member of {@code f}'s oneof is a path variable of {@code r}: the path chose it. */
    private static boolean inOneofBoundByPath(FieldDescriptor f, Route r) {
        return f.getRealContainingOneof() != null && r.path().variables().stream()
                .map(v -> f.getContainingType().findFieldByName(v))
                .anyMatch(p -> f.getRealContainingOneof().equals(p.getRealContainingOneof()));
    }

    private static ObjectNode ref(Descriptor d, Map<String, Descriptor> schemas) {
        schemas.put(d.getFullName(), d);
        return JSON.createObjectNode().put("$ref", "#/components/schemas/" + d.getFullName());
    }

    private static ObjectNode messageSchema(Descriptor d, Map<String, Descriptor> refs) {
        ObjectNode s = JSON.createObjectNode();
        s.put("type", "object");
        ObjectNode props = s.putObject("properties");
        for (FieldDescriptor f : d.getFields()) {
            ObjectNode p = fieldSchema(f, refs);
            if (f.getRealContainingOneof() != null) {
                p.put("description", "one of " + f.getRealContainingOneof().getName() + ": "
                        + f.getRealContainingOneof().getFields().stream().map(FieldDescriptor::getJsonName).toList());
            }
            props.set(f.getJsonName(), p);
        }
        s.put("additionalProperties", false);
        return s;
    }

    private static ObjectNode fieldSchema(FieldDescriptor f, Map<String, Descriptor> refs) {
        if (f.isMapField()) {
            ObjectNode s = JSON.createObjectNode().put("type", "object");
            s.set("additionalProperties", single(f.getMessageType().findFieldByName("value"), refs));
            return s;
        }
        ObjectNode one = single(f, refs);
        if (!f.isRepeated()) {
            return one;
        }
        ObjectNode s = JSON.createObjectNode().put("type", "array");
        s.set("items", one);
        return s;
    }

    private static ObjectNode single(FieldDescriptor f, Map<String, Descriptor> refs) {
        ObjectNode s = JSON.createObjectNode();
        switch (f.getType()) {
            case STRING -> s.put("type", "string");
            case BOOL -> s.put("type", "boolean");
            case INT32, SINT32, SFIXED32 -> s.put("type", "integer").put("format", "int32");
            case UINT32, FIXED32 -> s.put("type", "integer").put("format", "int64").put("minimum", 0);
            // the proto3 JSON mapping writes 64-bit integers as strings (it reads numbers too)
            case INT64, SINT64, SFIXED64, UINT64, FIXED64 -> s.put("type", "string").put("format", "int64");
            case FLOAT -> s.put("type", "number").put("format", "float");
            case DOUBLE -> s.put("type", "number").put("format", "double");
            case BYTES -> s.put("type", "string").put("format", "byte");
            case ENUM -> {
                s.put("type", "string");
                ArrayNode values = s.putArray("enum");
                EnumDescriptor e = f.getEnumType();
                e.getValues().stream().map(EnumValueDescriptor::getName).forEach(values::add);
            }
            case MESSAGE, GROUP -> {
                return wellKnown(f.getMessageType(), refs);
            }
        }
        return s;
    }

    private static ObjectNode wellKnown(Descriptor d, Map<String, Descriptor> refs) {
        return switch (d.getFullName()) {
            case "google.protobuf.Timestamp" -> JSON.createObjectNode().put("type", "string").put("format", "date-time");
            case "google.protobuf.Duration" -> JSON.createObjectNode().put("type", "string").put("example", "1.5s");
            default -> ref(d, refs);
        };
    }

    private static ObjectNode errorSchema() {
        ObjectNode s = JSON.createObjectNode();
        s.put("type", "object");
        s.putArray("required").add("code").add("status").add("message");
        ObjectNode p = s.putObject("properties");
        p.putObject("code").put("type", "integer").put("description", "the HTTP status");
        p.putObject("status").put("type", "string").put("description", "the gRPC status code, e.g. NOT_FOUND");
        ObjectNode reason = p.putObject("reason");
        reason.put("type", "string");
        reason.put("description", "the tributary.v1.ErrorReason; absent for an unknown path or a wrong method");
        ArrayNode values = reason.putArray("enum");
        for (ErrorReason r : ErrorReason.values()) {
            if (r != ErrorReason.UNRECOGNIZED && r != ErrorReason.ERROR_REASON_UNSPECIFIED) {
                values.add(r.name());
            }
        }
        p.putObject("message").put("type", "string");
        p.putObject("ownerAddress").put("type", "string")
                .put("description", "with NOT_OWNER and BUNDLE_MOVING: the owning broker when known");
        return s;
    }
}
