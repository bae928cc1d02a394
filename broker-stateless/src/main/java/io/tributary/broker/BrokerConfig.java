package io.tributary.broker;

import com.google.common.base.Preconditions;
import io.tributary.api.v1.BacklogQuotaPolicy;
import io.tributary.broker.auth.AuthorizationConfig;
import io.tributary.broker.loadmanager.LoadBalancerConfig;
import io.tributary.broker.topic.Policies;
import io.tributary.metrics.MetricsSettings;
import io.tributary.protocol.config.Settings;
import io.tributary.protocol.security.ServerTlsSettings;
import io.tributary.security.auth.AuthenticationSettings;
import io.tributary.storage.log.ManagedLogConfig;
import io.tributary.storage.tls.StorageTls;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * A broker's settings, each with a default (see docs/configuration.md). Built from a properties
 * file with environment overrides by {@link #fromProperties(Properties, Map)}; validated here so a
 * bad value stops the broker at start-up with a message that names the key.
 *
 * @param bindAddress interface the gRPC server listens on
 * @param port gRPC port (0 picks a free one)
 * @param advertisedAddress host other processes reach this broker at
 * @param zookeeperServers ZooKeeper connect string
 * @param metadataRoot root of Tributary's metadata in ZooKeeper
 * @param ledgersRoot root of BookKeeper's ledger metadata in ZooKeeper
 * @param zkSessionTimeout after this long without contact, ZooKeeper declares the broker dead
 * @param maxMessageSize largest entry (one producer batch) accepted, in bytes
 * @param allowAutoTopicCreation create a topic on first produce or subscribe
 * @param defaultBundles bundles of a namespace created without an explicit count
 * @param log how topics store their data; by default each entry goes to 3 bookies and is acknowledged once 2
 *            have it (ensemble 3, write quorum 3, ack quorum 2)
 * @param allowSingleCopy accept an ack quorum of 1, where an acknowledged message lives on one bookie until
 *                        the ledger is replicated (standalone and one-bookie test clusters); off by default, so a
 *                        cluster broker configured with one copy refuses to start
 * @param cursorPersistInterval acknowledgements are persisted at most this often per subscription
 * @param maxPendingPublishes per producer, appends in flight before the broker stops reading from it
 * @param dispatchBatchSize entries read from storage per dispatch round
 * @param pullConsumerIdleTimeout a Receive-based consumer with no call for this long is dropped and its
 *                                unacknowledged messages go to others
 * @param loadBalancer how bundles are spread over brokers
 * @param metricsPort port of the metrics and health endpoint ({@code /metrics}, {@code /health/live},
 *                    {@code /health/ready}; -1: off, 0: any free port)
 * @param metricsBindAddress interface the metrics endpoint listens on; null: {@code bindAddress}
 * @param drainOnShutdown on SIGTERM or close, move every bundle to other brokers before stopping
 * @param bundleMoveTimeout how long one bundle move may take before it is abandoned
 * @param policyCheckInterval how often each topic applies retention, message TTL, the backlog quota
 *                            and ledger rollover by age
 * @param backlogQuotaHoldTimeout how long a publish waits under a producer_request_hold quota before
 *                                it is refused
 * @param defaultPolicies retention and TTL for namespaces that do not set their own
 * @param dedupProducerInactivityTimeout a producer not connected that stored nothing for this long is
 *                                       forgotten by deduplication (checked every policyCheckInterval)
 * @param dedupMaxProducersPerTopic producers whose sequence ids a topic remembers; beyond it the least
 *                                  recently active are forgotten
 * @param limits what clients may hold: bytes buffered, Receive leases, calls per connection, keepalives
 * @param topicLimits the defaults of the namespace limits (consumers, subscriptions, topics, auto topic creation,
 *                    deduplication, subscription expiry) for namespaces that do not set their own
 * @param transactions how transactions are coordinated: timeouts, check-backs, limits ({@code broker.transaction*})
 * @param rateLimits  the default publish and dispatch rate limits ({@code broker.publishRate*},
 *                    {@code broker.dispatchRate*}) for namespaces that do not set their own
 * @param storageTls TLS to ZooKeeper ({@code broker.zookeeper.tls.*}) and to the bookies
 *                   ({@code broker.bookkeeper.tls.*}); plaintext by default
 * @param tls TLS of the client port ({@code broker.tls.*}), or null for plaintext
 * @param authentication how callers of the client port and the internal listener are authenticated
 *                       ({@code broker.authentication.*}); off by default
 * @param internal the internal listener for other brokers' control calls ({@code broker.internal.*})
 * @param authorization whether each call's role is checked against grants ({@code broker.authorization.enabled},
 *                      {@code broker.superUserRoles}); off by default, needs authentication
 * @param clusterName the {@code cluster} label of every series of the broker's metrics ({@code broker.clusterName})
 * @param metricsTopicLevel whether topic and subscription metrics carry {@code topic} and
 *                          {@code subscription} labels ({@code broker.metrics.topicLevel}, default true);
 *                          false: one series per namespace, for clusters with many topics
 * @param metricsProducerLevel whether each connected producer has its own series, labelled {@code producer}
 *                             ({@code broker.metrics.producerLevel}, default true; only with topic level)
 * @param metricsTls TLS of the metrics endpoint ({@code broker.metrics.tls.*}, its files by default the
 *                   client port's {@code broker.tls.*}), or null for plain HTTP
 * @param httpPort port of the REST admin API ({@code broker.httpPort}): -1 (the default) off, 0 any free port;
 *                 on {@code bindAddress}, over HTTPS with the client port's {@code tls}
 */
public record BrokerConfig(
        String bindAddress,
        int port,
        String advertisedAddress,
        String zookeeperServers,
        String metadataRoot,
        String ledgersRoot,
        Duration zkSessionTimeout,
        int maxMessageSize,
        boolean allowAutoTopicCreation,
        int defaultBundles,
        ManagedLogConfig log,
        boolean allowSingleCopy,
        Duration cursorPersistInterval,
        int maxPendingPublishes,
        int dispatchBatchSize,
        Duration pullConsumerIdleTimeout,
        LoadBalancerConfig loadBalancer,
        int metricsPort,
        String metricsBindAddress,
        boolean drainOnShutdown,
        Duration bundleMoveTimeout,
        Duration policyCheckInterval,
        Duration backlogQuotaHoldTimeout,
        Policies defaultPolicies,
        Duration dedupProducerInactivityTimeout,
        int dedupMaxProducersPerTopic,
        ServiceLimits limits,
        TopicLimitDefaults topicLimits,
        RateLimitDefaults rateLimits,
        StorageTls storageTls,
        ServerTlsSettings tls,
        AuthenticationSettings authentication,
        InternalListenerConfig internal,
        AuthorizationConfig authorization,
        String clusterName,
        boolean metricsTopicLevel,
        boolean metricsProducerLevel,
        ServerTlsSettings metricsTls,
        int httpPort,
        TransactionSettings transactions) {

    public static final int DEFAULT_MAX_MESSAGE_SIZE = 5 * 1024 * 1024;
    /** A cluster's ledgers: three copies of each entry, acknowledged once two bookies have it. */
    public static final ManagedLogConfig DEFAULT_LOG = ManagedLogConfig.DEFAULT.withQuorum(3, 3, 2);

    public BrokerConfig {
        Preconditions.checkArgument(port >= 0 && port <= 65535, "broker.port must be in [0, 65535], was %s", port);
        Preconditions.checkArgument(zookeeperServers != null && !zookeeperServers.isBlank(), "broker.zookeeperServers is required");
        Preconditions.checkArgument(metadataRoot.startsWith("/"), "broker.metadataRoot must start with '/', was %s", metadataRoot);
        Preconditions.checkArgument(ledgersRoot.startsWith("/"), "broker.ledgersRoot must start with '/', was %s", ledgersRoot);
        Preconditions.checkArgument(maxMessageSize > 0 && maxMessageSize <= 64 * 1024 * 1024,
                "broker.maxMessageSize must be in (0, 64 MiB], was %s", maxMessageSize);
        Preconditions.checkArgument(defaultBundles >= 1 && defaultBundles <= 1024,
                "broker.defaultBundles must be in [1, 1024], was %s", defaultBundles);
        if (log.ackQuorum() < 2 && !allowSingleCopy) {
            // an acknowledged message would live on a single bookie: losing its disk loses the message
            throw new IllegalArgumentException("broker.ackQuorum is " + log.ackQuorum() + " (broker.ensembleSize="
                    + log.ensembleSize() + ", broker.writeQuorum=" + log.writeQuorum() + "): an acknowledged message "
                    + "would be stored on one bookie only. Use at least 2 (the default is 3/3/2), or set "
                    + "broker.allowSingleCopy=true to accept losing acknowledged messages with a bookie's disk "
                    + "(standalone and one-bookie test clusters)");
        }
        Preconditions.checkArgument(maxPendingPublishes >= 1, "broker.maxPendingPublishes must be >= 1");
        Preconditions.checkArgument(dispatchBatchSize >= 1, "broker.dispatchBatchSize must be >= 1");
        Preconditions.checkArgument(metricsPort >= -1 && metricsPort <= 65535,
                "broker.metricsPort must be -1 (off), 0 (any free port) or a port, was %s", metricsPort);
        Preconditions.checkArgument(httpPort >= -1 && httpPort <= 65535,
                "broker.httpPort must be -1 (off), 0 (any free port) or a port, was %s", httpPort);
        Preconditions.checkArgument(metricsBindAddress == null || !metricsBindAddress.isBlank(),
                "broker.metricsBindAddress must not be blank (unset: broker.bindAddress)");
        Preconditions.checkArgument(!bundleMoveTimeout.isNegative() && !bundleMoveTimeout.isZero(), "broker.bundleMoveTimeout must be positive");
        Preconditions.checkArgument(!policyCheckInterval.isNegative() && !policyCheckInterval.isZero(),
                "broker.policyCheckInterval must be positive");
        Preconditions.checkArgument(!backlogQuotaHoldTimeout.isNegative(), "broker.backlogQuotaHoldTimeout must be >= 0");
        Preconditions.checkArgument(defaultPolicies.retentionTimeMs() >= -1,
                "broker.defaultRetentionTimeSeconds must be -1 (forever) or >= 0");
        Preconditions.checkArgument(defaultPolicies.retentionSizeBytes() >= -1,
                "broker.defaultRetentionSizeBytes must be -1 (no limit) or >= 0");
        Preconditions.checkArgument(defaultPolicies.messageTtlMs() >= 0, "broker.defaultMessageTtlSeconds must be >= 0");
        Preconditions.checkArgument(!dedupProducerInactivityTimeout.isNegative() && !dedupProducerInactivityTimeout.isZero(),
                "broker.dedupProducerInactivityTimeout must be positive");
        Preconditions.checkArgument(dedupMaxProducersPerTopic >= 1, "broker.dedupMaxProducersPerTopic must be >= 1, was %s",
                dedupMaxProducersPerTopic);
        Preconditions.checkArgument(limits != null, "limits are required");
        Preconditions.checkArgument(storageTls != null, "storageTls is required (StorageTls.NONE for plaintext)");
        Preconditions.checkArgument(authentication != null, "authentication settings are required (AuthenticationSettings.DISABLED for none)");
        Preconditions.checkArgument(internal != null, "internal listener settings are required");
        Preconditions.checkArgument(clusterName != null && !clusterName.isBlank(), "broker.clusterName must not be blank");
        Preconditions.checkArgument(authorization != null, "authorization settings are required (AuthorizationConfig.DISABLED for none)");
        if (authorization.enabled() && !authentication.enabled()) {
            // without authentication no call has a role, so every call would be refused
            throw new IllegalArgumentException("broker.authorization.enabled=true needs broker.authentication.enabled=true: "
                    + "authorization decides by the role authentication finds");
        }
        Preconditions.checkArgument(port == 0 || internal.port() != port,
                "broker.internal.port must differ from broker.port (both are %s)", port);
        if (authentication.enabled() && internal.clientAuthTokenFile() == null && !brokersAuthenticateByCertificate(authentication, internal)) {
            throw new IllegalArgumentException("broker.authentication.enabled needs broker.internal.client.authTokenFile, or "
                    + "a client certificate (broker.internal.client.tls.certFile and keyFile) with "
                    + "broker.authentication.certificateRoles=true and broker.internal.tls.clientAuth optional or require: "
                    + "brokers authenticate to each other's internal listener with it");
        }
    }

    /** Whether brokers can prove who they are to each other by their client certificates alone. */
    private static boolean brokersAuthenticateByCertificate(AuthenticationSettings authentication, InternalListenerConfig internal) {
        return authentication.certificateRoles() && internal.clientTls() != null && internal.clientTls().certFile() != null
                && internal.tls() != null && internal.tls().clientAuth() != ServerTlsSettings.ClientAuth.NONE;
    }

    /** Defaults for a broker on this machine talking to ZooKeeper at {@code zookeeperServers}. */
    public static BrokerConfig defaults(String zookeeperServers) {
        return new Builder().zookeeperServers(zookeeperServers).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public BrokerConfig withPort(int p) {
        return toBuilder().port(p).build();
    }

    public BrokerConfig withAutoTopicCreation(boolean allow) {
        return toBuilder().allowAutoTopicCreation(allow).build();
    }

    public BrokerConfig withMaxMessageSize(int size) {
        return toBuilder().maxMessageSize(size).build();
    }

    public BrokerConfig withLog(ManagedLogConfig l) {
        return toBuilder().log(l).build();
    }

    /**
     * Changes some settings of a config; {@link #build()} validates the result. A new builder holds
     * the defaults (docs/configuration.md), all but {@code zookeeperServers}.
     */
    public static final class Builder {
        private String bindAddress = "0.0.0.0";
        private int port = 6651;
        private String advertisedAddress = "127.0.0.1";
        private String zookeeperServers;
        private String metadataRoot = "/tributary";
        private String ledgersRoot = "/ledgers";
        private Duration zkSessionTimeout = Duration.ofSeconds(15);
        private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        private boolean allowAutoTopicCreation = true;
        private int defaultBundles = 4;
        private ManagedLogConfig log = DEFAULT_LOG;
        private boolean allowSingleCopy = false;
        private Duration cursorPersistInterval = Duration.ofMillis(200);
        private int maxPendingPublishes = 1000;
        private int dispatchBatchSize = 100;
        private Duration pullConsumerIdleTimeout = Duration.ofSeconds(60);
        private LoadBalancerConfig loadBalancer = LoadBalancerConfig.DEFAULT;
        private int metricsPort = 8080;
        private String metricsBindAddress = null;
        private boolean drainOnShutdown = true;
        private Duration bundleMoveTimeout = Duration.ofSeconds(30);
        private Duration policyCheckInterval = Duration.ofSeconds(30);
        private Duration backlogQuotaHoldTimeout = Duration.ofSeconds(30);
        private Policies defaultPolicies = Policies.NONE;
        private Duration dedupProducerInactivityTimeout = Duration.ofHours(6);
        private int dedupMaxProducersPerTopic = 10_000;
        private ServiceLimits limits = ServiceLimits.DEFAULT;
        private TopicLimitDefaults topicLimits = TopicLimitDefaults.DEFAULT;
        private RateLimitDefaults rateLimits = RateLimitDefaults.NONE;
        private TransactionSettings transactions = TransactionSettings.DEFAULT;
        private StorageTls storageTls = StorageTls.NONE;
        private ServerTlsSettings tls = null;
        private AuthenticationSettings authentication = AuthenticationSettings.DISABLED;
        private InternalListenerConfig internal = InternalListenerConfig.DEFAULT;
        private AuthorizationConfig authorization = AuthorizationConfig.DISABLED;
        private String clusterName = "standalone";
        private boolean metricsTopicLevel = true;
        private boolean metricsProducerLevel = true;
        private ServerTlsSettings metricsTls = null;
        private int httpPort = -1;

        private Builder() {
        }

        private Builder(BrokerConfig c) {
            bindAddress = c.bindAddress;
            port = c.port;
            advertisedAddress = c.advertisedAddress;
            zookeeperServers = c.zookeeperServers;
            metadataRoot = c.metadataRoot;
            ledgersRoot = c.ledgersRoot;
            zkSessionTimeout = c.zkSessionTimeout;
            maxMessageSize = c.maxMessageSize;
            allowAutoTopicCreation = c.allowAutoTopicCreation;
            defaultBundles = c.defaultBundles;
            log = c.log;
            allowSingleCopy = c.allowSingleCopy;
            cursorPersistInterval = c.cursorPersistInterval;
            maxPendingPublishes = c.maxPendingPublishes;
            dispatchBatchSize = c.dispatchBatchSize;
            pullConsumerIdleTimeout = c.pullConsumerIdleTimeout;
            loadBalancer = c.loadBalancer;
            metricsPort = c.metricsPort;
            metricsBindAddress = c.metricsBindAddress;
            drainOnShutdown = c.drainOnShutdown;
            bundleMoveTimeout = c.bundleMoveTimeout;
            policyCheckInterval = c.policyCheckInterval;
            backlogQuotaHoldTimeout = c.backlogQuotaHoldTimeout;
            defaultPolicies = c.defaultPolicies;
            dedupProducerInactivityTimeout = c.dedupProducerInactivityTimeout;
            dedupMaxProducersPerTopic = c.dedupMaxProducersPerTopic;
            limits = c.limits;
            topicLimits = c.topicLimits;
            rateLimits = c.rateLimits;
            transactions = c.transactions;
            storageTls = c.storageTls;
            tls = c.tls;
            authentication = c.authentication;
            internal = c.internal;
            authorization = c.authorization;
            clusterName = c.clusterName;
            metricsTopicLevel = c.metricsTopicLevel;
            metricsProducerLevel = c.metricsProducerLevel;
            metricsTls = c.metricsTls;
            httpPort = c.httpPort;
        }

        public Builder bindAddress(String v) { bindAddress = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder advertisedAddress(String v) { advertisedAddress = v; return this; }
        public Builder zookeeperServers(String v) { zookeeperServers = v; return this; }
        public Builder metadataRoot(String v) { metadataRoot = v; return this; }
        public Builder ledgersRoot(String v) { ledgersRoot = v; return this; }
        public Builder zkSessionTimeout(Duration v) { zkSessionTimeout = v; return this; }
        public Builder maxMessageSize(int v) { maxMessageSize = v; return this; }
        public Builder allowAutoTopicCreation(boolean v) { allowAutoTopicCreation = v; return this; }
        public Builder defaultBundles(int v) { defaultBundles = v; return this; }
        public Builder log(ManagedLogConfig v) { log = v; return this; }
        public Builder allowSingleCopy(boolean v) { allowSingleCopy = v; return this; }

        /**
         * One copy of everything, for a single bookie (standalone, tests): ensemble, write and ack quorum
         * 1, with {@link #allowSingleCopy} set.
         */
        public Builder singleCopy() {
            log = log.withQuorum(1, 1, 1);
            allowSingleCopy = true;
            return this;
        }
        public Builder cursorPersistInterval(Duration v) { cursorPersistInterval = v; return this; }
        public Builder maxPendingPublishes(int v) { maxPendingPublishes = v; return this; }
        public Builder dispatchBatchSize(int v) { dispatchBatchSize = v; return this; }
        public Builder pullConsumerIdleTimeout(Duration v) { pullConsumerIdleTimeout = v; return this; }
        public Builder loadBalancer(LoadBalancerConfig v) { loadBalancer = v; return this; }
        public Builder metricsPort(int v) { metricsPort = v; return this; }
        /** The metrics endpoint's interface; null: the broker's {@code bindAddress}. */
        public Builder metricsBindAddress(String v) { metricsBindAddress = v; return this; }
        public Builder drainOnShutdown(boolean v) { drainOnShutdown = v; return this; }
        public Builder bundleMoveTimeout(Duration v) { bundleMoveTimeout = v; return this; }
        public Builder policyCheckInterval(Duration v) { policyCheckInterval = v; return this; }
        public Builder backlogQuotaHoldTimeout(Duration v) { backlogQuotaHoldTimeout = v; return this; }
        public Builder defaultPolicies(Policies v) { defaultPolicies = v; return this; }
        public Builder dedupProducerInactivityTimeout(Duration v) { dedupProducerInactivityTimeout = v; return this; }
        public Builder dedupMaxProducersPerTopic(int v) { dedupMaxProducersPerTopic = v; return this; }
        public Builder limits(ServiceLimits v) { limits = v; return this; }
        public Builder topicLimits(TopicLimitDefaults v) { topicLimits = v; return this; }
        public Builder rateLimits(RateLimitDefaults v) { rateLimits = v; return this; }
        public Builder transactions(TransactionSettings v) { transactions = v; return this; }
        public Builder storageTls(StorageTls v) { storageTls = v; return this; }
        /** TLS of the client port; null: plaintext. */
        public Builder tls(ServerTlsSettings v) { tls = v; return this; }
        public Builder authentication(AuthenticationSettings v) { authentication = v; return this; }
        public Builder internal(InternalListenerConfig v) { internal = v; return this; }
        public Builder authorization(AuthorizationConfig v) { authorization = v; return this; }
        public Builder clusterName(String v) { clusterName = v; return this; }
        public Builder metricsTopicLevel(boolean v) { metricsTopicLevel = v; return this; }
        public Builder metricsProducerLevel(boolean v) { metricsProducerLevel = v; return this; }
        /** TLS of the metrics endpoint; null: plain HTTP. */
        public Builder metricsTls(ServerTlsSettings v) { metricsTls = v; return this; }
        /** The REST admin API's port: -1 off, 0 any free port. */
        public Builder httpPort(int v) { httpPort = v; return this; }
        /** The internal listener's port (0 picks a free one), its other settings kept. */
        public Builder internalPort(int v) { internal = internal.withPort(v); return this; }

        public BrokerConfig build() {
            return new BrokerConfig(bindAddress, port, advertisedAddress, zookeeperServers, metadataRoot, ledgersRoot,
                    zkSessionTimeout, maxMessageSize, allowAutoTopicCreation, defaultBundles, log, allowSingleCopy,
                    cursorPersistInterval,
                    maxPendingPublishes, dispatchBatchSize, pullConsumerIdleTimeout, loadBalancer, metricsPort,
                    metricsBindAddress, drainOnShutdown, bundleMoveTimeout, policyCheckInterval, backlogQuotaHoldTimeout, defaultPolicies,
                    dedupProducerInactivityTimeout, dedupMaxProducersPerTopic, limits, topicLimits, rateLimits, storageTls, tls, authentication,
                    internal, authorization, clusterName, metricsTopicLevel, metricsProducerLevel, metricsTls,
                    httpPort, transactions);
        }
    }

    /**
     * Reads {@code broker.*} keys from {@code props}; an environment variable
     * {@code TRIBUTARY_BROKER_<KEY>} (key upper-cased, dots as underscores) overrides the file.
     */
    public static BrokerConfig fromProperties(Properties props, Map<String, String> env) {
        Settings s = new Settings(props, env);
        BrokerConfig d = defaults(s.get("broker.zookeeperServers", "127.0.0.1:2181"));
        ManagedLogConfig l = d.log();
        ManagedLogConfig log = new ManagedLogConfig(
                s.getInt("broker.ensembleSize", l.ensembleSize()),
                s.getInt("broker.writeQuorum", l.writeQuorum()),
                s.getInt("broker.ackQuorum", l.ackQuorum()),
                s.getLong("broker.ledgerRolloverSizeBytes", l.rolloverSizeBytes()),
                s.getLong("broker.ledgerRolloverEntries", l.rolloverEntries()),
                s.getDuration("broker.ledgerRolloverAge", l.rolloverAge()),
                s.getLong("broker.entryCacheSizeBytes", l.cacheSizeBytes()));
        LoadBalancerConfig b = d.loadBalancer();
        LoadBalancerConfig lb = new LoadBalancerConfig(
                s.getBoolean("broker.loadBalancerEnabled", b.enabled()),
                s.getDuration("broker.loadReportInterval", b.reportInterval()),
                s.getDuration("broker.loadBalancerInterval", b.interval()),
                s.getDouble("broker.loadBalancerOverloadThreshold", b.overloadThreshold()),
                s.getDuration("broker.loadBalancerGracePeriod", b.gracePeriod()),
                s.getDouble("broker.loadBalancerMaxMoveShare", b.maxMoveShare()),
                s.getInt("broker.loadBalancerMaxMovesPerCycle", b.maxMovesPerCycle()),
                s.getDouble("broker.loadBalancerMinRate", b.minRateToBalance()),
                s.getInt("broker.bundleSplitTopicThreshold", b.splitTopicThreshold()),
                s.getDouble("broker.bundleSplitRateThreshold", b.splitRateThreshold()),
                s.getInt("broker.maxBundlesPerNamespace", b.maxBundlesPerNamespace()));
        return d.toBuilder()
                .bindAddress(s.get("broker.bindAddress", d.bindAddress()))
                .port(s.getInt("broker.port", d.port()))
                .advertisedAddress(s.get("broker.advertisedAddress", d.advertisedAddress()))
                .metadataRoot(s.get("broker.metadataRoot", d.metadataRoot()))
                .ledgersRoot(s.get("broker.ledgersRoot", d.ledgersRoot()))
                .zkSessionTimeout(s.getDuration("broker.zkSessionTimeout", d.zkSessionTimeout()))
                .maxMessageSize(s.getInt("broker.maxMessageSize", d.maxMessageSize()))
                .allowAutoTopicCreation(s.getBoolean("broker.allowAutoTopicCreation", d.allowAutoTopicCreation()))
                .defaultBundles(s.getInt("broker.defaultBundles", d.defaultBundles()))
                .log(log)
                .allowSingleCopy(s.getBoolean("broker.allowSingleCopy", d.allowSingleCopy()))
                .cursorPersistInterval(s.getDuration("broker.cursorPersistInterval", d.cursorPersistInterval()))
                .maxPendingPublishes(s.getInt("broker.maxPendingPublishes", d.maxPendingPublishes()))
                .dispatchBatchSize(s.getInt("broker.dispatchBatchSize", d.dispatchBatchSize()))
                .pullConsumerIdleTimeout(s.getDuration("broker.pullConsumerIdleTimeout", d.pullConsumerIdleTimeout()))
                .loadBalancer(lb)
                .metricsPort(s.getInt("broker.metricsPort", d.metricsPort()))
                .metricsBindAddress(s.get("broker.metricsBindAddress", d.metricsBindAddress()))
                .drainOnShutdown(s.getBoolean("broker.drainOnShutdown", d.drainOnShutdown()))
                .bundleMoveTimeout(s.getDuration("broker.bundleMoveTimeout", d.bundleMoveTimeout()))
                .policyCheckInterval(s.getDuration("broker.policyCheckInterval", d.policyCheckInterval()))
                .backlogQuotaHoldTimeout(s.getDuration("broker.backlogQuotaHoldTimeout", d.backlogQuotaHoldTimeout()))
                .dedupProducerInactivityTimeout(s.getDuration("broker.dedupProducerInactivityTimeout",
                        d.dedupProducerInactivityTimeout()))
                .dedupMaxProducersPerTopic(s.getInt("broker.dedupMaxProducersPerTopic", d.dedupMaxProducersPerTopic()))
                .defaultPolicies(new Policies(Policies.millis(s.getLong("broker.defaultRetentionTimeSeconds", 0)),
                        s.getLong("broker.defaultRetentionSizeBytes", 0),
                        Policies.millis(s.getLong("broker.defaultMessageTtlSeconds", 0)), 0,
                        BacklogQuotaPolicy.BACKLOG_QUOTA_POLICY_UNSPECIFIED))
                .limits(ServiceLimits.from(s))
                .topicLimits(TopicLimitDefaults.from(s))
                .rateLimits(RateLimitDefaults.from(s))
                .transactions(TransactionSettings.from(s))
                .storageTls(StorageTls.from(s, "broker"))
                .tls(ServerTlsSettings.from(s, "broker.tls"))
                .authentication(s.getBoolean("broker.authentication.enabled", false)
                        ? AuthenticationSettings.from(s, "broker.authentication") : AuthenticationSettings.DISABLED)
                .internal(InternalListenerConfig.from(s))
                .authorization(AuthorizationConfig.from(s))
                .clusterName(s.get("broker.clusterName", d.clusterName()))
                .metricsTopicLevel(s.getBoolean("broker.metrics.topicLevel", d.metricsTopicLevel()))
                .metricsProducerLevel(s.getBoolean("broker.metrics.producerLevel", d.metricsProducerLevel()))
                .metricsTls(MetricsSettings.tlsFrom(s, "broker"))
                .httpPort(s.getInt("broker.httpPort", d.httpPort()))
                .build();
    }

    /** The address clients and proxies use to reach this broker. */
    public String serviceAddress(int boundPort) {
        return advertisedAddress + ":" + boundPort;
    }

    /** The address other brokers use to reach this broker's internal listener. */
    public String internalAddress(int boundPort) {
        return (internal.advertisedAddress() != null ? internal.advertisedAddress() : advertisedAddress) + ":" + boundPort;
    }

    /**
     * Where the metrics and health endpoint listens: {@code broker.metricsPort} on
     * {@code broker.metricsBindAddress}, by default the broker's own bind address; over HTTPS with
     * {@code metricsTls}.
     */
    public MetricsSettings metricsSettings() {
        return new MetricsSettings(metricsBindAddress != null ? metricsBindAddress : bindAddress, metricsPort, clusterName,
                metricsTls);
    }

    /** The interface the internal listener binds. */
    public String internalBindAddress() {
        return internal.bindAddress() != null ? internal.bindAddress() : bindAddress;
    }
}
