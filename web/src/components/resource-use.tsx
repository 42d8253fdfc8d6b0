import type { EnvironmentView } from '../api/client';

/** CPU and memory in use, as "120m CPU · 64 MiB", or a dash when not measured. */
export function ResourceUse({ environment }: { environment: EnvironmentView }) {
  const usage = environment.resources.usage;
  if (usage === null || (usage.cpuMillicores === null && usage.memoryBytes === null)) return <span>—</span>;
  return (
    <span>
      {usage.cpuMillicores === null ? '—' : `${usage.cpuMillicores}m`} CPU ·{' '}
      {usage.memoryBytes === null ? '—' : `${Math.round(usage.memoryBytes / 1024 / 1024)} MiB`}
    </span>
  );
}
