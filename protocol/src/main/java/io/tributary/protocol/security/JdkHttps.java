package io.tributary.protocol.security;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/** TLS for the JDK's HTTPS server (metrics and health endpoints, the REST admin API). */
public final class JdkHttps {
    private JdkHttps() {}

    /** Each connection's TLS: the context's defaults, client certificates asked for as {@code clientAuth} says. */
    public static HttpsConfigurator configurator(SSLContext context, ServerTlsSettings.ClientAuth clientAuth) {
        return new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = getSSLContext().getDefaultSSLParameters();
                switch (clientAuth) {
                    case REQUIRE -> p.setNeedClientAuth(true);
                    case OPTIONAL -> p.setWantClientAuth(true);
                    case NONE -> { }
                }
                params.setSSLParameters(p);
            }
        };
    }
}
