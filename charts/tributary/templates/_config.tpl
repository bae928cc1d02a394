{{/* The environment of a component's processes, as a ConfigMap's data: what the chart sets from its
     values, then the component's `config` (property keys, turned into their variables), which wins.
     Call with (list $ component) */}}
{{- define "tributary.configData" -}}
{{- $ := index . 0 -}}
{{- $c := index . 1 -}}
{{- $v := index $.Values $c -}}
{{- $tls := $.Values.tls.enabled -}}
{{- $dir := include "tributary.tlsDir" $ -}}
{{- $cert := printf "%s/tls.crt" $dir -}}
{{- $key := printf "%s/tls.key" $dir -}}
{{- $ca := printf "%s/ca.crt" $dir -}}
{{- $zk := include "tributary.zookeeper.connect" $ -}}
{{- $env := dict -}}
{{- $_ := set $env (printf "%s.clusterName" $c) (include "tributary.clusterName" $) -}}
{{- $_ := set $env (printf "%s.metricsPort" $c) (include "tributary.str" $v.ports.metrics) -}}
{{- if and $tls $.Values.tls.metrics -}}
{{- $_ := set $env (printf "%s.metrics.tls.enabled" $c) "true" -}}
{{- end -}}
{{- if eq $c "zookeeper" -}}
{{- if $tls -}}
{{- $_ := set $env "zookeeper.tls.enabled" "true" -}}
{{- $_ := set $env "zookeeper.tls.certFile" $cert -}}
{{- $_ := set $env "zookeeper.tls.keyFile" $key -}}
{{- $_ := set $env "zookeeper.tls.trustCertsFile" $ca -}}
{{- $_ := set $env "zookeeper.tls.port" (include "tributary.str" $v.ports.tls) -}}
{{- $_ := set $env "zookeeper.tls.plaintextPortEnabled" "false" -}}
{{- $_ := set $env "zookeeper.tls.quorum" (toString (and $.Values.tls.zookeeperQuorum (gt (int $v.replicas) 1))) -}}
{{- end -}}
{{- else if eq $c "bookie" -}}
{{- if $tls -}}
{{- $_ := set $env "bookie.tls.enabled" "true" -}}
{{- $_ := set $env "bookie.tls.certFile" $cert -}}
{{- $_ := set $env "bookie.tls.keyFile" $key -}}
{{- $_ := set $env "bookie.tls.trustCertsFile" $ca -}}
{{- $_ := set $env "bookie.zookeeper.tls.trustCertsFile" $ca -}}
{{- end -}}
{{- else if eq $c "broker" -}}
{{- $_ := set $env "broker.zookeeperServers" $zk -}}
{{- $_ := set $env "broker.port" (include "tributary.str" $v.ports.client) -}}
{{- $_ := set $env "broker.internal.port" (include "tributary.str" $v.ports.internal) -}}
{{- if $tls -}}
{{- $_ := set $env "broker.tls.enabled" "true" -}}
{{- $_ := set $env "broker.tls.certFile" $cert -}}
{{- $_ := set $env "broker.tls.keyFile" $key -}}
{{- $_ := set $env "broker.tls.trustCertsFile" $ca -}}
{{- $_ := set $env "broker.internal.tls.enabled" "true" -}}
{{- $_ := set $env "broker.internal.tls.certFile" $cert -}}
{{- $_ := set $env "broker.internal.tls.keyFile" $key -}}
{{- $_ := set $env "broker.internal.tls.trustCertsFile" $ca -}}
{{- $_ := set $env "broker.internal.client.tls.trustCertsFile" $ca -}}
{{- $_ := set $env "broker.internal.client.tls.serverName" (include "tributary.broker.tlsServerName" $) -}}
{{- $_ := set $env "broker.zookeeper.tls.trustCertsFile" $ca -}}
{{- $_ := set $env "broker.bookkeeper.tls.trustCertsFile" $ca -}}
{{- end -}}
{{- if $.Values.auth.enabled -}}
{{- $a := $.Values.auth -}}
{{- $_ := set $env "broker.authentication.enabled" "true" -}}
{{- $_ := set $env (printf "broker.authentication.%s" (include "tributary.keyFileProperty" $)) (printf "%s/%s" (include "tributary.keysDir" $) (include "tributary.keyFile" $)) -}}
{{- $_ := set $env "broker.authentication.proxyRoles" $a.proxyRole -}}
{{- $_ := set $env "broker.internal.roles" $a.brokerRole -}}
{{- $_ := set $env "broker.internal.client.authTokenFile" (printf "%s/broker.token" (include "tributary.tokensDir" $)) -}}
{{- $_ := set $env "broker.authorization.enabled" (toString $a.authorization) -}}
{{- $_ := set $env "broker.superUserRoles" (join "," (append $a.superUserRoles $a.brokerRole | uniq)) -}}
{{- end -}}
{{- else if eq $c "proxy" -}}
{{- $_ := set $env "proxy.port" (include "tributary.str" $v.ports.client) -}}
{{- $_ := set $env "proxy.httpPort" (include "tributary.str" $v.ports.http) -}}
{{- $_ := set $env "proxy.zookeeperServers" $zk -}}
{{- $_ := set $env "proxy.brokerServiceUrl" (include "tributary.broker.serviceUrl" $) -}}
{{- if $tls -}}
{{- $_ := set $env "proxy.tls.enabled" "true" -}}
{{- $_ := set $env "proxy.tls.certFile" $cert -}}
{{- $_ := set $env "proxy.tls.keyFile" $key -}}
{{- $_ := set $env "proxy.tls.trustCertsFile" $ca -}}
{{- $_ := set $env "proxy.brokerClient.tls.trustCertsFile" $ca -}}
{{- $_ := set $env "proxy.brokerClient.tls.serverName" (include "tributary.broker.tlsServerName" $) -}}
{{- $_ := set $env "proxy.zookeeper.tls.trustCertsFile" $ca -}}
{{- end -}}
{{- if $.Values.auth.enabled -}}
{{- $_ := set $env "proxy.authentication.enabled" "true" -}}
{{- $_ := set $env (printf "proxy.authentication.%s" (include "tributary.keyFileProperty" $)) (printf "%s/%s" (include "tributary.keysDir" $) (include "tributary.keyFile" $)) -}}
{{- $_ := set $env "proxy.brokerClient.authTokenFile" (printf "%s/proxy.token" (include "tributary.tokensDir" $)) -}}
{{- end -}}
{{- end -}}
{{- range $k, $val := $v.config -}}
{{- if not (hasPrefix (printf "%s." $c) $k) -}}
{{- fail (printf "%s.config.%s: only %s.* keys belong there (docs/configuration.md)" $c $k $c) -}}
{{- end -}}
{{- $_ := set $env $k (include "tributary.str" $val) -}}
{{- end -}}
{{- $out := dict -}}
{{- range $k, $val := $env -}}
{{- $_ := set $out (include "tributary.envName" $k) $val -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* A value as a property's text: whole numbers without an exponent (YAML numbers arrive as floats) */}}
{{- define "tributary.str" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) -}}
{{- printf "%d" (int64 .) -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}
