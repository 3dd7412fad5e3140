{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "hostward.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix: the release name when it already contains the chart name. */}}
{{- define "hostward.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "hostward.agentName" -}}
{{- printf "%s-agent" (include "hostward.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hostward.collectorName" -}}
{{- printf "%s-collector" (include "hostward.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every resource. */}}
{{- define "hostward.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "hostward.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component (agent or collector): stable across upgrades. */}}
{{- define "hostward.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hostward.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The image reference: repository@digest, else repository:tag (tag defaults to appVersion). */}}
{{- define "hostward.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The agent's configuration file: the user's agent.config under the keys the chart owns. */}}
{{- define "hostward.agentConfig" -}}
{{- /* trustedRoots: the mounted root is the node's own, so its sshd runs chrooted as the host's binary
(docs/threat-model.md); without it an AppArmor node, which hides PID 1's root, would sandbox it. */ -}}
{{- $owned := dict
  "root" .Values.agent.hostRoot
  "trustedRoots" (list .Values.agent.hostRoot)
  "agent" (dict "port" (int .Values.agent.port) "schedule" .Values.agent.schedule "stateDir" .Values.agent.stateDir)
  "log" (dict "level" .Values.agent.logLevel)
  "probes" (dict
    "ssh" (dict "live" .Values.agent.hostNetwork)
    "ports" (dict "reachability" (ternary "auto" false .Values.agent.hostNetwork)))
-}}
{{- toYaml (mustMergeOverwrite (deepCopy .Values.agent.config) $owned) -}}
{{- end -}}

{{/* Whether the agent has a web configuration (TLS, basic auth or bearer tokens): "true" or "". */}}
{{- define "hostward.agentWeb" -}}
{{- $w := .Values.agent.web -}}
{{- if or $w.tls.enabled $w.basicAuth.enabled $w.bearer.enabled }}true{{ end -}}
{{- end -}}

{{/*
The agent's web configuration in exporter-toolkit's format (src/agent/web-config.ts), pointing at the
Secrets the DaemonSet mounts. The basic-auth entries are bcrypt hashes, never passwords.
*/}}
{{- define "hostward.agentWebConfig" -}}
{{- $w := .Values.agent.web -}}
{{- $c := dict -}}
{{- if $w.tls.enabled -}}
{{- $tls := dict "cert_file" "/etc/hostward/web-tls/tls.crt" "key_file" "/etc/hostward/web-tls/tls.key" "client_auth_type" $w.tls.clientAuthType "min_version" $w.tls.minVersion -}}
{{- if has $w.tls.clientAuthType (list "VerifyClientCertIfGiven" "RequireAndVerifyClientCert") -}}
{{- $_ := set $tls "client_ca_file" (printf "/etc/hostward/web-tls/%s" $w.tls.clientCAKey) -}}
{{- end -}}
{{- $_ := set $c "tls_server_config" $tls -}}
{{- end -}}
{{- if $w.basicAuth.enabled -}}
{{- $_ := set $c "basic_auth_users" $w.basicAuth.users -}}
{{- end -}}
{{- if $w.bearer.enabled -}}
{{- $_ := set $c "bearer_tokens_file" (printf "/etc/hostward/web-bearer/%s" $w.bearer.secretKey) -}}
{{- end -}}
{{- toYaml $c -}}
{{- end -}}

{{/*
Where the agent listens (HOSTWARD_LISTEN). agent.listen when set; else, on the host network, the node's
own address (status.hostIP, expanded by the kubelet from HOST_IP) and loopback (kubectl port-forward connects
there), so the port is not on the node's other addresses; on the pod network, the default 0.0.0.0.
*/}}
{{- define "hostward.agentListen" -}}
{{- if .Values.agent.listen -}}
{{- join "," .Values.agent.listen -}}
{{- else if .Values.agent.hostNetwork -}}
$(HOST_IP),127.0.0.1
{{- end -}}
{{- end -}}

{{/*
How a PodMonitor or ServiceMonitor scrapes the agent when its web configuration is on: scheme, tlsConfig,
and basicAuth or authorization from Secrets (a bearer token wins when both are set). Call with the root context.
*/}}
{{- define "hostward.agentScrapeAuth" -}}
{{- $w := .Values.agent.web -}}
{{- if $w.tls.enabled }}
scheme: https
tlsConfig:
  ca:
    secret:
      name: {{ default $w.tls.secretName $w.tls.scrape.caSecretName }}
      key: {{ $w.tls.scrape.caSecretKey }}
  serverName: {{ default (printf "%s.%s.svc" (include "hostward.agentName" .) .Release.Namespace) $w.tls.scrape.serverName }}
  {{- if $w.tls.scrape.insecureSkipVerify }}
  insecureSkipVerify: true
  {{- end }}
  {{- with $w.tls.scrape.clientCertSecretName }}
  cert:
    secret:
      name: {{ . }}
      key: tls.crt
  keySecret:
    name: {{ . }}
    key: tls.key
  {{- end }}
{{- end }}
{{- if $w.bearer.enabled }}
authorization:
  type: Bearer
  credentials:
    name: {{ $w.bearer.secretName }}
    key: {{ $w.bearer.secretKey }}
{{- else if $w.basicAuth.enabled }}
basicAuth:
  username:
    name: {{ $w.basicAuth.secretName }}
    key: {{ $w.basicAuth.usernameKey }}
  password:
    name: {{ $w.basicAuth.secretName }}
    key: {{ $w.basicAuth.passwordKey }}
{{- end }}
{{- end -}}

{{/* The TCP port of a URL: the explicit one, else 443 for https and 80 for http. */}}
{{- define "hostward.urlPort" -}}
{{- $u := urlParse . -}}
{{- $explicit := regexFind ":[0-9]+$" $u.host -}}
{{- if $explicit -}}{{ trimPrefix ":" $explicit }}{{- else if eq $u.scheme "https" -}}443{{- else -}}80{{- end -}}
{{- end -}}

{{/* The collector's sinks as the values configure them, by the names routes use (src/collector/sinks.ts). */}}
{{- define "hostward.collectorSinkNames" -}}
{{- $s := .Values.collector.sinks -}}
{{- $names := list -}}
{{- if eq $s.file "-" }}{{ $names = append $names "stdout" }}{{ else if $s.file }}{{ $names = append $names "file" }}{{ end -}}
{{- if $s.slack.secretName }}{{ $names = append $names "slack" }}{{ end -}}
{{- if $s.pagerduty.secretName }}{{ $names = append $names "pagerduty" }}{{ end -}}
{{- if $s.alertmanagerUrls }}{{ $names = append $names "alertmanager" }}{{ end -}}
{{- if $s.webhook.secretName }}{{ $names = append $names "webhook" }}{{ end -}}
{{- toJson $names -}}
{{- end -}}

{{/*
TCP ports the collector's egress needs, from its configured sinks: Slack's webhooks (443), the PagerDuty
Events API URL, every Alertmanager URL, the webhook's port (its URL is a secret the chart cannot read), and
networkPolicy.extraEgressPorts.
*/}}
{{- define "hostward.collectorEgressPorts" -}}
{{- $s := .Values.collector.sinks -}}
{{- $ports := list -}}
{{- if $s.slack.secretName }}{{ $ports = append $ports 443 }}{{ end -}}
{{- if $s.pagerduty.secretName }}{{ $ports = append $ports (include "hostward.urlPort" (default "https://events.pagerduty.com/v2/enqueue" $s.pagerduty.url) | int) }}{{ end -}}
{{- range $s.alertmanagerUrls }}{{ $ports = append $ports (include "hostward.urlPort" . | int) }}{{ end -}}
{{- if $s.webhook.secretName }}{{ $ports = append $ports (int $s.webhook.port) }}{{ end -}}
{{- range .Values.collector.networkPolicy.extraEgressPorts }}{{ $ports = append $ports (int .) }}{{ end -}}
{{- toJson (uniq $ports) -}}
{{- end -}}

{{/*
The collector's configuration file: collector.routing as the values give it (the format of
src/sinks/routing-config.ts). A route naming a sink the values do not configure stops the rendering.
*/}}
{{- define "hostward.collectorConfig" -}}
{{- $known := include "hostward.collectorSinkNames" . | fromJsonArray -}}
{{- $r := .Values.collector.routing -}}
{{- range $i, $route := $r.routes -}}
{{- range $route.sinks -}}
{{- if not (has . $known) }}{{ fail (printf "collector.routing.routes[%d].sinks: no sink named %q is configured (configured: %s)" $i . (join ", " $known)) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- range $r.default -}}
{{- if not (has . $known) }}{{ fail (printf "collector.routing.default: no sink named %q is configured (configured: %s)" . (join ", " $known)) }}{{ end -}}
{{- end -}}
{{- toYaml (dict "collector" (dict "routing" $r)) -}}
{{- end -}}
