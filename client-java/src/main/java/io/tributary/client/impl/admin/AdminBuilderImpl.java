package io.tributary.client.impl.admin;

import io.tributary.client.Authentication;
import io.tributary.client.TlsOptions;
import io.tributary.client.TributaryClientException;
import io.tributary.client.admin.TributaryAdmin;
import io.tributary.client.admin.TributaryAdminBuilder;
import io.tributary.client.impl.ClientBuilderImpl;
import io.tributary.client.impl.ClientChannels;
import java.time.Duration;
import java.util.Objects;

/** Collects the admin client's settings. */
public final class AdminBuilderImpl implements TributaryAdminBuilder {
    private String serviceUrl = ClientBuilderImpl.DEFAULT_SERVICE_URL;
    private Duration operationTimeout = ClientBuilderImpl.DEFAULT_OPERATION_TIMEOUT;
    private Authentication authentication;
    private TlsOptions tls;

    @Override
    public TributaryAdminBuilder authentication(Authentication authentication) {
        this.authentication = Objects.requireNonNull(authentication, "authentication");
        return this;
    }

    @Override
    public TributaryAdminBuilder tls(TlsOptions tls) {
        this.tls = Objects.requireNonNull(tls, "tls");
        return this;
    }

    @Override
    public TributaryAdminBuilder serviceUrl(String serviceUrl) {
        this.serviceUrl = Objects.requireNonNull(serviceUrl, "serviceUrl");
        return this;
    }

    @Override
    public TributaryAdminBuilder operationTimeout(Duration timeout) {
        this.operationTimeout = ClientBuilderImpl.checkedTimeout(timeout);
        return this;
    }

    @Override
    public TributaryAdmin build() throws TributaryClientException {
        return new TributaryAdminImpl(ClientBuilderImpl.target(serviceUrl), operationTimeout,
                ClientChannels.security(serviceUrl, tls, authentication));
    }
}
