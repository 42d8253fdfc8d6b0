import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Config } from '../config/config.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { sql } from '../db/drizzle-orm.ts';
import { migrationState } from '../db/migrate.ts';
import { queryRows } from '../db/query-rows.ts';
import { createAppJwt, parsePrivateKey } from '../github/create-app-jwt.ts';
import { createGithubApp } from '../github/create-github-app.ts';
import type { Logger } from '../logger.ts';
import { checkKubernetesAccess } from '../runtimes/kubernetes/check-kubernetes-access.ts';
import { describeSandbox, detectSandbox, type Sandbox } from '../runtimes/local/choose-sandbox.ts';
import { cgroupV2Delegated, describeLimits, detectLimits } from '../runtimes/local/limit-enforcement.ts';

export interface DoctorCheck {
  name: 'database' | 'github' | 'helm' | 'kubernetes' | 'sandbox' | 'limits';
  /** `warning`: Glimpse works, with a risk the operator should know about. */
  status: 'ok' | 'failed' | 'skipped' | 'warning';
  /** What was found, or what is wrong. */
  detail: string;
  /** What to do about a failure (e.g. the RBAC rules to add). */
  fix?: string;
}

export interface DoctorDeps {
  config: Config;
  logger: Logger;
  openDatabase: () => Promise<DatabaseHandle>;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * Checks that Glimpse can work with what it is configured with: database, GitHub App, helm, Kubernetes,
 * and the sandbox and limits of local previews.
 */
export async function runDoctorChecks(deps: DoctorDeps): Promise<DoctorCheck[]> {
  const installations: number[] = [];
  const checks: DoctorCheck[] = [await checkDatabase(deps, installations)];
  checks.push(await checkGithub(deps, installations));
  checks.push(await checkHelm(deps.config));
  checks.push(await checkKubernetes(deps.config));
  checks.push(checkSandbox(deps.config));
  checks.push(checkLimits(deps.config));
  return checks;
}

async function checkDatabase(deps: DoctorDeps, installations: number[]): Promise<DoctorCheck> {
  let handle: DatabaseHandle;
  try {
    handle = await deps.openDatabase();
  } catch (error) {
    return failed('database', `cannot open the database: ${messageOf(error)}`, 'Check DATABASE_URL.');
  }
  try {
    const state = await migrationState(handle.db);
    if (state.pending > 0) {
      return failed(
        'database',
        `${handle.description}: ${state.pending} of ${state.known} migration(s) not applied`,
        'Run `glimpse migrate` (or start `glimpse serve`, which migrates first).',
      );
    }
    // A connected repo's installation, to check that the App can get an installation token.
    const rows = await queryRows<{ installation_id: number }>(
      handle.db,
      sql`select distinct installation_id from repos where enabled order by installation_id limit 1`,
    );
    installations.push(...rows.map((r) => Number(r.installation_id)));
    return {
      name: 'database',
      status: 'ok',
      detail: `${handle.description}, ${state.known} migration(s) applied`,
    };
  } catch (error) {
    return failed('database', `${handle.description}: ${messageOf(error)}`, 'Check DATABASE_URL.');
  } finally {
    await handle.close();
  }
}

async function checkGithub(deps: DoctorDeps, installations: number[]): Promise<DoctorCheck> {
  const { github } = deps.config;
  if (github.app === undefined) {
    return {
      name: 'github',
      status: 'skipped',
      detail: 'no GitHub App configured (GITHUB_APP_ID, GITHUB_PRIVATE_KEY): PR feedback is off',
    };
  }
  const now = deps.now ?? Date.now;
  const doFetch = deps.fetch ?? fetch;
  try {
    const jwt = createAppJwt(github.app.appId, parsePrivateKey(github.app.privateKey), now());
    const response = await doFetch(`${github.apiUrl}/app`, {
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${jwt}`,
        'user-agent': 'glimpse-doctor',
      },
      signal: AbortSignal.timeout(15_000),
    });
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      return failed(
        'github',
        `${github.apiUrl} refused the App's credentials (${response.status})`,
        'Check that GITHUB_APP_ID is the App ID from the App settings page and GITHUB_PRIVATE_KEY is a current private key of that App.',
      );
    }
    if (!response.ok) return failed('github', `GET ${github.apiUrl}/app answered ${response.status}`);
    const app = (await response.json()) as { slug?: unknown; name?: unknown };
    const name = typeof app.slug === 'string' ? app.slug : String(app.name ?? github.app.appId);
    const installation = installations[0];
    if (installation === undefined) {
      return { name: 'github', status: 'ok', detail: `App "${name}" accepted; no repository connected yet` };
    }
    const client = createGithubApp({
      ...github.app,
      apiUrl: github.apiUrl,
      logger: deps.logger,
      retryBaseMs: 200,
    });
    await client.installationToken(installation);
    return {
      name: 'github',
      status: 'ok',
      detail: `App "${name}" accepted; installation ${installation} issued a token`,
    };
  } catch (error) {
    return failed(
      'github',
      `cannot authenticate as the GitHub App at ${github.apiUrl}: ${messageOf(error)}`,
      'Check GITHUB_API_URL, GITHUB_APP_ID and GITHUB_PRIVATE_KEY.',
    );
  }
}

async function checkHelm(config: Config): Promise<DoctorCheck> {
  if (config.runtime !== 'kubernetes') {
    return {
      name: 'helm',
      status: 'skipped',
      detail: 'only needed on Kubernetes (GLIMPSE_RUNTIME=kubernetes)',
    };
  }
  const helm = config.kubernetes.helmPath;
  try {
    const { stdout } = await promisify(execFile)(helm, ['version', '--short'], {
      timeout: 15_000,
      env: { PATH: config.local.searchPath, HOME: process.env.HOME ?? '' },
    });
    return { name: 'helm', status: 'ok', detail: `${helm} ${stdout.trim()}` };
  } catch (error) {
    return failed(
      'helm',
      `\`${helm} version\` failed: ${messageOf(error)}`,
      'Install helm 3 (https://helm.sh/docs/intro/install/) or set GLIMPSE_HELM_PATH to its path; it renders repos that use kubernetes.chart.',
    );
  }
}

async function checkKubernetes(config: Config): Promise<DoctorCheck> {
  if (config.runtime !== 'kubernetes') {
    return { name: 'kubernetes', status: 'skipped', detail: 'GLIMPSE_RUNTIME is local' };
  }
  try {
    const report = await checkKubernetesAccess({ kubeconfig: config.kubernetes.kubeconfig });
    if (report.ok) {
      return { name: 'kubernetes', status: 'ok', detail: `all ${report.checked} permissions granted` };
    }
    const list = report.missing.map(
      (m) =>
        `${m.verb} ${m.group === '' ? '' : `${m.group}/`}${m.resource}${m.subresource ? `/${m.subresource}` : ''}`,
    );
    return failed(
      'kubernetes',
      `${report.missing.length} of ${report.checked} permissions missing: ${list.join(', ')}`,
      `Add these rules to the ClusterRole bound to Glimpse's service account:\n${report.rules}`,
    );
  } catch (error) {
    return failed(
      'kubernetes',
      `cannot check access: ${messageOf(error)}`,
      'Check KUBECONFIG (or the in-cluster service account) and that the API server is reachable.',
    );
  }
}

function checkSandbox(config: Config): DoctorCheck {
  if (config.runtime !== 'local') {
    return {
      name: 'sandbox',
      status: 'skipped',
      detail: 'only for the local runtime (GLIMPSE_RUNTIME=local)',
    };
  }
  try {
    const sandbox = detectSandbox(config.local);
    if (sandbox.mode !== 'none') return { name: 'sandbox', status: 'ok', detail: describeSandbox(sandbox) };
    return {
      name: 'sandbox',
      status: 'warning',
      detail: `${describeSandbox(sandbox)}; pull requests from forks are not deployed`,
      fix: 'Install bubblewrap (Debian and Ubuntu: apt-get install bubblewrap) and leave GLIMPSE_LOCAL_SANDBOX unset, or run Glimpse as root (GLIMPSE_LOCAL_SANDBOX=uid).',
    };
  } catch (error) {
    return failed('sandbox', messageOf(error));
  }
}

/** What the per-preview memory and process limits hold to here, and what they cannot: never a silent skip. */
function checkLimits(config: Config): DoctorCheck {
  if (config.runtime !== 'local') {
    return {
      name: 'limits',
      status: 'skipped',
      detail: 'only for the local runtime (GLIMPSE_RUNTIME=local)',
    };
  }
  let sandbox: Sandbox;
  try {
    sandbox = detectSandbox(config.local);
  } catch {
    return { name: 'limits', status: 'skipped', detail: 'they depend on the sandbox, which failed' };
  }
  try {
    const { enforced, notEnforced } = describeLimits(
      sandbox,
      detectLimits(config.local),
      cgroupV2Delegated(),
    );
    const detail = [
      ...(enforced.length === 0 ? [] : [`enforced: ${enforced.join('; ')}`]),
      `not enforced: ${notEnforced.join('; ')}`,
    ].join('. ');
    const missing = enforced.length === 0 || !enforced.some((line) => line.startsWith('processes'));
    if (!missing) return { name: 'limits', status: 'ok', detail };
    return {
      name: 'limits',
      status: 'warning',
      detail,
      fix: 'Install util-linux (prlimit) and run Glimpse as root, so each preview gets a uid of its own and a process limit.',
    };
  } catch (error) {
    return failed('limits', messageOf(error));
  }
}

function failed(name: DoctorCheck['name'], detail: string, fix?: string): DoctorCheck {
  return { name, status: 'failed', detail, ...(fix === undefined ? {} : { fix }) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
