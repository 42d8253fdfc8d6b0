/** A Kubernetes object as Glimpse renders and applies it. */
export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** `apps/v1 Deployment web`: how an object is named in records and messages. */
export function manifestKey(m: { apiVersion: string; kind: string; metadata: { name: string } }): string {
  return `${m.apiVersion} ${m.kind} ${m.metadata.name}`;
}
