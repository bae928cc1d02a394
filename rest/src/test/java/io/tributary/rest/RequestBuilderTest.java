package io.tributary.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Message;
import io.grpc.Status;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.CreateTenantRequest;
import io.tributary.api.v1.GrantPermissionRequest;
import io.tributary.api.v1.ListDeadLettersRequest;
import io.tributary.api.v1.PeekDeadLettersRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a request message is built from the path, the query string and the JSON body of each route. */
class RequestBuilderTest {
    private static final List<Route> ROUTES = Route.of(List.of(AdminServiceGrpc.getServiceDescriptor()));

    private static Message build(String method, String path, String query, String body) throws RestError {
        List<String> segments = RestTranscoder.segments(path);
        for (Route r : ROUTES) {
            Map<String, String> values = r.path().match(segments);
            if (values != null && r.httpMethod().equals(method)) {
                return RequestBuilder.build(r, values, query, body.getBytes(StandardCharsets.UTF_8));
            }
        }
        throw new AssertionError("no route for " + method + " " + path);
    }

    @Test
    void theBodyAndThePathVariables() throws RestError {
        assertThat(build("POST", "/admin/v1/tenants", null, "{\"tenant\": \"acme\", \"admin_roles\": [\"a\", \"b\"]}"))
                .isEqualTo(CreateTenantRequest.newBuilder().setTenant("acme").addAdminRoles("a").addAdminRoles("b").build());
        // the path wins over the body, and fills a oneof
        GrantPermissionRequest grant = (GrantPermissionRequest) build("PUT", "/admin/v1/topics/acme/app/t/permissions/bob", null,
                "{\"role\": \"eve\", \"actions\": [\"CONSUME\"], \"subscriptionPrefix\": \"billing-\"}");
        assertThat(grant.getTopic()).isEqualTo("acme/app/t");
        assertThat(grant.getRole()).isEqualTo("bob");
        assertThat(grant.getSubscriptionPrefix()).isEqualTo("billing-");
        assertThat(build("POST", "/admin/v1/tenants", null, "")).isEqualTo(CreateTenantRequest.getDefaultInstance());
    }

    @Test
    void theQueryString() throws RestError {
        assertThat(build("GET", "/admin/v1/deadletters", "namespace=acme%2Fapp&subscription=a+b", ""))
                .isEqualTo(ListDeadLettersRequest.newBuilder().setNamespace("acme/app").setSubscription("a b").build());
        assertThat(build("GET", "/admin/v1/deadletters/acme/app/t-DLQ/messages", "maxMessages=5", ""))
                .isEqualTo(PeekDeadLettersRequest.newBuilder().setTopic("acme/app/t-DLQ").setMaxMessages(5).build());
        assertThat(build("GET", "/admin/v1/deadletters/acme/app/t-DLQ/messages", "max_messages=7", ""))
                .isEqualTo(PeekDeadLettersRequest.newBuilder().setTopic("acme/app/t-DLQ").setMaxMessages(7).build());
    }

    @Test
    void badInputIsInvalidRequestNamingIt() {
        assertRefused(() -> build("GET", "/admin/v1/deadletters", "colour=red", ""), "unknown query parameter 'colour'");
        assertRefused(() -> build("GET", "/admin/v1/deadletters/a/b/c/messages", "maxMessages=lots", ""), "'maxMessages' (int32)");
        assertRefused(() -> build("GET", "/admin/v1/deadletters/a/b/c/messages", "maxMessages=99999999999", ""), "'maxMessages'");
        assertRefused(() -> build("GET", "/admin/v1/tenants", null, "{}"), "takes no body");
        assertRefused(() -> build("POST", "/admin/v1/tenants", "x=1", "{}"), "query parameters are not taken");
        assertRefused(() -> build("POST", "/admin/v1/tenants", null, "{\"tenant\": 1, "), "malformed JSON body");
        assertRefused(() -> build("POST", "/admin/v1/tenants", null, "{\"colour\": 1}"), "colour");
        assertRefused(() -> build("POST", "/admin/v1/tenants", null, "[1, 2]"), "malformed JSON body");
        assertRefused(() -> build("GET", "/admin/v1/namespaces/a/b/permissions", "topic=a/b/c", ""),
                "the path already sets 'namespace' (one of resource)");
        String many = "subscription=x&".repeat(RequestBuilder.MAX_QUERY_PARAMETERS + 1);
        assertRefused(() -> build("GET", "/admin/v1/deadletters", many, ""), "more than 100 query parameters");
    }

    @Test
    void grpcStatusesMapToHttpStatuses() {
        assertThat(RestError.httpStatus(Status.Code.NOT_FOUND)).isEqualTo(404);
        assertThat(RestError.httpStatus(Status.Code.FAILED_PRECONDITION)).isEqualTo(409);
        assertThat(RestError.httpStatus(Status.Code.RESOURCE_EXHAUSTED)).isEqualTo(429);
        assertThat(RestError.httpStatus(Status.Code.DEADLINE_EXCEEDED)).isEqualTo(504);
        for (Status.Code c : Status.Code.values()) {
            assertThat(RestError.httpStatus(c)).as("%s", c).isBetween(200, 599);
        }
    }

    private interface Call {
        Object run() throws RestError;
    }

    private static void assertRefused(Call call, String text) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(RestError.class, e -> {
            assertThat(e.httpStatus).isEqualTo(400);
            assertThat(e.reason.name()).isEqualTo("INVALID_REQUEST");
        }).hasMessageContaining(text);
    }
}
