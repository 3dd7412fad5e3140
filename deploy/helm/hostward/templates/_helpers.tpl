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
{{- $owned := dict
  "root" .Values.agent.hostRoot
  "agent" (dict "port" (int .Values.agent.port) "schedule" .Values.agent.schedule "stateDir" .Values.agent.stateDir)
  "log" (dict "level" .Values.agent.logLevel)
  "probes" (dict
    "ssh" (dict "live" .Values.agent.hostNetwork)
    "ports" (dict "reachability" (ternary "auto" false .Values.agent.hostNetwork)))
-}}
{{- toYaml (mustMergeOverwrite (deepCopy .Values.agent.config) $owned) -}}
{{- end -}}
