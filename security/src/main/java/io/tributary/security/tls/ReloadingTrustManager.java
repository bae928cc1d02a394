package io.tributary.security.tls;

import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSslCertificateException;
import io.grpc.netty.shaded.io.netty.internal.tcnative.CertificateVerifier;
import java.net.Socket;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Checks client certificates against the CAs of the latest reading of the trust file, so a rotated
 * CA bundle applies to the next handshake.
 *
 * <p>It names no accepted issuers: a server sends that list in its certificate request, and
 * Netty's OpenSSL engine sends the list it got when the context was built, which would still name
 * the old CA after a rotation and make clients holding a new-CA certificate send none. An empty list
 * lets a client send the certificate it has; the check against the trusted CAs is the same.
 */
final class ReloadingTrustManager extends X509ExtendedTrustManager {
    private static final X509Certificate[] NONE = new X509Certificate[0];
    private final Supplier<TlsMaterial> current;

    ReloadingTrustManager(Supplier<TlsMaterial> current) {
        this.current = current;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        try {
            delegate().checkClientTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw explain(e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            delegate().checkClientTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw explain(e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            delegate().checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
            throw explain(e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("a listener's trust manager checks clients only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("a listener's trust manager checks clients only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a listener's trust manager checks clients only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NONE;
    }

    /**
     * The refusal of a certificate from an unknown CA, with the error code that makes Netty's
     * OpenSSL engine send the client an "unknown CA" alert; without it the client is told only of
     * an internal error. Expired certificates already get their own alert.
     */
    private static CertificateException explain(CertificateException e) {
        if (!OpenSsl.isAvailable()) {
            return e;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CertPathBuilderException) {
                return new OpenSslCertificateException("the client certificate is not signed by a trusted CA: " + e.getMessage(), e,
                        CertificateVerifier.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
            }
        }
        return e;
    }

    private X509ExtendedTrustManager delegate() throws CertificateException {
        X509ExtendedTrustManager tm = current.get().trust();
        if (tm == null) {
            throw new CertificateException("this listener has no trustCertsFile to check client certificates against");
        }
        return tm;
    }
}
