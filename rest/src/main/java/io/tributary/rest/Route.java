package io.tributary.rest;

import com.google.api.AnnotationsProto;
import com.google.api.HttpRule;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import java.util.ArrayList;
import java.util.List;

/**
 * One HTTP binding of a gRPC method, read from its {@code google.api.http} option: the HTTP method, the path
 * template, and where the request message's fields come from (the path's variables, then the JSON body when
 * {@code body} is {@code "*"}, else the query string). Only {@code body: "*"} or no body is supported: a rule
 * naming a single body field fails at start, naming the method.
 */
public record Route(String httpMethod, PathTemplate path, boolean body, MethodDescriptor<Message, Message> grpc,
                    Descriptors.MethodDescriptor proto, Message requestPrototype) {

    /** Every binding (additional ones included) of every method of {@code services}; a method without a rule is an error. */
    public static List<Route> of(List<ServiceDescriptor> services) {
        List<Route> out = new ArrayList<>();
        for (ServiceDescriptor service : services) {
            for (MethodDescriptor<?, ?> m : service.getMethods()) {
                out.addAll(of(m));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static List<Route> of(MethodDescriptor<?, ?> method) {
        if (!(method.getSchemaDescriptor() instanceof ProtoMethodDescriptorSupplier supplier)
                || method.getType() != MethodDescriptor.MethodType.UNARY) {
            throw new IllegalArgumentException(method.getFullMethodName() + " is not a unary protobuf method");
        }
        Descriptors.MethodDescriptor proto = supplier.getMethodDescriptor();
        if (!proto.getOptions().hasExtension(AnnotationsProto.http)) {
            throw new IllegalArgumentException(method.getFullMethodName() + " has no google.api.http rule");
        }
        MethodDescriptor<Message, Message> grpc = (MethodDescriptor<Message, Message>) method;
        Message prototype = (Message) ((MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller()).getMessagePrototype();
        HttpRule rule = proto.getOptions().getExtension(AnnotationsProto.http);
        List<Route> out = new ArrayList<>();
        out.add(one(rule, grpc, proto, prototype));
        for (HttpRule extra : rule.getAdditionalBindingsList()) {
            out.add(one(extra, grpc, proto, prototype));
        }
        return out;
    }

    private static Route one(HttpRule rule, MethodDescriptor<Message, Message> grpc, Descriptors.MethodDescriptor proto,
                             Message prototype) {
        String verb;
        String template;
        switch (rule.getPatternCase()) {
            case GET -> { verb = "GET"; template = rule.getGet(); }
            case POST -> { verb = "POST"; template = rule.getPost(); }
            case PUT -> { verb = "PUT"; template = rule.getPut(); }
            case PATCH -> { verb = "PATCH"; template = rule.getPatch(); }
            case DELETE -> { verb = "DELETE"; template = rule.getDelete(); }
            default -> throw new IllegalArgumentException(grpc.getFullMethodName() + ": unsupported http rule " + rule.getPatternCase());
        }
        if (!rule.getBody().isEmpty() && !rule.getBody().equals("*")) {
            throw new IllegalArgumentException(grpc.getFullMethodName() + ": only body \"*\" or none is supported, not \""
                    + rule.getBody() + "\"");
        }
        if (!rule.getResponseBody().isEmpty()) {
            throw new IllegalArgumentException(grpc.getFullMethodName() + ": response_body is not supported");
        }
        PathTemplate path = PathTemplate.parse(template);
        for (String v : path.variables()) {
            if (proto.getInputType().findFieldByName(v) == null) {
                throw new IllegalArgumentException(grpc.getFullMethodName() + ": path variable '" + v
                        + "' is not a field of " + proto.getInputType().getFullName());
            }
        }
        return new Route(verb, path, rule.getBody().equals("*"), grpc, proto, prototype);
    }
}
