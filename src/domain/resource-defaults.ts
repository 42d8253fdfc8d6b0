/** Per-preview defaults (container limits) and the most a repo may ask for, unless configured. */
export const DEFAULT_LIMITS = { cpu: '500m', memory: '512Mi' } as const;
export const DEFAULT_MAX_RESOURCES = { cpu: '2', memory: '2Gi' } as const;
