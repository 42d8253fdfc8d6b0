import type { EnvironmentView } from '../api/client';

const NEAR = 0.8;

function millicores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

function bytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G)?$/.exec(quantity);
  const units: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    k: 1e3,
    M: 1e6,
    G: 1e9,
  };
  return match === null ? Number.NaN : Number(match[1]) * (units[match[2] ?? ''] ?? 1);
}

function Meter(props: { label: string; used: number | null; limit: number; text: string }) {
  if (props.used === null) return null;
  const share = props.limit > 0 ? props.used / props.limit : 0;
  return (
    <div className={share >= NEAR ? 'meter near' : 'meter'}>
      <label>
        {props.label}: {props.text} ({Math.round(share * 100)}%{share >= NEAR ? ', near the limit' : ''})
        <meter min={0} max={props.limit} value={props.used} high={props.limit * NEAR} />
      </label>
    </div>
  );
}

/** Resources in use against the preview's quota; 80% and more is marked. */
export function QuotaUse({ environment }: { environment: EnvironmentView }) {
  const { limits, usage, usageUnavailableReason } = environment.resources;
  return (
    <section aria-labelledby="quota-heading">
      <h2 id="quota-heading">Resources</h2>
      {usage === null ? (
        <p className="muted">{usageUnavailableReason ?? 'Not measured while the preview is not running.'}</p>
      ) : (
        <>
          <Meter
            label="CPU"
            used={usage.cpuMillicores}
            limit={millicores(limits.cpu)}
            text={`${usage.cpuMillicores ?? 0}m of ${limits.cpu}`}
          />
          <Meter
            label="Memory"
            used={usage.memoryBytes}
            limit={bytes(limits.memory)}
            text={`${Math.round((usage.memoryBytes ?? 0) / 2 ** 20)} MiB of ${limits.memory}`}
          />
        </>
      )}
    </section>
  );
}
