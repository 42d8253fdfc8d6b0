import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSimulator, startKubeSimulator } from '../support/kube-sim/start-kube-simulator.ts';
import { ensureKubeTools, type KubeTools } from '../support/kube-tools.ts';
import { runTool } from '../support/run-tool.ts';
import { waitFor } from '../support/wait-for.ts';
import { appManifest } from './manifests.ts';

let sim: KubeSimulator;
let tools: KubeTools;

const kubectl = (args: string[], opts: Parameters<typeof runTool>[2] = {}) =>
  runTool(tools.kubectl, args, { kubeconfig: sim.kubeconfigPath, ...opts });

async function applyApp(ns: string, image = 'ghcr.io/acme/web:1.0') {
  const res = await kubectl(['apply', '--server-side', '-f', '-'], { stdin: appManifest(ns, image) });
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return res;
}

beforeAll(async () => {
  tools = await ensureKubeTools();
  sim = await startKubeSimulator({
    kubelet: { startDelayMs: 50, terminationDelayMs: 50, logIntervalMs: 60_000 },
  });
});

afterAll(async () => {
  await sim.close();
  expect(sim.controllerErrors).toEqual([]);
  expect(sim.requests.unmatched()).toEqual([]);
});

describe('the real kubectl against the simulator', () => {
  it('kubectl get ns prints the built-in namespaces through server-side table printing', async () => {
    const res = await kubectl(['get', 'ns']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^NAME\s+STATUS\s+AGE\n/);
    expect(res.stdout).toMatch(/^default\s+Active\s+\d+s$/m);
    expect(res.stdout).toMatch(/^kube-system\s+Active/m);
    expect(sim.requests.count({ verb: 'list', resource: 'namespaces' })).toBeGreaterThan(0);
  });

  it('apply --server-side creates a deployment, service and ingress; another field manager conflicts unless forced', async () => {
    const res = await applyApp('pr-ssa-1');
    expect(res.stdout).toContain('deployment.apps/web serverside-applied');
    expect(res.stdout).toContain('service/web serverside-applied');
    expect(res.stdout).toContain('ingress.networking.k8s.io/web serverside-applied');
    const deploy = sim.get('apps', 'deployments', 'pr-ssa-1', 'web');
    expect(deploy?.metadata.managedFields?.map((m) => [m.manager, m.operation])).toEqual([
      ['kubectl', 'Apply'],
    ]);
    expect(sim.get('networking.k8s.io', 'ingresses', 'pr-ssa-1', 'web')).toBeDefined();

    const other = appManifest('pr-ssa-1', 'ghcr.io/acme/web:2.0');
    const conflict = await kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], {
      stdin: other,
    });
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.template.spec.containers[name="app"].image',
    );
    const unchanged = sim.get('apps', 'deployments', 'pr-ssa-1', 'web');
    expect(JSON.stringify(unchanged?.spec)).toContain('ghcr.io/acme/web:1.0');

    const forced = await kubectl(
      ['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'],
      { stdin: other },
    );
    expect(forced.code).toBe(0);
    const taken = sim.get('apps', 'deployments', 'pr-ssa-1', 'web');
    expect(JSON.stringify(taken?.spec)).toContain('ghcr.io/acme/web:2.0');
    const owner = taken?.metadata.managedFields?.find((m) => JSON.stringify(m.fieldsV1).includes('f:image'));
    expect(owner?.manager).toBe('other');
  });

  it('kubectl rollout status returns once every replica of the new ReplicaSet is available', async () => {
    await applyApp('pr-rollout-1');
    const res = await kubectl(['-n', 'pr-rollout-1', 'rollout', 'status', 'deploy/web', '--timeout=20s']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('deployment "web" successfully rolled out');
    const deploy = sim.get('apps', 'deployments', 'pr-rollout-1', 'web');
    expect(deploy?.status).toMatchObject({
      readyReplicas: 2,
      availableReplicas: 2,
      updatedReplicas: 2,
      observedGeneration: 1,
    });
    expect(
      sim.requests.count({ verb: 'watch', resource: 'deployments', namespace: 'pr-rollout-1' }),
    ).toBeGreaterThan(0);
  });

  it('kubectl get deploy -w streams the deployment becoming ready', async () => {
    await kubectl(['create', 'ns', 'pr-watch-1']);
    const watching = kubectl(['-n', 'pr-watch-1', 'get', 'deploy', '-w'], {
      onStdout: (out) => /^web\s+2\/2/m.test(out),
      timeoutMs: 15_000,
    });
    await waitFor(
      () => sim.requests.count({ verb: 'watch', resource: 'deployments', namespace: 'pr-watch-1' }) > 0,
    );
    await applyApp('pr-watch-1');
    const res = await watching;
    expect(res.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
    expect(res.stdout).toMatch(/^web\s+0\/2/m);
    expect(res.stdout).toMatch(/^web\s+2\/2\s+2\s+2/m);
  });

  it('kubectl describe shows the pod with its owner and kubelet events, and the service and ingress endpoints', async () => {
    await applyApp('pr-describe-1');
    await kubectl(['-n', 'pr-describe-1', 'rollout', 'status', 'deploy/web', '--timeout=20s']);
    const pod = sim.list('', 'pods', 'pr-describe-1')[0]?.metadata.name ?? '';
    const res = await kubectl(['-n', 'pr-describe-1', 'describe', 'pod', pod]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Status:\s+Running$/m);
    expect(res.stdout).toMatch(/^Controlled By:\s+ReplicaSet\/web-/m);
    expect(res.stdout).toMatch(/Ready:\s+True/);
    expect(res.stdout).toMatch(/Normal\s+Started\s+.*kubelet\s+Started container app/);
    expect(res.stdout).toMatch(
      /Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned pr-describe-1\//,
    );
    const svc = await kubectl(['-n', 'pr-describe-1', 'describe', 'svc', 'web']);
    expect(svc.stdout).toMatch(/^Endpoints:\s+10\.244\.\d+\.\d+:8080,10\.244\.\d+\.\d+:8080$/m);
    const ing = await kubectl(['-n', 'pr-describe-1', 'describe', 'ingress', 'web']);
    expect(ing.stdout).toMatch(/\/\s+web:80 \(10\.244\.\d+\.\d+:8080,/);
  });

  it('kubectl logs returns the last lines, with RFC3339 timestamps when asked', async () => {
    await applyApp('pr-logs-1');
    await kubectl(['-n', 'pr-logs-1', 'rollout', 'status', 'deploy/web', '--timeout=20s']);
    const pod = sim.list('', 'pods', 'pr-logs-1')[0]?.metadata.name ?? '';
    sim.appendLog('pr-logs-1', pod, 'app', 'request one');
    sim.appendLog('pr-logs-1', pod, 'app', 'request two');
    const res = await kubectl(['-n', 'pr-logs-1', 'logs', pod, '--tail=2', '--timestamps']);
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z request one$/);
    expect(lines[1]).toMatch(/Z request two$/);
    const following = kubectl(['-n', 'pr-logs-1', 'logs', '-f', '--tail=0', pod], {
      onStdout: (out) => out.includes('request three\n'),
      timeoutMs: 10_000,
    });
    await waitFor(() =>
      sim.requests
        .find({ resource: 'pods', subresource: 'log' })
        .some((r) => r.query.includes('follow=true')),
    );
    sim.appendLog('pr-logs-1', pod, 'app', 'request three');
    expect((await following).stdout).toBe('request three\n');
    const plain = await kubectl(['-n', 'pr-logs-1', 'logs', `pod/${pod}`]);
    expect(plain.stdout).toMatch(/^starting ghcr\.io\/acme\/web:1\.0\nlistening on :8080\n/);
  });

  it('kubectl delete ns --wait returns only once the namespace and its content are gone', async () => {
    await applyApp('pr-delete-1');
    await kubectl(['-n', 'pr-delete-1', 'rollout', 'status', 'deploy/web', '--timeout=20s']);
    sim.kubelet.terminationDelayMs = 600;
    const started = Date.now();
    const res = await kubectl(['delete', 'ns', 'pr-delete-1', '--wait', '--timeout=20s']);
    sim.kubelet.terminationDelayMs = 50;
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('namespace "pr-delete-1" deleted');
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(sim.get('', 'namespaces', undefined, 'pr-delete-1')).toBeUndefined();
    expect(sim.list('', 'pods', 'pr-delete-1')).toEqual([]);
    const after = await kubectl(['get', 'ns', 'pr-delete-1']);
    expect(after.stderr).toContain('Error from server (NotFound): namespaces "pr-delete-1" not found');
  });

  it('kubectl auth can-i answers from the simulator deny rules', async () => {
    expect(
      (await kubectl(['auth', 'can-i', 'delete', 'deployments.apps', '-n', 'pr-any'])).stdout.trim(),
    ).toBe('yes');
    sim.access.deny({ verb: 'delete', resource: 'deployments', group: 'apps' });
    try {
      const denied = await kubectl(['auth', 'can-i', 'delete', 'deployments.apps', '-n', 'pr-any']);
      expect(denied.stdout.trim()).toBe('no');
      expect(denied.code).toBe(1);
    } finally {
      sim.access.clear();
    }
  });

  it('helm template output applies with kubectl and rolls out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chart-'));
    try {
      await mkdir(join(dir, 'templates'));
      await writeFile(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: preview\nversion: 0.1.0\n');
      await writeFile(join(dir, 'values.yaml'), 'image: ghcr.io/acme/api:1\nreplicas: 1\n');
      await writeFile(
        join(dir, 'templates', 'app.yaml'),
        `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-api
  labels: {app: {{ .Release.Name }}-api}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: {{ .Release.Name }}-api}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}-api}}
    spec:
      containers:
        - name: api
          image: {{ .Values.image }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-api
spec:
  selector: {app: {{ .Release.Name }}-api}
  ports: [{port: 80}]
`,
      );
      const rendered = await runTool(tools.helm, [
        'template',
        'pr7',
        dir,
        '--namespace',
        'pr-helm-7',
        '--set',
        'image=ghcr.io/acme/api:abc123',
        '--set',
        'replicas=2',
      ]);
      expect(rendered.code).toBe(0);
      await kubectl(['create', 'ns', 'pr-helm-7']);
      const applied = await kubectl(
        ['-n', 'pr-helm-7', 'apply', '--server-side', '--field-manager=glimpse', '-f', '-'],
        { stdin: rendered.stdout },
      );
      expect(applied.stderr).toBe('');
      expect(applied.stdout).toContain('deployment.apps/pr7-api serverside-applied');
      const status = await kubectl([
        '-n',
        'pr-helm-7',
        'rollout',
        'status',
        'deploy/pr7-api',
        '--timeout=20s',
      ]);
      expect(status.code).toBe(0);
      const pods = sim.list('', 'pods', 'pr-helm-7');
      expect(pods).toHaveLength(2);
      expect(JSON.stringify(pods[0]?.spec)).toContain('ghcr.io/acme/api:abc123');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
