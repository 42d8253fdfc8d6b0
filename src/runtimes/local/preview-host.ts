/**
 * The preview namespace a Host header names, or undefined. `pr-app-1.preview.example.com:8080`
 * with base domain `preview.example.com` gives `pr-app-1`. Only one DNS label may precede the
 * base domain; case and a trailing dot are ignored.
 */
export function namespaceFromHost(host: string | undefined, baseDomain: string): string | undefined {
  if (host === undefined || host === '' || host.startsWith('[')) return undefined;
  const name = host.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase();
  const suffix = `.${baseDomain}`;
  if (!name.endsWith(suffix)) return undefined;
  const label = name.slice(0, -suffix.length);
  return isNamespace(label) ? label : undefined;
}

/** A DNS-1123 label: lowercase letters, digits and inner hyphens, at most 63 characters. */
export function isNamespace(value: string): boolean {
  return value.length <= 63 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(value);
}
