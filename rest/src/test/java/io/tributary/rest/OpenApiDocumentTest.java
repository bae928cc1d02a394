package io.tributary.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.AnnotationsProto;
import com.google.protobuf.Descriptors;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.tributary.api.v1.AdminServiceGrpc;
import io.tributary.api.v1.LookupServiceGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * docs/openapi.json is the document generated from admin.proto's HTTP rules, and every AdminService rpc has a
 * rule. After changing admin.proto, regenerate the file with
 * {@code mvn -q -B -pl rest -am test -Dtest=OpenApiDocumentTest -Dsurefire.failIfNoSpecifiedTests=false -Dopenapi.write=true} and commit it.
 */
class OpenApiDocumentTest {
    private static final Path CHECKED_IN = Path.of("../docs/openapi.json");

    @Test
    void everyAdminRpcHasAnHttpRule() {
        for (MethodDescriptor<?, ?> m : AdminServiceGrpc.getServiceDescriptor().getMethods()) {
            Descriptors.MethodDescriptor proto = ((ProtoMethodDescriptorSupplier) m.getSchemaDescriptor()).getMethodDescriptor();
            assertThat(proto.getOptions().hasExtension(AnnotationsProto.http))
                    .as("%s has no google.api.http rule in admin.proto", m.getFullMethodName()).isTrue();
        }
    }

    @Test
    void aServiceWithoutRulesIsRefused() {
        // the check above can fail: LookupService has no HTTP rules
        assertThatThrownBy(() -> Route.of(List.of(LookupServiceGrpc.getServiceDescriptor())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no google.api.http rule");
    }

    @Test
    void noTwoRoutesOverlap() {
        Set<String> seen = new HashSet<>();
        for (Route r : Route.of(List.of(AdminServiceGrpc.getServiceDescriptor()))) {
            assertThat(seen.add(r.httpMethod() + " " + r.path().openApiPath())).as("%s %s twice", r.httpMethod(), r.path()).isTrue();
        }
    }

    @Test
    void theCheckedInDocumentIsTheGeneratedOne() throws IOException {
        List<ServiceDescriptor> services = List.of(AdminServiceGrpc.getServiceDescriptor());
        String generated = OpenApi.document(Route.of(services));
        if (Boolean.getBoolean("openapi.write")) {
            Files.writeString(CHECKED_IN, generated);
        }
        assertThat(CHECKED_IN).as("docs/openapi.json is missing").exists();
        assertThat(Files.readString(CHECKED_IN))
                .as("docs/openapi.json differs from the document generated from admin.proto: regenerate it with "
                        + "mvn -q -B -pl rest -am test -Dtest=OpenApiDocumentTest -Dsurefire.failIfNoSpecifiedTests=false -Dopenapi.write=true")
                .isEqualTo(generated);
    }
}
