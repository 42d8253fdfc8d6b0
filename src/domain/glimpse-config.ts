import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';

/** The name of the per-repo configuration file at the repository root. */
export const GLIMPSE_CONFIG_FILE = '.glimpse.yml';

/** The largest `.glimpse.yml` Glimpse reads; a configuration is a few hundred bytes. */
export const GLIMPSE_CONFIG_MAX_BYTES = 1024 * 1024;

/** Why a `.glimpse.yml` of `bytes` bytes is refused. */
export function configTooLargeMessage(bytes: number): string {
  return `${GLIMPSE_CONFIG_FILE} is ${(bytes / 1024 / 1024).toFixed(1)} MB, over the limit of 1 MB: keep it to the settings Glimpse reads (see the README's "Per-repo configuration").`;
}

const duration = z.string().regex(/^\d+(m|h|d)$/, 'expected a duration such as 30m, 72h or 7d');

const quantity = z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'expected a Kubernetes quantity');

const ResourceAmounts = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });

const EnvVars = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string());

const EgressRule = z.strictObject({
  cidr: z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, 'expected a CIDR such as 10.0.0.0/8'),
  ports: z.array(z.number().int().min(1).max(65535)).optional(),
});

/** A URL path (and query) as it goes on the request line: no spaces or control characters. */
const healthPath = z
  .string()
  .regex(
    /^\/[\w\-.~!$&'()*+,;=:@%/]*(\?[\w\-.~!$&'()*+,;=:@%/?]*)?$/,
    'expected a URL path such as /healthz (starting with /, no spaces or control characters; percent-encode them)',
  );

const LocalSection = z.strictObject({
  install: z.string().min(1).optional(),
  build: z.string().min(1).optional(),
  start: z.string().min(1).optional(),
  port_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('PORT'),
  health: healthPath.default('/'),
  env: EnvVars.default({}),
  /** Limits of each process (memory: address space) and of the preview (processes), within the server's caps. */
  resources: z
    .strictObject({
      memory: quantity
        .refine((text) => !/m$/.test(text), 'expected a memory quantity such as 512Mi or 2Gi')
        .optional(),
      processes: z.number().int().min(1).optional(),
    })
    .optional(),
});

const KubernetesSection = z
  .strictObject({
    chart: z.string().min(1).optional(),
    values: z.record(z.string(), z.unknown()).optional(),
    image: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).default(8080),
    health: healthPath.optional(),
    waitForChecks: z.array(z.string().min(1)).default([]),
    egress: z.array(EgressRule).default([]),
    resources: z
      .strictObject({ limits: ResourceAmounts.optional(), requests: ResourceAmounts.optional() })
      .optional(),
  })
  .refine((k) => (k.chart === undefined) !== (k.image === undefined), {
    message: 'set exactly one of kubernetes.chart or kubernetes.image',
  });

export const GlimpseConfig = z.strictObject({
  /** Label that opts a PR in (always needed for forks; for every PR when requireLabel is set). */
  label: z.string().min(1).default('preview'),
  requireLabel: z.boolean().default(false),
  skipDrafts: z.boolean().default(false),
  ttl: duration.optional(),
  env: EnvVars.default({}),
  local: LocalSection.optional(),
  kubernetes: KubernetesSection.optional(),
});
export type GlimpseConfig = z.output<typeof GlimpseConfig>;

/** What a repo without a .glimpse.yml gets. */
export const DEFAULT_GLIMPSE_CONFIG: GlimpseConfig = GlimpseConfig.parse({});

export type GlimpseConfigResult = { ok: true; config: GlimpseConfig } | { ok: false; message: string };

/** Parses the text of a .glimpse.yml; the message of a failure names the bad field. */
export function parseGlimpseConfig(text: string): GlimpseConfigResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > GLIMPSE_CONFIG_MAX_BYTES) return { ok: false, message: configTooLargeMessage(bytes) };
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    // The parser's whole message: what is wrong, at which line and column, and the offending lines.
    const detail = error instanceof YAMLParseError ? error.message.trimEnd() : String(error);
    return { ok: false, message: `${GLIMPSE_CONFIG_FILE} is not valid YAML: ${detail}` };
  }
  const parsed = GlimpseConfig.safeParse(document ?? {});
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, message: describeIssues(parsed.error) };
}

function describeIssues(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length > 0 ? ` in ${issue.path.join('.')}` : '';
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}${where}`;
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    return `field ${field}: ${issue.message}`;
  });
  return `${GLIMPSE_CONFIG_FILE} is invalid: ${lines.join('; ')}`;
}

/** Milliseconds of a ttl such as "72h". */
export function ttlMilliseconds(ttl: string): number {
  const amount = Number.parseInt(ttl, 10);
  const unit = ttl.at(-1);
  const minutes = unit === 'm' ? 1 : unit === 'h' ? 60 : 60 * 24;
  return amount * minutes * 60_000;
}
