package io.tributary.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.tributary.api.v1.ErrorDetail;
import io.tributary.api.v1.ErrorReason;
import io.tributary.protocol.ErrorReasons;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/JSON to gRPC for the methods of some services, by their {@code google.api.http} rules: finds the route
 * of a method and path, builds the request message ({@link RequestBuilder}), calls the method through
 * {@code channel} with the caller's {@code Authorization} header as the gRPC {@code authorization} metadata
 * (so the server's interceptors authenticate and authorize it as any gRPC call), and answers with the response
 * in the proto3 JSON mapping, or with the error body of the gRPC status and its {@link ErrorDetail}.
 */
public final class RestTranscoder {
    /** An answer: the HTTP status, the JSON body, and the {@code Allow} header for a 405 (else null). */
    public record Response(int status, String json, String allow) {}

    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().includingDefaultValueFields();

    private final List<Route> routes;
    private final Channel channel;
    private final Duration deadline;

    public RestTranscoder(List<ServiceDescriptor> services, Channel channel, Duration deadline) {
        this.routes = Route.of(services);
        this.channel = channel;
        this.deadline = deadline;
    }

    public List<Route> routes() {
        return routes;
    }

    /** Answers {@code method rawPath?rawQuery} with {@code body}; never throws for what a client sends. */
    public Response handle(String method, String rawPath, String rawQuery, String authorization, byte[] body) {
        try {
            List<String> segments = segments(rawPath);
            List<Route> onPath = new ArrayList<>();
            Route best = null;
            Map<String, String> bestValues = null;
            for (Route r : routes) {
                Map<String, String> values = r.path().match(segments);
                if (values == null) {
                    continue;
                }
                onPath.add(r);
                if (r.httpMethod().equals(method) && (best == null || r.path().literals() > best.path().literals())) {
                    best = r;
                    bestValues = values;
                }
            }
            if (onPath.isEmpty()) {
                return error(new RestError(404, Status.Code.NOT_FOUND, null, "no such path: " + rawPath
                        + " (the API is described at /admin/v1/openapi.json)", null));
            }
            if (best == null) {
                TreeSet<String> allowed = new TreeSet<>();
                onPath.forEach(r -> allowed.add(r.httpMethod()));
                Response r = error(new RestError(405, Status.Code.UNIMPLEMENTED, null, "method " + method
                        + " is not allowed on " + rawPath + "; allowed: " + String.join(", ", allowed), null));
                return new Response(r.status(), r.json(), String.join(", ", allowed));
            }
            Message request = RequestBuilder.build(best, bestValues, rawQuery, body);
            return new Response(200, PRINTER.print(call(best, request, authorization)), null);
        } catch (RestError e) {
            return error(e);
        } catch (InvalidProtocolBufferException e) {
            return error(new RestError(500, Status.Code.INTERNAL, ErrorReason.INTERNAL_ERROR,
                    "the response cannot be written as JSON: " + e.getMessage(), null));
        }
    }

    private Message call(Route route, Message request, String authorization) throws RestError {
        Channel ch = channel;
        if (authorization != null) {
            Metadata headers = new Metadata();
            try {
                headers.put(AUTHORIZATION, authorization);
            } catch (IllegalArgumentException e) {
                throw new RestError(401, Status.Code.UNAUTHENTICATED, ErrorReason.NOT_AUTHENTICATED,
                        "malformed Authorization header: expected 'Bearer <token>' in ASCII", null);
            }
            ch = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        try {
            return ClientCalls.blockingUnaryCall(ch, route.grpc(),
                    CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS), request);
        } catch (StatusRuntimeException e) {
            Status s = e.getStatus();
            ErrorDetail d = e.getTrailers() == null ? null : e.getTrailers().get(ErrorReasons.DETAIL_KEY);
            String message = d != null && !d.getMessage().isEmpty() ? d.getMessage()
                    : s.getDescription() != null ? s.getDescription() : s.getCode().name();
            ErrorReason reason = d == null || d.getReason() == ErrorReason.ERROR_REASON_UNSPECIFIED ? null : d.getReason();
            String owner = d == null || d.getOwnerAddress().isEmpty() ? null : d.getOwnerAddress();
            throw new RestError(RestError.httpStatus(s.getCode()), s.getCode(), reason, message, owner);
        }
    }

    /** The path's segments, percent-decoded one by one ({@code %2F} stays inside its segment; '+' is a plus). */
    static List<String> segments(String rawPath) throws RestError {
        List<String> out = new ArrayList<>();
        String p = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        if (p.isEmpty()) {
            return out;
        }
        for (String s : p.split("/", -1)) {
            try {
                out.add(URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw RestError.invalid("malformed path segment '" + s + "': " + e.getMessage());
            }
        }
        return out;
    }

    /** The error body: {@code {"code", "status", "reason"?, "message", "ownerAddress"?}}. */
    static Response error(RestError e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("code", e.httpStatus);
        n.put("status", e.code.name());
        if (e.reason != null) {
            n.put("reason", e.reason.name());
        }
        n.put("message", e.getMessage());
        if (e.ownerAddress != null) {
            n.put("ownerAddress", e.ownerAddress);
        }
        return new Response(e.httpStatus, n.toString(), null);
    }
}
