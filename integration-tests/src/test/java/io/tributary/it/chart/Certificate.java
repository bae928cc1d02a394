package io.tributary.it.chart;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;

/**
 * cert-manager's {@code Certificate} ({@code cert-manager.io/v1}), every field of its spec as cert-manager
 * 1.16 defines it, read refusing any other: fabric8 publishes no cert-manager model for its 7 and 8
 * lines, so the chart's test carries this one.
 */
record Certificate(String apiVersion, String kind, Metadata metadata, Spec spec) {
    private static final ObjectMapper STRICT = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    record Spec(String secretName, String commonName, List<String> dnsNames, List<String> ipAddresses, List<String> uris,
            List<String> emailAddresses, List<Map<String, Object>> otherNames, String literalSubject, Map<String, Object> subject,
            String duration, String renewBefore, Integer renewBeforePercentage, Integer revisionHistoryLimit,
            PrivateKey privateKey, List<String> usages, IssuerRef issuerRef, Boolean isCA, Boolean encodeUsagesInRequest,
            String signatureAlgorithm, Map<String, Object> secretTemplate, Map<String, Object> keystores,
            List<Map<String, Object>> additionalOutputFormats, Map<String, Object> nameConstraints) {
    }

    record Metadata(String name, String namespace, Map<String, String> labels, Map<String, String> annotations) {
    }

    record PrivateKey(String algorithm, Integer size, String encoding, String rotationPolicy) {
    }

    record IssuerRef(String name, String kind, String group) {
    }

    static Certificate parse(JsonNode doc) {
        try {
            Certificate c = STRICT.treeToValue(doc, Certificate.class);
            if (!"cert-manager.io/v1".equals(c.apiVersion()) || c.spec() == null || c.spec().secretName() == null
                    || c.spec().issuerRef() == null || c.spec().issuerRef().name() == null) {
                throw new AssertionError("Certificate " + c.metadata().name() + ": cert-manager.io/v1 with spec.secretName "
                        + "and spec.issuerRef.name required");
            }
            return c;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError("Certificate " + doc.path("metadata").path("name").asText() + ": " + e.getOriginalMessage(), e);
        }
    }
}
