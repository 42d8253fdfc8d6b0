import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseQuantity } from '../domain/quantity.ts';
import { DEFAULT_LIMITS, DEFAULT_MAX_RESOURCES } from '../domain/resource-defaults.ts';

/**
 * Every setting Glimpse reads from its environment, validated once at startup.
 * Nothing else in the code base reads process.env.
 */
interface Variable<T> {
  schema: z.ZodType<T>;
  expected: string;
  secret?: boolean;
}

function variable<T>(schema: z.ZodType<T>, expected: string, secret = false): Variable<T> {
  return { schema, expected, secret };
}

const port = z.coerce.number().int().min(1).max(65535);
const url = z.url({ protocol: /^https?$/ });

/** A Kubernetes quantity no smaller than `atLeast`, the default limit every preview gets. */
function quantityFrom(atLeast: string, fallback: string) {
  const floor = parseQuantity(atLeast) ?? 0;
  return z
    .string()
    .trim()
    .default(fallback)
    .refine((text) => (parseQuantity(text) ?? -1) >= floor);
}

const variables = {
  GLIMPSE_HOST: variable(z.string().min(1).default('127.0.0.1'), 'an address to listen on, e.g. 0.0.0.0'),
  GLIMPSE_PORT: variable(port.default(3000), 'a whole number from 1 to 65535'),
  GLIMPSE_PUBLIC_URL: variable(url.optional(), 'an http(s) URL such as https://glimpse.example.com'),
  GLIMPSE_DATA_DIR: variable(z.string().min(1).default('./.glimpse'), 'a directory path'),
  DATABASE_URL: variable(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/.+/)
      .optional(),
    'a postgres:// or postgresql:// connection URL, or unset for the embedded database',
    true,
  ),
  GLIMPSE_RUNTIME: variable(z.enum(['local', 'kubernetes']).default('local'), '"local" or "kubernetes"'),
  GITHUB_APP_ID: variable(
    z.coerce.number().int().positive().optional(),
    'the numeric App ID from the GitHub App settings page',
  ),
  GITHUB_PRIVATE_KEY: variable(
    z
      .string()
      .transform((key) => key.replace(/\\n/g, '\n').trim())
      .refine((key) =>
        /^-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----$/.test(key),
      )
      .optional(),
    'a PEM private key: paste the .pem file GitHub gave you, or set GITHUB_PRIVATE_KEY_PATH',
    true,
  ),
  GITHUB_PRIVATE_KEY_PATH: variable(
    z.string().min(1).optional(),
    'the path of the .pem file GitHub gave you',
  ),
  GITHUB_WEBHOOK_SECRET: variable(
    z.string().min(16).optional(),
    'the webhook secret of the GitHub App, at least 16 characters (unset: Glimpse generates one)',
    true,
  ),
  GITHUB_API_URL: variable(
    url.default('https://api.github.com'),
    'the REST API base URL, e.g. https://github.example.com/api/v3 for GitHub Enterprise',
  ),
  GITHUB_CLIENT_ID: variable(
    z.string().min(1).optional(),
    'the Client ID of the GitHub App (for "Sign in with GitHub")',
  ),
  GITHUB_CLIENT_SECRET: variable(
    z.string().min(1).optional(),
    'a client secret generated on the GitHub App settings page',
    true,
  ),
  GLIMPSE_SESSION_SECRET: variable(
    z.string().min(32).optional(),
    'at least 32 characters of random text (unset: Glimpse generates one into the data dir)',
    true,
  ),
  GLIMPSE_SECRET_KEY: variable(
    z.string().min(32).optional(),
    'at least 32 characters of random text (unset: Glimpse generates one into the data dir)',
    true,
  ),
  GLIMPSE_API_RATE_LIMIT: variable(
    z.coerce.number().int().min(0).max(1_000_000).default(600),
    'API requests per minute per token, a whole number (0 turns the limit off)',
  ),
  GLIMPSE_PROXY_PORT: variable(
    z.coerce.number().int().min(0).max(65535).default(8080),
    'a whole number from 0 (any free port) to 65535',
  ),
  GLIMPSE_BASE_DOMAIN: variable(
    z
      .string()
      .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i)
      .default('localhost'),
    'a domain such as previews.example.com, under which each preview gets a host name',
  ),
  GLIMPSE_BUILD_TIMEOUT_SECONDS: variable(
    z.coerce.number().int().min(1).default(600),
    'a whole number of seconds, at least 1',
  ),
  GLIMPSE_ALLOW_FILE_REPOS: variable(
    z
      .enum(['0', '1', 'true', 'false'])
      .default('0')
      .transform((v) => v === '1' || v === 'true'),
    '1 or 0',
  ),
  GLIMPSE_LOCAL_SANDBOX: variable(
    z.enum(['auto', 'bubblewrap', 'uid', 'none']).default('auto'),
    '"auto", "bubblewrap", "uid" or "none"',
  ),
  GLIMPSE_LOCAL_SCHEDULING: variable(z.enum(['batch', 'normal']).default('batch'), '"batch" or "normal"'),
  GLIMPSE_LOCAL_UID_RANGE: variable(
    z
      .string()
      .trim()
      .default('200000-265535')
      .transform((text) => /^(\d+)-(\d+)$/.exec(text))
      .refine(
        (m) => m !== null && Number(m[1]) >= 1000 && Number(m[2]) >= Number(m[1]) && Number(m[2]) < 2 ** 31,
      )
      .transform((m) => ({ first: Number(m?.[1]), last: Number(m?.[2]) })),
    'a range of uids such as 200000-265535 (first at least 1000, last not below first), none of them used by anything else',
  ),
  GLIMPSE_LOCAL_MAX_MEMORY: variable(
    quantityFrom('256Mi', '4Gi'),
    'a memory quantity of at least 256Mi, e.g. 4Gi (the address space each process of a preview may use)',
  ),
  GLIMPSE_LOCAL_MAX_PROCESSES: variable(
    z.coerce.number().int().min(16).max(1_000_000).default(512),
    'a whole number from 16 to 1000000 (processes and threads per preview)',
  ),
  GLIMPSE_MAX_CONCURRENT_DEPLOYS: variable(
    z.coerce.number().int().min(1).max(1000).default(10),
    'a whole number from 1 to 1000',
  ),
  GLIMPSE_MAX_CONCURRENT_DELETES: variable(
    z.coerce.number().int().min(1).max(10_000).default(500),
    'a whole number from 1 to 10000',
  ),
  GLIMPSE_LEASE_SECONDS: variable(
    z.coerce.number().int().min(2).max(3600).default(30),
    'a whole number of seconds from 2 to 3600',
  ),
  GLIMPSE_RESYNC_SECONDS: variable(
    z.coerce.number().int().min(1).default(60),
    'a whole number of seconds, at least 1',
  ),
  KUBECONFIG: variable(
    z.string().min(1).optional(),
    'the path of a kubeconfig file (unset: ~/.kube/config, or the in-cluster service account)',
  ),
  GLIMPSE_INGRESS_CLASS: variable(z.string().min(1).default('nginx'), 'an IngressClass name'),
  GLIMPSE_INGRESS_NAMESPACE: variable(
    z.string().min(1).default('ingress-nginx'),
    'the namespace of the ingress controller',
  ),
  GLIMPSE_PREVIEW_URL_SCHEME: variable(
    z.enum(['http', 'https']).optional(),
    '"http" or "https" (default https on Kubernetes, http locally)',
  ),
  GLIMPSE_DEPLOY_TIMEOUT_SECONDS: variable(
    z.coerce.number().int().min(1).default(180),
    'a whole number of seconds, at least 1',
  ),
  GLIMPSE_DELETE_TIMEOUT_SECONDS: variable(
    z.coerce.number().int().min(1).default(300),
    'a whole number of seconds, at least 1',
  ),
  GLIMPSE_HELM_PATH: variable(z.string().min(1).default('helm'), 'the helm binary (name on PATH, or a path)'),
  GLIMPSE_PREVIEW_MAX_CPU: variable(
    quantityFrom(DEFAULT_LIMITS.cpu, DEFAULT_MAX_RESOURCES.cpu),
    `a CPU quantity of at least the default limit ${DEFAULT_LIMITS.cpu}, e.g. 2 or 1500m`,
  ),
  GLIMPSE_PREVIEW_MAX_MEMORY: variable(
    quantityFrom(DEFAULT_LIMITS.memory, DEFAULT_MAX_RESOURCES.memory),
    `a memory quantity of at least the default limit ${DEFAULT_LIMITS.memory}, e.g. 2Gi`,
  ),
  GLIMPSE_TOKEN: variable(
    z.string().min(1).optional(),
    'an API token for the CLI (only redacted by the server: preview output never shows it)',
    true,
  ),
  GLIMPSE_METRICS_PORT: variable(
    port.optional(),
    'a whole number from 1 to 65535 (unset: /metrics is served on GLIMPSE_PORT)',
  ),
  GLIMPSE_METRICS_TOKEN: variable(
    z.string().min(16).optional(),
    'at least 16 characters; Prometheus sends it as "Authorization: Bearer <token>"',
    true,
  ),
  LOG_LEVEL: variable(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    'one of fatal, error, warn, info, debug, trace, silent',
  ),
} as const;

type Variables = typeof variables;
export type VariableName = keyof Variables;
type Values = { [K in VariableName]: z.output<Variables[K]['schema']> };

export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  runtime: 'local' | 'kubernetes';
  logLevel: Values['LOG_LEVEL'];
  github: GithubConfig;
  api: ApiConfig;
  local: {
    proxyPort: number;
    buildTimeoutMs: number;
    allowFileRepos: boolean;
    /** How previews' commands are confined: `auto` takes bubblewrap when it works. */
    sandbox: 'auto' | 'bubblewrap' | 'uid' | 'none';
    /** `batch`: previews' processes run under SCHED_BATCH, so that one that wakes does not preempt Glimpse. */
    scheduling: 'batch' | 'normal';
    /** The uids given to previews, one each, when Glimpse runs as root. */
    uidRange: { first: number; last: number };
    /** The most a `.glimpse.yml`'s `local.resources` may ask for, and what a preview gets by default. */
    maxResources: { memory: string; processes: number };
    /** Where programs are looked up (Glimpse's PATH): previews get it, and `bwrap` is found on it. */
    searchPath: string;
    /** Where preview worktrees go when the data dir lies inside a project: a per-user cache, then the temp dir. */
    spareDirs: string[];
  };
  /** Host names of previews are `<environment>.<baseDomain>`. */
  baseDomain: string;
  /** `leaseMs`: how long a claim on an environment lasts unless renewed (a crashed replica's work waits this long). */
  controller: {
    maxConcurrentDeploys: number;
    maxConcurrentDeletes: number;
    leaseMs: number;
    resyncMs: number;
  };
  kubernetes: {
    kubeconfig: string | undefined;
    ingressClass: string;
    ingressNamespace: string;
    deployTimeoutMs: number;
    deleteTimeoutMs: number;
    helmPath: string;
    /** The most CPU and memory a repo's `.glimpse.yml` may ask for per container. */
    maxResources: { cpu: string; memory: string };
  };
  /**
   * `/metrics`: on `port` only when set (a listener of its own on GLIMPSE_HOST), else on the main port; with a
   * token, only for requests bearing it.
   */
  metrics: { port: number | undefined; token: string | undefined };
  /** Key of what Glimpse stores encrypted (the GitHub App it connected); unset: generated into the data dir. */
  secretKey: string | undefined;
  /** Scheme of preview URLs; unset: https on Kubernetes, http for the local proxy. */
  previewUrlScheme: 'http' | 'https' | undefined;
  /**
   * Values that must never appear in logs, errors or anything posted to GitHub: the App's private key, the
   * webhook, client and session secrets, the database password, and an API token in GLIMPSE_TOKEN.
   */
  secrets: string[];
}

export interface GithubConfig {
  apiUrl: string;
  /** Set when Glimpse runs as a GitHub App; without it, PR feedback is off. */
  app: { appId: number; privateKey: string } | undefined;
  /** Unset: generated into the data dir on first start. */
  webhookSecret: string | undefined;
  /** The App's OAuth client, for "Sign in with GitHub"; unset: sign-in is off. */
  oauth: { clientId: string; clientSecret: string } | undefined;
}

export interface ApiConfig {
  /** Requests per minute per API token (or signed-in user); 0: unlimited. */
  rateLimitPerMinute: number;
  /** Unset: generated into the data dir on first start. */
  sessionSecret: string | undefined;
}

export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export type Environment = Record<string, string | undefined>;

export function loadConfig(env: Environment, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const values: Partial<Record<VariableName, unknown>> = {};
  for (const [name, spec] of Object.entries(variables) as [VariableName, Variable<unknown>][]) {
    const raw = env[name] === '' ? undefined : env[name];
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) {
      values[name] = parsed.data;
    } else {
      const given = raw === undefined ? 'nothing' : spec.secret ? 'a value (hidden)' : JSON.stringify(raw);
      problems.push(`${name}: got ${given}, expected ${spec.expected}`);
    }
  }
  const v = values as Values;
  const privateKey = v.GITHUB_PRIVATE_KEY ?? readPrivateKeyFile(v.GITHUB_PRIVATE_KEY_PATH, cwd, problems);
  if (v.GITHUB_PRIVATE_KEY !== undefined && v.GITHUB_PRIVATE_KEY_PATH !== undefined) {
    problems.push('GITHUB_PRIVATE_KEY and GITHUB_PRIVATE_KEY_PATH are both set: keep one of them');
  }
  const keyGiven = Boolean(env.GITHUB_PRIVATE_KEY) || v.GITHUB_PRIVATE_KEY_PATH !== undefined;
  if (v.GITHUB_APP_ID !== undefined && !keyGiven) {
    problems.push(
      'GITHUB_APP_ID is set but no private key: set GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH',
    );
  }
  if (v.GITHUB_APP_ID === undefined && privateKey !== undefined) {
    problems.push('GITHUB_APP_ID: got nothing, expected the numeric App ID that goes with the private key');
  }
  if ((v.GITHUB_CLIENT_ID === undefined) !== (v.GITHUB_CLIENT_SECRET === undefined)) {
    problems.push(
      'GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET go together: set both for GitHub sign-in, or neither',
    );
  }
  if (v.GLIMPSE_METRICS_PORT !== undefined && v.GLIMPSE_METRICS_PORT === v.GLIMPSE_PORT) {
    problems.push('GLIMPSE_METRICS_PORT is GLIMPSE_PORT: pick another port for metrics, or unset it');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const app =
    v.GITHUB_APP_ID !== undefined && privateKey !== undefined
      ? { appId: v.GITHUB_APP_ID, privateKey }
      : undefined;
  return {
    host: v.GLIMPSE_HOST,
    port: v.GLIMPSE_PORT,
    publicUrl: (v.GLIMPSE_PUBLIC_URL ?? `http://localhost:${v.GLIMPSE_PORT}`).replace(/\/+$/, ''),
    dataDir: path.resolve(cwd, v.GLIMPSE_DATA_DIR),
    databaseUrl: v.DATABASE_URL,
    runtime: v.GLIMPSE_RUNTIME,
    logLevel: v.LOG_LEVEL,
    local: {
      proxyPort: v.GLIMPSE_PROXY_PORT,
      buildTimeoutMs: v.GLIMPSE_BUILD_TIMEOUT_SECONDS * 1000,
      allowFileRepos: v.GLIMPSE_ALLOW_FILE_REPOS,
      sandbox: v.GLIMPSE_LOCAL_SANDBOX,
      scheduling: v.GLIMPSE_LOCAL_SCHEDULING,
      uidRange: v.GLIMPSE_LOCAL_UID_RANGE,
      maxResources: { memory: v.GLIMPSE_LOCAL_MAX_MEMORY, processes: v.GLIMPSE_LOCAL_MAX_PROCESSES },
      searchPath: env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      spareDirs: spareDirs(env),
    },
    baseDomain: v.GLIMPSE_BASE_DOMAIN.toLowerCase(),
    kubernetes: {
      kubeconfig: v.KUBECONFIG === undefined ? undefined : path.resolve(cwd, v.KUBECONFIG),
      ingressClass: v.GLIMPSE_INGRESS_CLASS,
      ingressNamespace: v.GLIMPSE_INGRESS_NAMESPACE,
      deployTimeoutMs: v.GLIMPSE_DEPLOY_TIMEOUT_SECONDS * 1000,
      deleteTimeoutMs: v.GLIMPSE_DELETE_TIMEOUT_SECONDS * 1000,
      helmPath: v.GLIMPSE_HELM_PATH,
      maxResources: { cpu: v.GLIMPSE_PREVIEW_MAX_CPU, memory: v.GLIMPSE_PREVIEW_MAX_MEMORY },
    },
    previewUrlScheme: v.GLIMPSE_PREVIEW_URL_SCHEME,
    controller: {
      maxConcurrentDeploys: v.GLIMPSE_MAX_CONCURRENT_DEPLOYS,
      maxConcurrentDeletes: v.GLIMPSE_MAX_CONCURRENT_DELETES,
      leaseMs: v.GLIMPSE_LEASE_SECONDS * 1000,
      resyncMs: v.GLIMPSE_RESYNC_SECONDS * 1000,
    },
    github: {
      apiUrl: v.GITHUB_API_URL.replace(/\/+$/, ''),
      app,
      webhookSecret: v.GITHUB_WEBHOOK_SECRET,
      oauth:
        v.GITHUB_CLIENT_ID !== undefined && v.GITHUB_CLIENT_SECRET !== undefined
          ? { clientId: v.GITHUB_CLIENT_ID, clientSecret: v.GITHUB_CLIENT_SECRET }
          : undefined,
    },
    api: { rateLimitPerMinute: v.GLIMPSE_API_RATE_LIMIT, sessionSecret: v.GLIMPSE_SESSION_SECRET },
    metrics: { port: v.GLIMPSE_METRICS_PORT, token: v.GLIMPSE_METRICS_TOKEN },
    secretKey: v.GLIMPSE_SECRET_KEY,
    secrets: [
      ...databasePassword(v.DATABASE_URL),
      privateKey,
      v.GITHUB_WEBHOOK_SECRET,
      v.GITHUB_CLIENT_SECRET,
      v.GLIMPSE_SESSION_SECRET,
      v.GLIMPSE_TOKEN,
      v.GLIMPSE_SECRET_KEY,
      v.GLIMPSE_METRICS_TOKEN,
    ].filter((s): s is string => s !== undefined),
  };
}

/** `$XDG_CACHE_HOME/glimpse` (or `~/.cache/glimpse`), then `<temp dir>/glimpse-<uid>`. */
function spareDirs(env: Environment): string[] {
  const cache = env.XDG_CACHE_HOME?.startsWith('/')
    ? env.XDG_CACHE_HOME
    : env.HOME?.startsWith('/')
      ? path.join(env.HOME, '.cache')
      : undefined;
  const temp = env.TMPDIR?.startsWith('/') ? env.TMPDIR : '/tmp';
  const user = process.getuid?.() ?? 'user';
  return [...(cache === undefined ? [] : [path.join(cache, 'glimpse')]), path.join(temp, `glimpse-${user}`)];
}

/**
 * The password of a database URL, as written and decoded. The rest of the URL is no secret, and whole-URL
 * matching would redact every mention of its host.
 */
function databasePassword(databaseUrl: string | undefined): string[] {
  if (databaseUrl === undefined) return [];
  const password = URL.parse(databaseUrl)?.password ?? '';
  if (password === '') return [];
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // Not valid percent-encoding: postgres takes it as written.
  }
  return [password, decoded];
}

function readPrivateKeyFile(file: string | undefined, cwd: string, problems: string[]): string | undefined {
  if (file === undefined) return undefined;
  let key: string;
  try {
    key = readFileSync(path.resolve(cwd, file), 'utf8').trim();
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    problems.push(
      `GITHUB_PRIVATE_KEY_PATH: cannot read ${JSON.stringify(file)} (${code}), expected a readable .pem file`,
    );
    return undefined;
  }
  if (!key.includes('PRIVATE KEY-----')) {
    problems.push(
      `GITHUB_PRIVATE_KEY_PATH: ${JSON.stringify(file)} is not a PEM private key, expected the .pem file GitHub gave you`,
    );
    return undefined;
  }
  return key;
}
