{{- define "glimpse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "glimpse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "glimpse.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "glimpse.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "glimpse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "glimpse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "glimpse.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "glimpse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "glimpse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "glimpse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "glimpse.secretName" -}}
{{- default (include "glimpse.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Whether Glimpse gets a DATABASE_URL (PostgreSQL) rather than the embedded database. */}}
{{- define "glimpse.usesPostgres" -}}
{{- if or .Values.database.url (and .Values.secrets.existingSecret .Values.database.urlInExistingSecret) }}true{{ end }}
{{- end }}

{{/* Refuses values that would install a Glimpse that cannot work. */}}
{{- define "glimpse.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not (include "glimpse.usesPostgres" .)) }}
{{- fail (printf "replicaCount is %d, but more than one replica needs PostgreSQL: set database.url (or DATABASE_URL in secrets.existingSecret with database.urlInExistingSecret: true); the embedded database belongs to one process" (int .Values.replicaCount)) }}
{{- end }}
{{- if and .Values.database.urlInExistingSecret (not .Values.secrets.existingSecret) }}
{{- fail "database.urlInExistingSecret is true but secrets.existingSecret is empty: name the Secret that holds DATABASE_URL" }}
{{- end }}
{{- if and .Values.database.url .Values.secrets.existingSecret }}
{{- fail "database.url is set but so is secrets.existingSecret: put DATABASE_URL in that Secret and set database.urlInExistingSecret: true" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.enabled is true but ingress.host is empty: set the host of config.publicUrl, e.g. glimpse.example.com" }}
{{- end }}
{{- if and .Values.ingress.tls.enabled (not .Values.ingress.tls.secretName) }}
{{- fail "ingress.tls.enabled is true but ingress.tls.secretName is empty: name the Secret of the certificate for ingress.host" }}
{{- end }}
{{- end }}

{{/* config.<key> -> the environment variable it sets (README's configuration tables). */}}
{{- define "glimpse.settings" -}}
publicUrl: GLIMPSE_PUBLIC_URL
baseDomain: GLIMPSE_BASE_DOMAIN
previewUrlScheme: GLIMPSE_PREVIEW_URL_SCHEME
ingressClass: GLIMPSE_INGRESS_CLASS
ingressNamespace: GLIMPSE_INGRESS_NAMESPACE
deployTimeoutSeconds: GLIMPSE_DEPLOY_TIMEOUT_SECONDS
deleteTimeoutSeconds: GLIMPSE_DELETE_TIMEOUT_SECONDS
previewMaxCpu: GLIMPSE_PREVIEW_MAX_CPU
previewMaxMemory: GLIMPSE_PREVIEW_MAX_MEMORY
maxConcurrentDeploys: GLIMPSE_MAX_CONCURRENT_DEPLOYS
maxConcurrentDeletes: GLIMPSE_MAX_CONCURRENT_DELETES
resyncSeconds: GLIMPSE_RESYNC_SECONDS
leaseSeconds: GLIMPSE_LEASE_SECONDS
apiRateLimit: GLIMPSE_API_RATE_LIMIT
githubApiUrl: GITHUB_API_URL
logLevel: LOG_LEVEL
{{- end }}

{{/* secrets.<key> -> the key in the chart's Secret (and the variable it sets). */}}
{{- define "glimpse.secretKeys" -}}
githubAppId: GITHUB_APP_ID
githubPrivateKey: GITHUB_PRIVATE_KEY
githubWebhookSecret: GITHUB_WEBHOOK_SECRET
githubClientId: GITHUB_CLIENT_ID
githubClientSecret: GITHUB_CLIENT_SECRET
sessionSecret: GLIMPSE_SESSION_SECRET
secretKey: GLIMPSE_SECRET_KEY
metricsToken: GLIMPSE_METRICS_TOKEN
{{- end }}
