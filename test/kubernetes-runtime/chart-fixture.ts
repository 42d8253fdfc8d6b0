/**
 * A chart kept in a repo under deploy/chart, in the shape `helm create` gives: a Deployment `<release>-web` of
 * `ghcr.io/acme/chart-web:<image.tag>`, a Service, and an Ingress, a StatefulSet and a ConfigMap behind values.
 */
export const chartFiles = {
  'deploy/chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'deploy/chart/values.yaml': [
    'replicaCount: 3',
    'image:',
    '  repository: ghcr.io/acme/chart-web',
    '  tag: latest',
    'ingress:',
    '  enabled: false',
    'extraConfig: false',
    'database: false',
    'resources: {}',
    '',
  ].join('\n'),
  'deploy/chart/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  labels: {app: web}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: "{{ required "image.repository is required" .Values.image.repository }}:{{ .Values.image.tag }}"
          ports: [{name: http, containerPort: 8080}]
          env:
            - name: PR_NUMBER
              value: {{ .Values.glimpse.prNumber | quote }}
            - name: BRANCH
              value: {{ .Values.glimpse.branch | quote }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
`,
  'deploy/chart/templates/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
`,
  'deploy/chart/templates/ingress.yaml': `{{- if .Values.ingress.enabled }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .Release.Name }}-web
spec:
  ingressClassName: {{ .Values.ingress.className }}
  rules:
  {{- range .Values.ingress.hosts }}
    - host: {{ .host | quote }}
      http:
        paths:
        {{- range .paths }}
          - path: {{ .path }}
            pathType: {{ .pathType }}
            backend:
              service:
                name: {{ $.Release.Name }}-web
                port: {name: http}
        {{- end }}
  {{- end }}
{{- end }}
`,
  'deploy/chart/templates/database.yaml': `{{- if .Values.database }}
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: {{ .Release.Name }}-db
spec:
  serviceName: {{ .Release.Name }}-db
  replicas: 1
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: ghcr.io/acme/db:16
{{- end }}
`,
  'deploy/chart/templates/extra.yaml': `{{- if .Values.extraConfig }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-extra
data:
  mode: preview
{{- end }}
`,
};
