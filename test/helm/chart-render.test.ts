import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REQUIRED_ACCESS } from '../../src/runtimes/kubernetes/check-kubernetes-access.ts';
import {
  CHART,
  clusterRoleRules,
  deploymentOf,
  helm,
  objectOf,
  ROOT,
  RULES_FILE,
  renderChart,
  secretData,
  VALUES_FILES,
} from './glimpse-chart.ts';

/** The YAML block under README's "Cluster access", from `rules:` to the end of the block. */
async function readmeRules(): Promise<string> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const match = readme.match(/\*\*Cluster access\.\*\*[\s\S]*?```yaml\n(rules:\n[\s\S]*?)```/);
  if (match?.[1] === undefined) throw new Error('README has no rules block under "Cluster access"');
  return match[1];
}

/** Every variable README's configuration tables name. */
async function readmeVariables(): Promise<string[]> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const names = new Set<string>();
  for (const line of readme.split('\n')) {
    const cell = line.match(/^\| (`[A-Z][A-Z0-9_]*`(?:, `[A-Z][A-Z0-9_]*`)*) \|/)?.[1];
    for (const name of cell?.match(/[A-Z][A-Z0-9_]*/g) ?? []) names.add(name);
  }
  return [...names];
}

/** Variables the chart does not offer, and why. */
const NOT_FOR_THE_CHART = new Map([
  ['KUBECONFIG', 'in the cluster Glimpse uses its ServiceAccount'],
  ['GITHUB_PRIVATE_KEY_PATH', 'the key comes from the Secret as GITHUB_PRIVATE_KEY'],
  ['GLIMPSE_HELM_PATH', 'the image holds helm on the PATH'],
  ['GLIMPSE_ALLOW_FILE_REPOS', 'local runtime only'],
  ['GLIMPSE_PROXY_PORT', 'local runtime only'],
  ['GLIMPSE_BUILD_TIMEOUT_SECONDS', 'local runtime only'],
  ['GLIMPSE_TOKEN', 'for the glimpse commands that talk to a server, not for the server'],
  ['GLIMPSE_LOCAL_SANDBOX', 'local runtime only'],
  ['GLIMPSE_LOCAL_SCHEDULING', 'local runtime only'],
  ['GLIMPSE_LOCAL_UID_RANGE', 'local runtime only'],
  ['GLIMPSE_LOCAL_MAX_MEMORY', 'local runtime only'],
  ['GLIMPSE_LOCAL_MAX_PROCESSES', 'local runtime only'],
]);

describe('the Helm chart', () => {
  it.each(Object.entries(VALUES_FILES))('passes helm lint --strict with the %s values', async (_, file) => {
    const result = await helm(['lint', '--strict', CHART, '-f', file]);
    expect(result.stdout + result.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.code).toBe(0);
  });

  it('minimal: one replica on the embedded database, its volume, probes and a restricted security context', async () => {
    const rendered = await renderChart(VALUES_FILES.minimal);
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(rendered.objects.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
      'PersistentVolumeClaim',
      'PodDisruptionBudget',
      'Secret',
      'Service',
      'ServiceAccount',
    ]);
    const { deployment, container, env } = deploymentOf(rendered);
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    const pvc = objectOf(rendered, 'PersistentVolumeClaim');
    expect(deployment.spec.template.spec.volumes).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: pvc.metadata.name },
    });
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(env.get('GLIMPSE_DATA_DIR')).toBe('/data');
    expect(env.get('GLIMPSE_RUNTIME')).toBe('kubernetes');
    expect(env.get('GLIMPSE_PUBLIC_URL')).toBe('https://glimpse.example.com');
    expect(env.has('DATABASE_URL')).toBe(false);
    expect(container.startupProbe.httpGet.path).toBe('/healthz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(deployment.spec.template.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(deployment.spec.template.spec.serviceAccountName).toBe(
      objectOf(rendered, 'ServiceAccount').metadata.name,
    );
    // Secrets generated once (kept across upgrades by lookup), from the chart's own Secret.
    const secret = objectOf(rendered, 'Secret');
    expect(container.envFrom).toEqual([{ secretRef: { name: secret.metadata.name } }]);
    const data = secretData(secret);
    expect(data.GLIMPSE_SESSION_SECRET).toMatch(/^[A-Za-z0-9]{48}$/);
    // The webhook secret is the one GitHub makes in the manifest flow (or given): none is generated.
    expect(data.GITHUB_WEBHOOK_SECRET).toBeUndefined();
    expect(data.GLIMPSE_SECRET_KEY).toMatch(/^[A-Za-z0-9]{48}$/);
  });

  it('PostgreSQL with 3 replicas: rolling updates, no volume, DATABASE_URL and the credentials in the Secret', async () => {
    const rendered = await renderChart(VALUES_FILES.postgres);
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(rendered.objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    const { deployment, env } = deploymentOf(rendered);
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy.type).toBe('RollingUpdate');
    expect(deployment.spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: {} });
    expect(secretData(objectOf(rendered, 'Secret'))).toMatchObject({
      DATABASE_URL: 'postgres://glimpse:secret@postgres.databases.svc:5432/glimpse',
      GITHUB_APP_ID: '12345',
      GITHUB_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length',
      GITHUB_CLIENT_ID: 'Iv1.abcdef',
      GLIMPSE_SESSION_SECRET: 'a-session-secret-that-is-at-least-32-characters',
    });
    expect(env.get('GLIMPSE_API_RATE_LIMIT')).toBe('0');
    expect(env.get('GLIMPSE_INGRESS_NAMESPACE')).toBe('traefik');
    expect(env.get('GLIMPSE_FUTURE_SETTING')).toBe('on');
    const policy = objectOf(rendered, 'NetworkPolicy');
    expect(JSON.stringify(policy.spec)).toContain('"kubernetes.io/metadata.name":"traefik"');
    expect(JSON.stringify(policy.spec)).toContain('"kubernetes.io/metadata.name":"monitoring"');
  });

  it('every setting README lists reaches the pod: through values, the Secret, or the chart itself', async () => {
    const rendered = await renderChart(VALUES_FILES.postgres);
    const { env } = deploymentOf(rendered);
    const reachable = new Set([...env.keys(), ...Object.keys(secretData(objectOf(rendered, 'Secret')))]);
    const unreachable = (await readmeVariables()).filter(
      (name) => !reachable.has(name) && !NOT_FOR_THE_CHART.has(name),
    );
    expect(unreachable).toEqual([]);
  });

  it('an existing Secret: no Secret of its own, the pods read that one, DATABASE_URL included', async () => {
    const rendered = await renderChart(VALUES_FILES.existingSecret);
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(rendered.objects.some((o) => o.kind === 'Secret')).toBe(false);
    expect(rendered.objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    const { deployment, container } = deploymentOf(rendered);
    expect(deployment.spec.replicas).toBe(2);
    expect(container.envFrom).toEqual([{ secretRef: { name: 'glimpse-credentials' } }]);
  });

  it('an Ingress with TLS serves the API, the webhook and the dashboard on one host', async () => {
    const rendered = await renderChart(VALUES_FILES.ingressTls);
    expect(rendered.code, rendered.stderr).toBe(0);
    const service = objectOf(rendered, 'Service');
    expect(objectOf(rendered, 'Ingress').spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['glimpse.example.com'], secretName: 'glimpse-tls' }],
      rules: [
        {
          host: 'glimpse.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: service.metadata.name, port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    });
  });

  it('serves metrics on a port of their own, announced to Prometheus by the Service, or on the main port', async () => {
    const rendered = await renderChart(VALUES_FILES.postgres);
    expect(deploymentOf(rendered).env.get('GLIMPSE_METRICS_PORT')).toBe('9464');
    expect(JSON.stringify(objectOf(rendered, 'Deployment'))).toContain(
      '{"name":"metrics","containerPort":9464,"protocol":"TCP"}',
    );
    const service = objectOf(rendered, 'Service');
    expect(service.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9464',
      'prometheus.io/path': '/metrics',
    });
    expect(JSON.stringify(service.spec)).toContain(
      '{"name":"metrics","port":9464,"targetPort":"metrics","protocol":"TCP"}',
    );
    expect(JSON.stringify(objectOf(rendered, 'NetworkPolicy').spec)).toContain(
      '{"port":"metrics","protocol":"TCP"}',
    );
    expect(secretData(objectOf(rendered, 'Secret')).GLIMPSE_METRICS_TOKEN).toBe(
      'a-metrics-token-for-prometheus',
    );

    const onMain = await renderChart(VALUES_FILES.minimal, ['metrics.port=0']);
    expect(onMain.code, onMain.stderr).toBe(0);
    expect(deploymentOf(onMain).env.has('GLIMPSE_METRICS_PORT')).toBe(false);
    expect(objectOf(onMain, 'Service').metadata.annotations).toBeUndefined();
    expect(JSON.stringify(objectOf(onMain, 'Service').spec)).not.toContain('metrics');
  });

  it('refuses more than one replica without PostgreSQL, saying what to set', async () => {
    const rendered = await renderChart(VALUES_FILES.minimal, ['replicaCount=2']);
    expect(rendered.code).not.toBe(0);
    expect(rendered.stderr).toContain(
      'replicaCount is 2, but more than one replica needs PostgreSQL: set database.url',
    );
  });

  it.each([
    ['replicaCount=0', 'replicaCount: Must be greater than or equal to 1'],
    ['config.logLevel=loud', 'config.logLevel must be one of the following'],
    ['config.publicUrl=glimpse.example.com', 'config.publicUrl: Does not match pattern'],
    ['config.previewUrlScheme=ftp', 'config.previewUrlScheme must be one of the following'],
    ['config.maxConcurrentDeploys=0', 'config.maxConcurrentDeploys: Must be greater than or equal to 1'],
    ['config.previewMaxMemory=lots', 'config.previewMaxMemory: Does not match pattern'],
    ['database.url=mysql://db/glimpse', 'database.url: Does not match pattern'],
    ['secrets.sessionSecret=short', 'secrets.sessionSecret: Does not match pattern'],
    ['secrets.secretKey=short', 'secrets.secretKey: Does not match pattern'],
    ['secrets.metricsToken=short', 'secrets.metricsToken: Does not match pattern'],
    ['metrics.port=3000', 'metrics.port: Must not validate the schema (not)'],
    ['image.pullPolicy=Sometimes', 'image.pullPolicy must be one of the following'],
    ['replicas=3', 'Additional property replicas is not allowed'],
  ])('the schema refuses %s', async (pair, message) => {
    const rendered = await renderChart(VALUES_FILES.minimal, [pair]);
    expect(rendered.code).not.toBe(0);
    expect(rendered.stderr).toContain(message);
  });

  it('refuses values that contradict each other', async () => {
    const tls = await renderChart(VALUES_FILES.minimal, [
      'ingress.enabled=true',
      'ingress.host=g.example.com',
      'ingress.tls.enabled=true',
    ]);
    expect(tls.stderr).toContain('ingress.tls.secretName is empty');
    const both = await renderChart(VALUES_FILES.existingSecret, ['database.url=postgres://db/glimpse']);
    expect(both.stderr).toContain('database.url is set but so is secrets.existingSecret');
  });

  it('binds exactly the ClusterRole rules README documents, which grant everything Glimpse checks for', async () => {
    const file = await readFile(RULES_FILE, 'utf8');
    expect(await readmeRules()).toBe(file);
    const rendered = await renderChart(VALUES_FILES.minimal);
    const role = objectOf(rendered, 'ClusterRole');
    const rules = clusterRoleRules(file);
    expect(role.rules).toEqual(rules);
    for (const need of REQUIRED_ACCESS) {
      const resource =
        need.subresource === undefined ? need.resource : `${need.resource}/${need.subresource}`;
      const granted = rules.some(
        (r) =>
          r.apiGroups.includes(need.group) && r.resources.includes(resource) && r.verbs.includes(need.verb),
      );
      expect(granted, `${need.verb} ${need.group}/${resource}`).toBe(true);
    }
    const binding = objectOf(rendered, 'ClusterRoleBinding');
    expect(binding.subjects).toEqual([
      {
        kind: 'ServiceAccount',
        name: objectOf(rendered, 'ServiceAccount').metadata.name,
        namespace: 'glimpse',
      },
    ]);
  });
});
