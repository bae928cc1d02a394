{{/* Names */}}
{{- define "tributary.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tributary.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* "<fullname>-<component>": call with (list $ "broker") */}}
{{- define "tributary.component" -}}
{{- printf "%s-%s" (include "tributary.fullname" (index . 0)) (index . 1) -}}
{{- end -}}

{{- define "tributary.clusterName" -}}
{{- default .Release.Name .Values.clusterName -}}
{{- end -}}

{{- define "tributary.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Labels: call with (list $ "broker") */}}
{{- define "tributary.selectorLabels" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/name: {{ include "tributary.name" $ }}
app.kubernetes.io/instance: {{ $.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "tributary.labels" -}}
{{- $ := index . 0 -}}
{{ include "tributary.selectorLabels" . }}
app.kubernetes.io/version: {{ default $.Chart.AppVersion $.Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ $.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" $.Chart.Name $.Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "tributary.chartLabels" -}}
app.kubernetes.io/name: {{ include "tributary.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ default .Chart.AppVersion .Values.image.tag | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* A property key's environment variable, as io.tributary.protocol.config.Settings.envName makes it:
     broker.zookeeperServers -> TRIBUTARY_BROKER_ZOOKEEPER_SERVERS */}}
{{- define "tributary.envName" -}}
{{- printf "TRIBUTARY_%s" (regexReplaceAll "([a-z])([A-Z])" (replace "." "_" .) "${1}_${2}" | upper) -}}
{{- end -}}

{{/* Services and addresses */}}
{{- define "tributary.zookeeper.headless" -}}{{ include "tributary.component" (list . "zookeeper-headless") }}{{- end -}}
{{- define "tributary.bookie.headless" -}}{{ include "tributary.component" (list . "bookie") }}{{- end -}}
{{- define "tributary.broker.headless" -}}{{ include "tributary.component" (list . "broker-headless") }}{{- end -}}

{{/* The port clients of ZooKeeper use: the secure one with TLS */}}
{{- define "tributary.zookeeper.clientPort" -}}
{{- if .Values.tls.enabled -}}{{ .Values.zookeeper.ports.tls }}{{- else -}}{{ .Values.zookeeper.ports.client }}{{- end -}}
{{- end -}}

{{/* ZooKeeper's connect string: every member by its stable name, or the external ensemble */}}
{{- define "tributary.zookeeper.connect" -}}
{{- if .Values.zookeeper.enabled -}}
{{- $headless := include "tributary.zookeeper.headless" . -}}
{{- $zk := include "tributary.component" (list . "zookeeper") -}}
{{- $port := include "tributary.zookeeper.clientPort" . -}}
{{- $members := list -}}
{{- range $i := until (int .Values.zookeeper.replicas) -}}
{{- $members = append $members (printf "%s-%d.%s:%s" $zk $i $headless $port) -}}
{{- end -}}
{{- join "," $members -}}
{{- else -}}
{{- .Values.zookeeper.external.servers -}}
{{- end -}}
{{- end -}}

{{/* --servers of an ensemble member: host:quorumPort:electionPort of every member, member 1 first */}}
{{- define "tributary.zookeeper.servers" -}}
{{- $headless := include "tributary.zookeeper.headless" . -}}
{{- $zk := include "tributary.component" (list . "zookeeper") -}}
{{- $members := list -}}
{{- range $i := until (int .Values.zookeeper.replicas) -}}
{{- $members = append $members (printf "%s-%d.%s:%d:%d" $zk $i $headless (int $.Values.zookeeper.ports.quorum) (int $.Values.zookeeper.ports.election)) -}}
{{- end -}}
{{- join "," $members -}}
{{- end -}}

{{/* The name every broker's certificate holds and proxies and brokers check it against: the broker
     Service's DNS name. Brokers are dialled at the pod IPs they advertise, which no certificate names */}}
{{- define "tributary.broker.tlsServerName" -}}
{{- printf "%s.%s.svc.%s" (include "tributary.component" (list . "broker")) .Release.Namespace .Values.clusterDomain -}}
{{- end -}}

{{- define "tributary.broker.serviceUrl" -}}
{{- printf "%s:%d" (include "tributary.component" (list . "broker")) (int .Values.broker.ports.client) -}}
{{- end -}}

{{/* Secret names */}}
{{- define "tributary.tlsSecret" -}}
{{- $ := index . 0 -}}
{{- $c := index . 1 -}}
{{- default (printf "%s-tls" (include "tributary.component" (list $ $c))) (index $.Values.tls $c).secretName -}}
{{- end -}}
{{- define "tributary.keysSecret" -}}
{{- default (include "tributary.component" (list . "auth-keys")) .Values.auth.keys.existingSecret -}}
{{- end -}}
{{- define "tributary.tokensSecret" -}}
{{- default (include "tributary.component" (list . "tokens")) .Values.auth.tokens.existingSecret -}}
{{- end -}}

{{/* Where secrets are mounted in the containers */}}
{{- define "tributary.tlsDir" -}}/etc/tributary/tls{{- end -}}
{{- define "tributary.keysDir" -}}/etc/tributary/auth{{- end -}}
{{- define "tributary.tokensDir" -}}/etc/tributary/tokens{{- end -}}
{{/* The token key file: secret.key (HS256) or public.key (RS256/ES256), as auth.keys.kind says */}}
{{- define "tributary.keyFile" -}}
{{- if eq .Values.auth.keys.kind "public" -}}public.key{{- else -}}secret.key{{- end -}}
{{- end -}}
{{- define "tributary.keyFileProperty" -}}
{{- if eq .Values.auth.keys.kind "public" -}}publicKeyFile{{- else -}}secretKeyFile{{- end -}}
{{- end -}}

{{/* The metrics endpoint's scheme */}}
{{- define "tributary.metricsScheme" -}}
{{- if and .Values.tls.enabled .Values.tls.metrics -}}HTTPS{{- else -}}HTTP{{- end -}}
{{- end -}}

{{/* Probes on /health/live and /health/ready of the metrics port: call with (list $ component) */}}
{{- define "tributary.probes" -}}
{{- $ := index . 0 -}}
{{- $p := (index $.Values (index . 1)).probes -}}
{{- $scheme := include "tributary.metricsScheme" $ -}}
startupProbe:
  httpGet: {path: /health/live, port: metrics, scheme: {{ $scheme }}}
  periodSeconds: {{ $p.startup.periodSeconds }}
  timeoutSeconds: {{ $p.startup.timeoutSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
livenessProbe:
  httpGet: {path: /health/live, port: metrics, scheme: {{ $scheme }}}
  initialDelaySeconds: {{ $p.liveness.initialDelaySeconds }}
  periodSeconds: {{ $p.liveness.periodSeconds }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
readinessProbe:
  httpGet: {path: /health/ready, port: metrics, scheme: {{ $scheme }}}
  initialDelaySeconds: {{ $p.readiness.initialDelaySeconds }}
  periodSeconds: {{ $p.readiness.periodSeconds }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
{{- end -}}

{{/* Scheduling: affinity (pod anti-affinity by component), topology spread, node selector,
     tolerations. Call with (list $ component) */}}
{{- define "tributary.scheduling" -}}
{{- $ := index . 0 -}}
{{- $c := index . 1 -}}
{{- $v := index $.Values $c -}}
{{- $anti := default $.Values.antiAffinity $v.antiAffinity -}}
{{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchLabels" (include "tributary.selectorLabels" (list $ $c) | fromYaml)) -}}
{{- $affinity := deepCopy (default (dict) $v.affinity) -}}
{{- if eq $anti "hard" -}}
{{- $_ := set $affinity "podAntiAffinity" (dict "requiredDuringSchedulingIgnoredDuringExecution" (list $term)) -}}
{{- else if eq $anti "soft" -}}
{{- $_ := set $affinity "podAntiAffinity" (dict "preferredDuringSchedulingIgnoredDuringExecution" (list (dict "weight" 100 "podAffinityTerm" $term))) -}}
{{- end -}}
{{- with $affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- $spread := merge (deepCopy (default (dict) $v.topologySpread)) $.Values.topologySpread -}}
{{- if $spread.enabled }}
topologySpreadConstraints:
  - maxSkew: {{ $spread.maxSkew }}
    topologyKey: {{ $spread.topologyKey }}
    whenUnsatisfiable: {{ $spread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "tributary.selectorLabels" (list $ $c) | nindent 8 }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pod annotations: the checksum of what the pod reads, when restartPodsOnConfigChange.
     Call with (list $ component) */}}
{{- define "tributary.podAnnotations" -}}
{{- $ := index . 0 -}}
{{- $c := index . 1 -}}
{{- $v := index $.Values $c -}}
{{- $annotations := deepCopy (default (dict) $v.podAnnotations) -}}
{{- if $.Values.restartPodsOnConfigChange -}}
{{- $inputs := list (include "tributary.configData" (list $ $c)) -}}
{{- if $.Values.tls.enabled -}}
{{- $inputs = append $inputs (toYaml (index $.Values.tls $c | default (dict))) -}}
{{- end -}}
{{- if $.Values.auth.enabled -}}
{{- $inputs = append $inputs (toYaml $.Values.auth) -}}
{{- end -}}
{{- $_ := set $annotations "checksum/config" (join "\n" $inputs | sha256sum) -}}
{{- end -}}
{{- with $annotations -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}

{{/* Volumes and mounts for TLS and tokens: call with (list $ component) */}}
{{- define "tributary.secretVolumes" -}}
{{- $ := index . 0 -}}
{{- $c := index . 1 -}}
{{- if $.Values.tls.enabled }}
- name: tls
  secret:
    secretName: {{ include "tributary.tlsSecret" (list $ $c) }}
    defaultMode: 0440
{{- end }}
{{- if and $.Values.auth.enabled (has $c (list "broker" "proxy")) }}
- name: auth-keys
  secret:
    secretName: {{ include "tributary.keysSecret" $ }}
    defaultMode: 0440
- name: tokens
  secret:
    secretName: {{ include "tributary.tokensSecret" $ }}
    defaultMode: 0440
    items:
      - key: {{ $c }}.token
        path: {{ $c }}.token
{{- end }}
{{- end -}}

{{- define "tributary.secretMounts" -}}
{{- $ := index . 0 -}}
{{- $c := index . 1 -}}
{{- if $.Values.tls.enabled }}
- name: tls
  mountPath: {{ include "tributary.tlsDir" $ }}
  readOnly: true
{{- end }}
{{- if and $.Values.auth.enabled (has $c (list "broker" "proxy")) }}
- name: auth-keys
  mountPath: {{ include "tributary.keysDir" $ }}
  readOnly: true
- name: tokens
  mountPath: {{ include "tributary.tokensDir" $ }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* Environment every container has: the pod's name and IP, the JVM's flags */}}
{{- define "tributary.podEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef: {fieldPath: metadata.name}
- name: POD_IP
  valueFrom:
    fieldRef: {fieldPath: status.podIP}
{{- end -}}
