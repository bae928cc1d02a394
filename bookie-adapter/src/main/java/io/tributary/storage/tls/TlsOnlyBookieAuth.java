package io.tributary.storage.tls;

import java.security.cert.X509Certificate;
import java.util.Collection;
import org.apache.bookkeeper.auth.AuthCallbacks;
import org.apache.bookkeeper.auth.AuthToken;
import org.apache.bookkeeper.auth.BookKeeperPrincipal;
import org.apache.bookkeeper.auth.BookieAuthProvider;
import org.apache.bookkeeper.client.BKException;
import org.apache.bookkeeper.conf.ServerConfiguration;
import org.apache.bookkeeper.proto.BookieConnectionPeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bookie's authentication plugin that accepts a connection once, and only once, it has been upgraded to
 * TLS: until then every request gets BookKeeper's "unauthorized" answer. A TLS bookie without it serves
 * plaintext clients too. Named in the bookie's configuration (BookKeeper instantiates it), not used directly.
 */
public final class TlsOnlyBookieAuth implements BookieAuthProvider.Factory {
    private static final Logger LOG = LoggerFactory.getLogger(TlsOnlyBookieAuth.class);

    @Override
    public void init(ServerConfiguration conf) {
        // nothing to read: the TLS settings are the bookie's own
    }

    @Override
    public String getPluginName() {
        return "TributaryTlsOnly";
    }

    /** The subject of the client's certificate, or "tls" when it presented none. */
    private static String clientName(BookieConnectionPeer peer) {
        try {
            Collection<Object> principals = peer.getProtocolPrincipals();
            if (principals != null && !principals.isEmpty() && principals.iterator().next() instanceof X509Certificate c) {
                return c.getSubjectX500Principal().getName();
            }
        } catch (RuntimeException e) {
            LOG.debug("no client certificate from {}: {}", peer.getRemoteAddr(), e.toString());
        }
        return "tls";
    }

    @Override
    public BookieAuthProvider newProvider(BookieConnectionPeer peer, AuthCallbacks.GenericCallback<Void> completeCb) {
        return new BookieAuthProvider() {
            @Override
            public void onProtocolUpgrade() {
                if (!peer.isSecure()) {
                    refuse();
                    return;
                }
                peer.setAuthorizedId(new BookKeeperPrincipal(clientName(peer)));
                completeCb.operationComplete(BKException.Code.OK, null);
            }

            @Override
            public void process(AuthToken token, AuthCallbacks.GenericCallback<AuthToken> cb) {
                // no token exchange: only TLS authenticates a client here
                refuse();
                cb.operationComplete(BKException.Code.UnauthorizedAccessException, null);
            }

            private void refuse() {
                LOG.warn("refused a client at {}: this bookie accepts TLS connections only", peer.getRemoteAddr());
                completeCb.operationComplete(BKException.Code.UnauthorizedAccessException, null);
            }
        };
    }
}
