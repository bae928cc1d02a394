#!/usr/bin/env python3
"""Writes the Grafana dashboards of this folder (the *.json files are generated: edit this file, run it).

Every dashboard has a `datasource` variable (no hard-coded data source UID) and every panel a unit
and a description. MetricsExpositionTest and DashboardsTest (integration-tests) evaluate every
expression against a real Prometheus scraping a running cluster.
"""
import json
import os

DS = {"type": "prometheus", "uid": "${datasource}"}
RATE = "$__rate_interval"


def var_datasource():
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0}


def var_query(name, label, query, include_all=True):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "query": {"query": query, "refId": name}, "definition": query, "refresh": 2,
            "includeAll": include_all, "multi": include_all, "allValue": ".*", "current": {}, "hide": 0, "sort": 1}


class Board:
    def __init__(self, uid, title, description):
        self.uid, self.title, self.description = uid, title, description
        self.panels, self.variables = [], [var_datasource()]
        self.x = self.y = 0
        self.row_height = 0

    def var(self, v):
        self.variables.append(v)
        return self

    def row(self, title):
        if self.x:
            self.y += self.row_height
        self.x = 0
        self.panels.append({"type": "row", "title": title, "collapsed": False, "panels": [],
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "id": len(self.panels) + 1})
        self.y += 1
        self.row_height = 0
        return self

    def panel(self, title, description, unit, targets, kind="timeseries", w=8, h=7, stacked=False):
        if self.x + w > 24:
            self.x, self.y = 0, self.y + self.row_height
            self.row_height = 0
        p = {"type": kind, "title": title, "description": description, "datasource": DS,
             "gridPos": {"h": h, "w": w, "x": self.x, "y": self.y}, "id": len(self.panels) + 1,
             "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
             "targets": [{"datasource": DS, "expr": expr, "legendFormat": legend, "refId": chr(65 + i)}
                         for i, (expr, legend) in enumerate(targets)]}
        if kind == "timeseries":
            p["fieldConfig"]["defaults"]["custom"] = {"stacking": {"mode": "normal" if stacked else "none"}}
            p["options"] = {"legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]},
                            "tooltip": {"mode": "multi"}}
        if kind == "stat":
            p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"}
        self.panels.append(p)
        self.x += w
        self.row_height = max(self.row_height, h)
        return self

    def json(self):
        return {"uid": self.uid, "title": self.title, "description": self.description, "tags": ["tributary"],
                "editable": True, "schemaVersion": 38, "version": 1, "refresh": "30s",
                "time": {"from": "now-1h", "to": "now"}, "timezone": "browser",
                "templating": {"list": self.variables}, "annotations": {"list": []}, "panels": self.panels}


def overview():
    b = Board("tributary-overview", "Tributary / Overview",
              "Health of every component, traffic, latency, ownership and the JVMs: the first page of an incident.")
    b.row("Health")
    b.panel("Brokers up", "Brokers whose /metrics Prometheus scraped successfully.", "short",
            [('sum(up{job="broker"})', "brokers")], kind="stat", w=6, h=4)
    b.panel("Proxies up", "Proxies whose /metrics Prometheus scraped successfully.", "short",
            [('sum(up{job="proxy"})', "proxies")], kind="stat", w=6, h=4)
    b.panel("Bookies up", "Bookies whose /metrics Prometheus scraped successfully.", "short",
            [('sum(up{job="bookie"})', "bookies")], kind="stat", w=6, h=4)
    b.panel("ZooKeeper up", "ZooKeeper servers whose /metrics Prometheus scraped successfully.", "short",
            [('sum(up{job="zookeeper"})', "servers")], kind="stat", w=6, h=4)
    b.panel("Proxy error ratio", "Share of calls through the proxies that ended with an error (not OK, not cancelled).",
            "percentunit",
            [('sum(rate(tributary_proxy_calls_total{code!="OK",code!="CANCELLED"}[%s])) / clamp_min(sum(rate(tributary_proxy_calls_total[%s])), 1e-9)' % (RATE, RATE), "errors")],
            kind="stat", w=6, h=4)
    b.panel("Load manager leader", "The broker that leads the load manager (1 on the leader).", "short",
            [('max by (instance) (tributary_loadmanager_leader) == 1', "{{instance}}")], kind="stat", w=6, h=4)
    b.row("Traffic")
    b.panel("Messages in", "Messages stored per second, by broker.", "ops",
            [('sum by (instance) (rate(tributary_broker_messages_in_total[%s]))' % RATE, "{{instance}}")], stacked=True)
    b.panel("Bytes in", "Bytes stored per second, by broker.", "Bps",
            [('sum by (instance) (rate(tributary_broker_bytes_in_total[%s]))' % RATE, "{{instance}}")], stacked=True)
    b.panel("Publish latency", "From a batch's arrival at the broker to its acknowledgement (stored by the ack quorum of bookies).", "s",
            [('histogram_quantile(0.99, sum by (le) (rate(tributary_broker_publish_latency_seconds_bucket[%s])))' % RATE, "p99"),
             ('histogram_quantile(0.5, sum by (le) (rate(tributary_broker_publish_latency_seconds_bucket[%s])))' % RATE, "p50")])
    b.row("Topics")
    b.panel("Top topics by backlog", "The ten topics whose subscriptions are furthest behind, in messages.", "short",
            [('topk(10, sum by (topic) (tributary_subscription_backlog_messages))', "{{topic}}")], kind="bargauge", w=12)
    b.panel("Top topics by publish rate", "The ten topics publishing most, messages per second.", "ops",
            [('topk(10, sum by (topic) (tributary_topic_publish_rate))', "{{topic}}")], kind="bargauge", w=12)
    b.panel("Storage", "Bytes all topics' ledgers hold (one copy), by namespace.", "bytes",
            [('sum by (namespace) (tributary_topic_storage_size_bytes)', "{{namespace}}")], w=12, stacked=True)
    b.panel("Backlog", "Messages not yet acknowledged, by namespace.", "short",
            [('sum by (namespace) (tributary_subscription_backlog_messages)', "{{namespace}}")], w=12, stacked=True)
    b.panel("Oldest backlogs", "The ten subscriptions whose oldest unacknowledged message is oldest: how far behind in time.", "s",
            [('topk(10, max by (topic, subscription) (tributary_subscription_backlog_age_seconds))', "{{topic}} {{subscription}}")],
            kind="bargauge", w=12)
    b.panel("Fullest backlog quotas", "The ten topics closest to their backlog quota (at 100% the quota's policy acts).", "percentunit",
            [('topk(10, max by (topic) (tributary_topic_backlog_quota_usage_ratio))', "{{topic}}")], kind="bargauge", w=12)
    b.row("Ownership")
    b.panel("Bundles owned", "Namespace bundles each broker owns.", "short",
            [('sum by (instance) (tributary_broker_bundles_owned)', "{{instance}}")], stacked=True)
    b.panel("Topics loaded", "Topics each broker serves.", "short",
            [('sum by (instance) (tributary_broker_topics_loaded)', "{{instance}}")], stacked=True)
    b.panel("Bundle moves", "Bundles moved off brokers, by reason (shed, drain, admin), per minute.", "short",
            [('sum by (reason) (increase(tributary_loadmanager_unloads_total[1m]))', "{{reason}}")])
    b.row("JVM")
    b.panel("Heap used", "Heap in use by each process, against its maximum.", "bytes",
            [('sum by (job, instance) (jvm_memory_bytes_used{area="heap"})', "{{job}} {{instance}}")])
    b.panel("Direct memory", "Direct buffers in use (Netty, gRPC, BookKeeper).", "bytes",
            [('sum by (job, instance) (jvm_buffer_pool_used_bytes{pool="direct"})', "{{job}} {{instance}}")])
    b.panel("GC time", "Share of time spent in garbage collection.", "percentunit",
            [('sum by (job, instance) (rate(jvm_gc_collection_seconds_sum[%s]))' % RATE, "{{job}} {{instance}}")])
    return b


def brokers():
    b = Board("tributary-brokers", "Tributary / Brokers and load balancing",
              "Ownership over time, the load manager's decisions and the pauses bundle moves cause.")
    b.var(var_query("instance", "Broker", 'label_values(tributary_broker_bundles_owned, instance)'))
    b.row("Ownership")
    b.panel("Bundles owned", "Bundles each broker owns over time: a move shows as one line down, another up.", "short",
            [('tributary_broker_bundles_owned{instance=~"$instance"}', "{{instance}}")], w=12)
    b.panel("Topics loaded", "Topics each broker serves.", "short",
            [('tributary_broker_topics_loaded{instance=~"$instance"}', "{{instance}}")], w=12)
    b.row("Load")
    b.panel("Load score", "What the load manager's leader balances by: messages in and out per second, by broker.", "ops",
            [('tributary_loadmanager_broker_load', "{{broker}}")], w=12)
    b.panel("CPU", "Each broker process's share of the machine's CPUs.", "percentunit",
            [('tributary_loadmanager_broker_cpu_usage_ratio', "{{broker}}")], w=12)
    b.panel("Bandwidth", "Bytes stored and delivered per second, by broker.", "Bps",
            [('tributary_loadmanager_broker_bytes_in_rate', "in {{broker}}"),
             ('tributary_loadmanager_broker_bytes_out_rate', "out {{broker}}")], w=12)
    b.panel("Memory", "Heap and direct memory in use, by broker, as last reported.", "bytes",
            [('tributary_loadmanager_broker_heap_used_bytes', "heap {{broker}}"),
             ('tributary_loadmanager_broker_direct_memory_used_bytes', "direct {{broker}}")], w=12)
    b.row("Load manager")
    b.panel("Assignments", "Unowned bundles the leader assigned, by reason, per minute.", "short",
            [('sum by (reason) (increase(tributary_loadmanager_assignments_total[1m]))', "{{reason}}")])
    b.panel("Unloads", "Bundles moved off a broker, by reason (shed, drain, admin), per minute.", "short",
            [('sum by (reason) (increase(tributary_loadmanager_unloads_total[1m]))', "{{reason}}")])
    b.panel("Splits", "Bundles split, by reason (topics, rate, admin), per minute.", "short",
            [('sum by (reason) (increase(tributary_loadmanager_splits_total[1m]))', "{{reason}}")])
    b.panel("Failed moves and splits", "Bundle moves and splits that failed, by why they were asked and the error, per 5 minutes.", "short",
            [('sum by (reason, error) (increase(tributary_loadmanager_unload_failures_total[5m]))', "move {{reason}} {{error}}"),
             ('sum by (reason, error) (increase(tributary_loadmanager_split_failures_total[5m]))', "split {{reason}} {{error}}")], w=12)
    b.panel("Bundle move time", "Time to hand one bundle to another broker, as the old owner sees it: the pause its topics' publishers feel.", "s",
            [('histogram_quantile(0.99, sum by (le) (rate(tributary_broker_bundle_move_seconds_bucket[%s])))' % RATE, "p99"),
             ('sum(tributary_broker_bundle_move_seconds_sum) / clamp_min(sum(tributary_broker_bundle_move_seconds_count), 1)', "mean since start")], w=12)
    b.row("Storage")
    b.panel("Ledger rollovers and trims", "Ledgers closed for a new one, and ledgers deleted after consumption, per minute.", "short",
            [('sum by (instance) (increase(tributary_broker_ledger_rollovers_total{instance=~"$instance"}[1m]))', "rolled {{instance}}"),
             ('sum by (instance) (increase(tributary_broker_ledgers_trimmed_total{instance=~"$instance"}[1m]))', "trimmed {{instance}}")])
    b.panel("Cursor writes", "Time to store a subscription's acknowledgements (99th percentile), and failed writes per minute.", "s",
            [('histogram_quantile(0.99, sum by (le, instance) (rate(tributary_broker_cursor_persist_seconds_bucket{instance=~"$instance"}[%s])))' % RATE, "p99 {{instance}}"),
             ('sum by (instance) (increase(tributary_broker_cursor_persist_failures_total{instance=~"$instance"}[1m]))', "failed {{instance}}")])
    b.panel("Entry cache", "Reads of tailing consumers answered from the cache, against all reads.", "percentunit",
            [('sum by (instance) (rate(tributary_broker_entry_cache_hits_total{instance=~"$instance"}[%s])) / clamp_min(sum by (instance) (rate(tributary_broker_entry_cache_hits_total{instance=~"$instance"}[%s])) + sum by (instance) (rate(tributary_broker_entry_cache_misses_total{instance=~"$instance"}[%s])), 1e-9)' % (RATE, RATE, RATE), "hit ratio {{instance}}")])
    b.panel("Publish throttling", "Producers held back by the broker's back-pressure (average number of streams not read), by reason: pending appends or the full publish buffer.", "short",
            [('sum by (instance, reason) (rate(tributary_broker_publish_throttled_seconds_total{instance=~"$instance"}[%s]))' % RATE, "{{instance}} {{reason}}")])
    b.panel("Publish buffer", "Bytes of publishes read and not yet stored, against the buffer's limit (at the limit no producer is read).", "bytes",
            [('tributary_broker_publish_buffer_used_bytes{instance=~"$instance"}', "used {{instance}}"),
             ('tributary_broker_publish_buffer_limit_bytes{instance=~"$instance"}', "limit {{instance}}")])
    b.panel("Lookup redirects", "Requests answered with NOT_OWNER or BUNDLE_MOVING, per second, by broker.", "ops",
            [('sum by (instance) (rate(tributary_broker_lookup_redirects_total{instance=~"$instance"}[%s]))' % RATE, "{{instance}}")], w=12)
    return b


def proxy():
    b = Board("tributary-proxy", "Tributary / Proxy",
              "Connections, streams, calls, forwarding latency, lookups and refusals of the gRPC proxies.")
    b.var(var_query("instance", "Proxy", 'label_values(tributary_proxy_connections, instance)'))
    b.row("Clients")
    b.panel("Connections", "Client connections open now.", "short",
            [('sum by (instance) (tributary_proxy_connections{instance=~"$instance"})', "{{instance}}")])
    b.panel("Active streams", "Publish and Subscribe streams open now.", "short",
            [('sum by (kind) (tributary_proxy_active_streams{instance=~"$instance"})', "{{kind}}")])
    b.panel("Stream bytes", "Bytes forwarded on streams per second, in (from clients) and out (to clients).", "Bps",
            [('sum by (kind) (rate(tributary_proxy_bytes_in_total{instance=~"$instance"}[%s]))' % RATE, "in {{kind}}"),
             ('sum by (kind) (rate(tributary_proxy_bytes_out_total{instance=~"$instance"}[%s]))' % RATE, "out {{kind}}")])
    b.row("Calls")
    b.panel("Calls by method", "Calls that ended per second, by method.", "ops",
            [('sum by (method) (rate(tributary_proxy_calls_total{instance=~"$instance"}[%s]))' % RATE, "{{method}}")])
    b.panel("Forwarding latency", "Unary calls, from arrival to answer, lookup and forwarding included.", "s",
            [('histogram_quantile(0.99, sum by (le, method) (rate(tributary_proxy_forward_latency_seconds_bucket{instance=~"$instance"}[%s])))' % RATE, "p99 {{method}}")])
    b.panel("Refusals", "Calls ended with an error reason, per second, by reason.", "ops",
            [('sum by (reason) (rate(tributary_proxy_rejections_total{instance=~"$instance"}[%s]))' % RATE, "{{reason}}")])
    b.row("Lookups")
    b.panel("Lookups", "Topic lookups sent to brokers per second, by result.", "ops",
            [('sum by (result) (rate(tributary_proxy_lookups_total{instance=~"$instance"}[%s]))' % RATE, "{{result}}")], w=12)
    b.panel("Owner cache hit ratio", "Share of owners found in the proxy's cache.", "percentunit",
            [('sum(rate(tributary_proxy_lookup_cache_hits_total{instance=~"$instance"}[%s])) / clamp_min(sum(rate(tributary_proxy_lookup_cache_hits_total{instance=~"$instance"}[%s])) + sum(rate(tributary_proxy_lookup_cache_misses_total{instance=~"$instance"}[%s])), 1e-9)' % (RATE, RATE, RATE), "hit ratio")], w=12)
    return b


def jvm():
    b = Board("tributary-jvm", "Tributary / JVM", "Memory, garbage collection and threads of every Tributary process.")
    b.var(var_query("job", "Process", 'label_values(jvm_info, job)'))
    b.var(var_query("instance", "Instance", 'label_values(jvm_info{job=~"$job"}, instance)'))
    b.row("Memory")
    b.panel("Heap", "Heap in use and its maximum.", "bytes",
            [('sum by (instance) (jvm_memory_bytes_used{area="heap", job=~"$job", instance=~"$instance"})', "used {{instance}}"),
             ('sum by (instance) (jvm_memory_bytes_max{area="heap", job=~"$job", instance=~"$instance"})', "max {{instance}}")])
    b.panel("Direct memory", "Direct buffers in use.", "bytes",
            [('sum by (instance) (jvm_buffer_pool_used_bytes{pool="direct", job=~"$job", instance=~"$instance"})', "{{instance}}")])
    b.panel("Resident memory", "The process's resident set.", "bytes",
            [('process_resident_memory_bytes{job=~"$job", instance=~"$instance"}', "{{instance}}")])
    b.row("CPU, GC, threads")
    b.panel("CPU", "CPU seconds used per second.", "percentunit",
            [('rate(process_cpu_seconds_total{job=~"$job", instance=~"$instance"}[%s])' % RATE, "{{instance}}")])
    b.panel("GC time", "Share of time in each collector.", "percentunit",
            [('sum by (instance, gc) (rate(jvm_gc_collection_seconds_sum{job=~"$job", instance=~"$instance"}[%s]))' % RATE, "{{instance}} {{gc}}")])
    b.panel("Threads", "Live threads.", "short",
            [('jvm_threads_current{job=~"$job", instance=~"$instance"}', "{{instance}}")])
    return b


def topics():
    b = Board("tributary-topics", "Tributary / Topics and subscriptions",
              "Traffic, storage and backlog of chosen namespaces, topics and subscriptions.")
    b.var(var_query("namespace", "Namespace", 'label_values(tributary_topic_messages_in_total, namespace)'))
    b.var(var_query("topic", "Topic", 'label_values(tributary_topic_messages_in_total{namespace=~"$namespace"}, topic)'))
    b.var(var_query("subscription", "Subscription",
                    'label_values(tributary_subscription_backlog_messages{namespace=~"$namespace", topic=~"$topic"}, subscription)'))
    sel = 'namespace=~"$namespace", topic=~"$topic"'
    sub = sel + ', subscription=~"$subscription"'
    b.row("Traffic")
    b.panel("Messages in", "Messages published per second, by topic.", "ops",
            [('sum by (topic) (rate(tributary_topic_messages_in_total{%s}[%s]))' % (sel, RATE), "{{topic}}")])
    b.panel("Messages out", "Messages delivered per second, by topic.", "ops",
            [('sum by (topic) (rate(tributary_topic_messages_out_total{%s}[%s]))' % (sel, RATE), "{{topic}}")])
    b.panel("Bytes in and out", "Bytes stored and delivered per second.", "Bps",
            [('sum(rate(tributary_topic_bytes_in_total{%s}[%s]))' % (sel, RATE), "in"),
             ('sum(rate(tributary_topic_bytes_out_total{%s}[%s]))' % (sel, RATE), "out")])
    b.panel("Top topics by publish rate", "The ten topics publishing most, messages per second.", "ops",
            [('topk(10, sum by (topic) (tributary_topic_publish_rate{%s}))' % sel, "{{topic}}")], kind="bargauge", w=12)
    b.panel("Producers", "Producers connected, by topic.", "short",
            [('sum by (topic) (tributary_topic_producers{%s})' % sel, "{{topic}}")], w=12)
    b.panel("Publish rate by producer", "Messages each connected producer publishes per second (the twenty busiest).", "ops",
            [('topk(20, sum by (topic, producer) (tributary_producer_publish_rate{%s}))' % sel, "{{topic}} {{producer}}")], w=24)
    b.row("Storage")
    b.panel("Storage size", "Bytes the topics' ledgers hold (one copy).", "bytes",
            [('sum by (topic) (tributary_topic_storage_size_bytes{%s})' % sel, "{{topic}}")], w=12, stacked=True)
    b.panel("Ledgers", "Ledgers each topic's log is made of.", "short",
            [('sum by (topic) (tributary_topic_ledgers{%s})' % sel, "{{topic}}")], w=12)
    b.panel("Backlog quota usage", "Each topic's largest subscription backlog against its backlog quota (topics with a quota); at 100% the quota's policy acts.",
            "percentunit", [('max by (topic) (tributary_topic_backlog_quota_usage_ratio{%s})' % sel, "{{topic}}")], w=24)
    b.row("Subscriptions")
    b.panel("Backlog", "Messages not yet acknowledged, by subscription.", "short",
            [('sum by (topic, subscription) (tributary_subscription_backlog_messages{%s})' % sub, "{{topic}} {{subscription}}")])
    b.panel("Backlog bytes", "Bytes not yet acknowledged, by subscription.", "bytes",
            [('sum by (topic, subscription) (tributary_subscription_backlog_bytes{%s})' % sub, "{{topic}} {{subscription}}")])
    b.panel("Top backlogs", "The ten subscriptions furthest behind, in messages.", "short",
            [('topk(10, sum by (topic, subscription) (tributary_subscription_backlog_messages{%s}))' % sub, "{{topic}} {{subscription}}")],
            kind="bargauge")
    b.panel("Backlog age", "Age of each subscription's oldest unacknowledged message, by its publish time; 0 without a backlog.", "s",
            [('max by (topic, subscription) (tributary_subscription_backlog_age_seconds{%s})' % sub, "{{topic}} {{subscription}}")])
    b.panel("Unacknowledged", "Messages delivered and not acknowledged yet.", "short",
            [('sum by (subscription) (tributary_subscription_unacked_messages{%s})' % sub, "{{subscription}}")])
    b.panel("Redeliveries", "Messages delivered again per second (negative acks, ack timeouts, consumers gone).", "ops",
            [('sum by (subscription) (rate(tributary_subscription_redelivered_messages_total{%s}[%s]))' % (sub, RATE), "{{subscription}}")])
    b.panel("Consumers", "Consumers attached, by subscription.", "short",
            [('sum by (subscription) (tributary_subscription_consumers{%s})' % sub, "{{subscription}}")])
    b.panel("Delayed", "Messages held back until their delivery time.", "short",
            [('sum by (subscription) (tributary_subscription_delayed_messages{%s})' % sub, "{{subscription}}")], w=12)
    b.panel("Expired", "Messages acknowledged by the broker as their TTL passed, per second.", "ops",
            [('sum by (subscription) (rate(tributary_subscription_expired_messages_total{%s}[%s]))' % (sub, RATE), "{{subscription}}")], w=12)
    b.panel("Dead-lettered", "Messages consumers sent to the subscription's dead-letter topic after too many deliveries, per minute.", "short",
            [('sum by (subscription) (increase(tributary_subscription_dead_lettered_messages_total{%s}[1m]))' % sub, "{{subscription}}")], w=12)
    return b


def storage():
    b = Board("tributary-storage", "Tributary / Bookies and ZooKeeper",
              "BookKeeper's bookies (latency, journal, state, disk) and ZooKeeper (latency, load, sessions, znodes).")
    b.var(var_query("bookie", "Bookie", 'label_values(tributary_bookie_writable, instance)'))
    bk = 'instance=~"$bookie"'
    b.row("Bookies")
    b.panel("Writable", "1 while a bookie accepts writes, 0 while it is read-only.", "short",
            [('tributary_bookie_writable{%s}' % bk, "{{instance}}")], kind="stat", w=6, h=4)
    b.panel("Disk used", "Used fraction of the disk holding each bookie's ledgers (read-only at 95% by default).", "percentunit",
            [('tributary_bookie_disk_usage_ratio{%s}' % bk, "{{instance}}")], kind="stat", w=6, h=4)
    b.panel("Bookies up", "Bookies whose /metrics Prometheus scraped.", "short",
            [('sum(up{job="bookie"})', "bookies")], kind="stat", w=6, h=4)
    b.panel("ZooKeeper servers up", "ZooKeeper servers whose /metrics Prometheus scraped.", "short",
            [('sum(up{job="zookeeper"})', "servers")], kind="stat", w=6, h=4)
    b.panel("Add latency", "An add at the bookie, from its queueing to its response, journal included (99th percentile over the last minute).", "ms",
            [('max by (instance) (bookkeeper_server_ADD_ENTRY{success="true", quantile="0.99", %s})' % bk, "p99 {{instance}}")])
    b.panel("Read latency", "A read request at the bookie, from arrival to response (99th percentile over the last minute).", "ms",
            [('max by (instance) (bookkeeper_server_READ_ENTRY_REQUEST{success="true", quantile="0.99", %s})' % bk, "p99 {{instance}}")])
    b.panel("Adds", "Add requests served per second.", "ops",
            [('sum by (instance) (rate(bookkeeper_server_ADD_ENTRY_count{success="true", %s}[%s]))' % (bk, RATE), "{{instance}}")])
    b.panel("Journal sync", "Time to fsync the journal (99th percentile): what every acknowledged add waits for.", "ms",
            [('max by (instance) (bookie_journal_JOURNAL_SYNC{success="true", quantile="0.99", %s})' % bk, "p99 {{instance}}")], w=12)
    b.panel("Journal queue latency", "Time an add waits in the journal's queue (99th percentile).", "ms",
            [('max by (instance) (bookie_journal_JOURNAL_QUEUE_LATENCY{success="true", quantile="0.99", %s})' % bk, "p99 {{instance}}")], w=12)
    b.row("ZooKeeper")
    b.panel("Request latency", "ZooKeeper's average request latency.", "ms",
            [('avg_latency{job="zookeeper"}', "{{instance}}")])
    b.panel("Outstanding requests", "Requests queued in ZooKeeper: growth means it cannot keep up.", "short",
            [('outstanding_requests{job="zookeeper"}', "{{instance}}")])
    b.panel("Sessions", "Client sessions (brokers, bookies, proxies none).", "short",
            [('global_sessions{job="zookeeper"}', "{{instance}}")])
    b.panel("Znodes", "Znodes stored: topics, cursors, bundles, ledgers' metadata.", "short",
            [('znode_count{job="zookeeper"}', "{{instance}}")], w=12)
    b.panel("Connections", "Client connections open.", "short",
            [('num_alive_connections{job="zookeeper"}', "{{instance}}")], w=12)
    return b


BOARDS = [overview, brokers, topics, proxy, storage, jvm]

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for make in BOARDS:
        board = make()
        name = board.uid.replace("tributary-", "") + ".json"
        with open(os.path.join(here, name), "w") as f:
            json.dump(board.json(), f, indent=2)
            f.write("\n")
        print("wrote", name)
