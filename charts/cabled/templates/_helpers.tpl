{{/* Chart name and fullname, as `helm create` does. */}}
{{- define "cabled.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cabled.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cabled.labels" -}}
app.kubernetes.io/name: {{ include "cabled.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component (gateway or labeler): pass (list . "gateway"). */}}
{{- define "cabled.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "cabled.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "cabled.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "cabled.gatewayServiceAccount" -}}
{{- .Values.serviceAccount.gatewayName | default (printf "%s-gateway" (include "cabled.fullname" .)) -}}
{{- end -}}

{{- define "cabled.labelerServiceAccount" -}}
{{- .Values.serviceAccount.labelerName | default (printf "%s-labeler" (include "cabled.fullname" .)) -}}
{{- end -}}

{{/* The Secret holding the PSK (key "psk"); empty when there is none. */}}
{{- define "cabled.pskSecret" -}}
{{- if .Values.ipsec.existingSecret -}}
{{- .Values.ipsec.existingSecret -}}
{{- else if .Values.ipsec.psk -}}
{{- printf "%s-psk" (include "cabled.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "cabled.endpointsNamespace" -}}
{{- .Values.engine.endpointsNamespace | default .Release.Namespace -}}
{{- end -}}

{{/* "true" when the datapath includes the VXLAN overlay (the engine writes sysctls). */}}
{{- define "cabled.usesVxlan" -}}
{{- if or (eq .Values.engine.driver "vxlan") (eq (toString (.Values.ipsec.config.ceIPSecOverlay | default "")) "vxlan") -}}true{{- end -}}
{{- end -}}

{{/* Combinations the schema cannot express, failed with what to change. */}}
{{- define "cabled.validate" -}}
{{- if and (include "cabled.usesVxlan" .) (not .Values.gateway.privileged) -}}
{{- fail "gateway.privileged must be true with engine.driver=vxlan or ipsec.config.ceIPSecOverlay=vxlan: the engine sets rp_filter on the VXLAN device and /proc/sys is read-only in unprivileged containers (set --set gateway.privileged=true)" -}}
{{- end -}}
{{- if and (eq .Values.ipsec.plutoMode "host") (ne .Values.engine.driver "libreswan") -}}
{{- fail "ipsec.plutoMode=host needs engine.driver=libreswan (the host's pluto is libreswan's)" -}}
{{- end -}}
{{- if and .Values.ipsec.psk .Values.ipsec.existingSecret -}}
{{- fail "ipsec.psk and ipsec.existingSecret are both set: give the PSK one way" -}}
{{- end -}}
{{- if and .Values.api.tcp.enabled (not .Values.api.tcp.tls.secretName) -}}
{{- fail "api.tcp.enabled needs api.tcp.tls.secretName: the TCP API is served with mutual TLS only. Make a Secret with tls.crt, tls.key (the server certificate) and ca.crt (the CA of the client certificates), e.g. with cert-manager or the openssl commands in docs/deploy.md (\"API security\"), and set api.tcp.tls.secretName" -}}
{{- end -}}
{{- if and (eq .Values.engine.driver "libreswan") (not (include "cabled.pskSecret" .)) -}}
{{- fail "engine.driver=libreswan needs a PSK: set ipsec.psk (e.g. --set ipsec.psk=$(openssl rand -base64 48)) or ipsec.existingSecret (a Secret with a key \"psk\")" -}}
{{- end -}}
{{- end -}}
