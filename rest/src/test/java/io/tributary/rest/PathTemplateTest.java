package io.tributary.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PathTemplateTest {

    private static List<String> path(String p) throws RestError {
        return RestTranscoder.segments(p);
    }

    @Test
    void literalsAndSimpleVariables() throws RestError {
        PathTemplate t = PathTemplate.parse("/admin/v1/tenants/{tenant}");
        assertThat(t.match(path("/admin/v1/tenants/acme"))).isEqualTo(Map.of("tenant", "acme"));
        assertThat(t.match(path("/admin/v1/tenants"))).isNull();
        assertThat(t.match(path("/admin/v1/tenants/acme/x"))).isNull();
        assertThat(t.match(path("/admin/v1/tenant/acme"))).isNull();
        assertThat(t.match(path("/admin/v1/tenants/"))).as("an empty segment is no value").isNull();
        assertThat(t.variables()).containsExactly("tenant");
    }

    @Test
    void variablesWithPatterns() throws RestError {
        PathTemplate t = PathTemplate.parse("/admin/v1/topics/{topic=*/*/*}/subscriptions/{subscription}/skip");
        assertThat(t.match(path("/admin/v1/topics/acme/orders/placed/subscriptions/billing/skip")))
                .containsExactly(Map.entry("topic", "acme/orders/placed"), Map.entry("subscription", "billing"));
        assertThat(t.match(path("/admin/v1/topics/acme/orders/subscriptions/billing/skip"))).isNull();
        assertThat(t.openApiPath()).isEqualTo("/admin/v1/topics/{topic}/subscriptions/{subscription}/skip");
        assertThat(t.literals()).isEqualTo(5);
    }

    @Test
    void wildcards() throws RestError {
        assertThat(PathTemplate.parse("/a/*/c").match(path("/a/b/c"))).isEmpty();
        assertThat(PathTemplate.parse("/a/*/c").match(path("/a/b/b/c"))).isNull();
        PathTemplate rest = PathTemplate.parse("/files/{name=**}");
        assertThat(rest.match(path("/files/x/y/z"))).isEqualTo(Map.of("name", "x/y/z"));
        assertThat(rest.match(path("/files/x"))).isEqualTo(Map.of("name", "x"));
        assertThat(PathTemplate.parse("/a/{p=b/*}").match(path("/a/b/q"))).isEqualTo(Map.of("p", "b/q"));
        assertThat(PathTemplate.parse("/a/{p=b/*}").match(path("/a/c/q"))).isNull();
    }

    @Test
    void segmentsArePercentDecodedOneByOne() throws RestError {
        PathTemplate t = PathTemplate.parse("/t/{name}");
        assertThat(t.match(path("/t/a%2Fb"))).as("an encoded slash stays in its segment").isEqualTo(Map.of("name", "a/b"));
        assertThat(t.match(path("/t/a+b"))).isEqualTo(Map.of("name", "a+b"));
        assertThat(t.match(path("/t/caf%C3%A9"))).isEqualTo(Map.of("name", "café"));
        assertThatThrownBy(() -> path("/t/%zz")).isInstanceOf(RestError.class).hasMessageContaining("malformed path segment");
    }

    @Test
    void malformedTemplatesAreRefused() {
        for (String bad : List.of("admin", "/a/{b", "/a/{}", "/a/**/b", "/a//b", "/a/", "/a/b*", "/a/{x}/{x}", "/a:verb")) {
            assertThatThrownBy(() -> PathTemplate.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
