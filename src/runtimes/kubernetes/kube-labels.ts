/** Labels and annotations Glimpse puts on what it creates. `managed-by` is how `listManaged` finds namespaces. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'glimpse';
export const REPO_LABEL = 'glimpse.dev/repo';
export const PR_LABEL = 'glimpse.dev/pr';
export const ENVIRONMENT_LABEL = 'glimpse.dev/environment';
export const REPO_ANNOTATION = 'glimpse.dev/repo-full-name';
export const DEPLOYMENT_ANNOTATION = 'glimpse.dev/deployment';
export const COMMIT_ANNOTATION = 'glimpse.dev/commit';
export const FIELD_MANAGER = 'glimpse';

/**
 * A label value for `text`: at most 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric.
 * `acme/Web.App` becomes `acme.Web.App`.
 */
export function labelSafe(text: string): string {
  const cleaned = text
    .replace(/\//g, '.')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return cleaned;
}
