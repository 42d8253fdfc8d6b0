import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

/** Writes a kubeconfig for the simulator: one cluster (with its CA when https), a token user, namespace default. */
export async function writeKubeconfig(
  path: string,
  url: string,
  token: string,
  caPem?: string,
): Promise<void> {
  const cluster: Record<string, string> = { server: url };
  if (caPem !== undefined) cluster['certificate-authority-data'] = Buffer.from(caPem).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kube-sim', cluster }],
    users: [{ name: 'kube-sim', user: { token } }],
    contexts: [
      { name: 'kube-sim', context: { cluster: 'kube-sim', user: 'kube-sim', namespace: 'default' } },
    ],
    'current-context': 'kube-sim',
    preferences: {},
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
}
