package io.tributary.storage.embedded;

import java.util.ArrayList;
import java.util.List;
import org.apache.bookkeeper.bookie.BookieException;
import org.apache.bookkeeper.discover.BookieServiceInfo;
import org.apache.bookkeeper.discover.RegistrationManager;
import org.apache.bookkeeper.net.BookieId;
import org.apache.bookkeeper.versioning.Version;
import org.apache.bookkeeper.versioning.Versioned;

/**
 * A bookie's registration that publishes its endpoints at another host than the one it listens on, so
 * clients (which resolve a bookie through its published endpoint) connect to whatever forwards to it.
 * Everything else is the wrapped registration's.
 */
final class AdvertisingRegistrationManager implements RegistrationManager {
    private final RegistrationManager delegate;
    private final String advertisedHost;

    AdvertisingRegistrationManager(RegistrationManager delegate, String advertisedHost) {
        this.delegate = delegate;
        this.advertisedHost = advertisedHost;
    }

    @Override
    public void registerBookie(BookieId bookieId, boolean readOnly, BookieServiceInfo info) throws BookieException {
        List<BookieServiceInfo.Endpoint> endpoints = new ArrayList<>();
        for (BookieServiceInfo.Endpoint e : info.getEndpoints()) {
            endpoints.add(new BookieServiceInfo.Endpoint(e.getId(), e.getPort(), advertisedHost, e.getProtocol(),
                    e.getAuth(), e.getExtensions()));
        }
        delegate.registerBookie(bookieId, readOnly, new BookieServiceInfo(info.getProperties(), endpoints));
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String getClusterInstanceId() throws BookieException {
        return delegate.getClusterInstanceId();
    }

    @Override
    public void unregisterBookie(BookieId bookieId, boolean readOnly) throws BookieException {
        delegate.unregisterBookie(bookieId, readOnly);
    }

    @Override
    public boolean isBookieRegistered(BookieId bookieId) throws BookieException {
        return delegate.isBookieRegistered(bookieId);
    }

    @Override
    public void writeCookie(BookieId bookieId, Versioned<byte[]> cookieData) throws BookieException {
        delegate.writeCookie(bookieId, cookieData);
    }

    @Override
    public Versioned<byte[]> readCookie(BookieId bookieId) throws BookieException {
        return delegate.readCookie(bookieId);
    }

    @Override
    public void removeCookie(BookieId bookieId, Version version) throws BookieException {
        delegate.removeCookie(bookieId, version);
    }

    @Override
    public boolean prepareFormat() throws Exception {
        return delegate.prepareFormat();
    }

    @Override
    public boolean initNewCluster() throws Exception {
        return delegate.initNewCluster();
    }

    @Override
    public boolean format() throws Exception {
        return delegate.format();
    }

    @Override
    public boolean nukeExistingCluster() throws Exception {
        return delegate.nukeExistingCluster();
    }

    @Override
    public void addRegistrationListener(RegistrationListener listener) {
        delegate.addRegistrationListener(listener);
    }
}
