import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig({}, '/srv');
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      dataDir: '/srv/.glimpse',
      databaseUrl: undefined,
      runtime: 'local',
      logLevel: 'info',
    });
  });

  it('reads every variable it documents', () => {
    const config = loadConfig(
      {
        GLIMPSE_HOST: '0.0.0.0',
        GLIMPSE_PORT: '8443',
        GLIMPSE_PUBLIC_URL: 'https://glimpse.example.com/',
        GLIMPSE_DATA_DIR: '/var/lib/glimpse',
        DATABASE_URL: 'postgres://glimpse@db/glimpse',
        GLIMPSE_RUNTIME: 'kubernetes',
        LOG_LEVEL: 'debug',
      },
      '/srv',
    );
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8443,
      publicUrl: 'https://glimpse.example.com',
      dataDir: '/var/lib/glimpse',
      databaseUrl: 'postgres://glimpse@db/glimpse',
      runtime: 'kubernetes',
      logLevel: 'debug',
    });
    expect(config.secrets).toEqual([]);
  });

  it('serves metrics on the main port unless GLIMPSE_METRICS_PORT names another, and keeps their token secret', () => {
    expect(loadConfig({}, '/srv').metrics).toEqual({ port: undefined, token: undefined });
    const config = loadConfig({
      GLIMPSE_METRICS_PORT: '9464',
      GLIMPSE_METRICS_TOKEN: 'scrape-token-0123456789',
    });
    expect(config.metrics).toEqual({ port: 9464, token: 'scrape-token-0123456789' });
    expect(config.secrets).toEqual(['scrape-token-0123456789']);
    expect(
      problemsOf({ GLIMPSE_PORT: '9464', GLIMPSE_METRICS_PORT: '9464', GLIMPSE_METRICS_TOKEN: 'short' }),
    ).toEqual([
      'GLIMPSE_METRICS_TOKEN: got a value (hidden), expected at least 16 characters; Prometheus sends it as "Authorization: Bearer <token>"',
      'GLIMPSE_METRICS_PORT is GLIMPSE_PORT: pick another port for metrics, or unset it',
    ]);
  });

  it('keeps the database password (as written and decoded) and GLIMPSE_TOKEN as secrets, not the whole URL', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://glimpse:p%40ss-word@db:5432/glimpse',
      GLIMPSE_TOKEN: 'glimpse_cli-token-value',
    });
    expect(config.secrets).toEqual(['p%40ss-word', 'p@ss-word', 'glimpse_cli-token-value']);
  });

  it('reports each bad variable by name, with what was given and what is expected', () => {
    const problems = problemsOf({
      GLIMPSE_PORT: 'abc',
      GLIMPSE_RUNTIME: 'docker',
      GLIMPSE_PUBLIC_URL: 'not a url',
      LOG_LEVEL: 'loud',
    });
    expect(problems).toEqual([
      'GLIMPSE_PORT: got "abc", expected a whole number from 1 to 65535',
      'GLIMPSE_PUBLIC_URL: got "not a url", expected an http(s) URL such as https://glimpse.example.com',
      'GLIMPSE_RUNTIME: got "docker", expected "local" or "kubernetes"',
      'LOG_LEVEL: got "loud", expected one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('rejects ports out of range', () => {
    expect(problemsOf({ GLIMPSE_PORT: '70000' })).toHaveLength(1);
    expect(problemsOf({ GLIMPSE_PORT: '0' })).toHaveLength(1);
  });

  it('takes the per-preview maximum as Kubernetes quantities no smaller than the default limits', () => {
    expect(loadConfig({}, '/srv').kubernetes.maxResources).toEqual({ cpu: '2', memory: '2Gi' });
    const raised = loadConfig({ GLIMPSE_PREVIEW_MAX_CPU: '4', GLIMPSE_PREVIEW_MAX_MEMORY: '8Gi' }, '/srv');
    expect(raised.kubernetes.maxResources).toEqual({ cpu: '4', memory: '8Gi' });
    expect(problemsOf({ GLIMPSE_PREVIEW_MAX_CPU: '100m', GLIMPSE_PREVIEW_MAX_MEMORY: 'lots' })).toEqual([
      'GLIMPSE_PREVIEW_MAX_CPU: got "100m", expected a CPU quantity of at least the default limit 500m, e.g. 2 or 1500m',
      'GLIMPSE_PREVIEW_MAX_MEMORY: got "lots", expected a memory quantity of at least the default limit 512Mi, e.g. 2Gi',
    ]);
  });

  it('never echoes a secret value back in its message', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://root:hunter2@db' });
    expect(problems).toEqual([
      'DATABASE_URL: got a value (hidden), expected a postgres:// or postgresql:// connection URL, or unset for the embedded database',
    ]);
    expect(problems.join()).not.toContain('hunter2');
  });
});

describe('GitHub App settings', () => {
  const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----';

  it('is off without App credentials, with GitHub.com as the API', () => {
    expect(loadConfig({}, '/srv').github).toEqual({
      apiUrl: 'https://api.github.com',
      app: undefined,
      webhookSecret: undefined,
    });
  });

  it('reads the key from the variable (with escaped newlines) and keeps it secret', () => {
    const config = loadConfig(
      {
        GITHUB_APP_ID: '42',
        GITHUB_PRIVATE_KEY: pem.replace(/\n/g, '\\n'),
        GITHUB_WEBHOOK_SECRET: 's'.repeat(20),
      },
      '/srv',
    );
    expect(config.github.app).toEqual({ appId: 42, privateKey: pem });
    expect(config.secrets).toEqual(expect.arrayContaining([pem, 's'.repeat(20)]));
  });

  it('reads the key from a file', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/glimpse-key-`);
    await writeFile(`${dir}/app.pem`, `${pem}\n`);
    const config = loadConfig({ GITHUB_APP_ID: '42', GITHUB_PRIVATE_KEY_PATH: 'app.pem' }, dir);
    expect(config.github.app?.privateKey).toBe(pem);
  });

  it('explains a key that is not PEM, a missing key file and a half-configured App', () => {
    expect(problemsOf({ GITHUB_APP_ID: '42', GITHUB_PRIVATE_KEY: 'abc' })).toEqual([
      'GITHUB_PRIVATE_KEY: got a value (hidden), expected a PEM private key: paste the .pem file GitHub gave you, or set GITHUB_PRIVATE_KEY_PATH',
    ]);
    expect(problemsOf({ GITHUB_APP_ID: '42', GITHUB_PRIVATE_KEY_PATH: '/nope.pem' })).toEqual([
      'GITHUB_PRIVATE_KEY_PATH: cannot read "/nope.pem" (ENOENT), expected a readable .pem file',
    ]);
    expect(problemsOf({ GITHUB_APP_ID: '42' })).toEqual([
      'GITHUB_APP_ID is set but no private key: set GITHUB_PRIVATE_KEY or GITHUB_PRIVATE_KEY_PATH',
    ]);
    expect(problemsOf({ GITHUB_PRIVATE_KEY: pem })[0]).toContain('GITHUB_APP_ID: got nothing');
    expect(problemsOf({ GITHUB_WEBHOOK_SECRET: 'short' })[0]).toContain(
      'GITHUB_WEBHOOK_SECRET: got a value (hidden)',
    );
  });

  it('reads GitHub sign-in, the session secret and the API rate limit, keeping the secrets secret', () => {
    const defaults = loadConfig({}, '/srv');
    expect(defaults.github.oauth).toBeUndefined();
    expect(defaults.api).toEqual({ rateLimitPerMinute: 600, sessionSecret: undefined });
    const config = loadConfig(
      {
        GITHUB_CLIENT_ID: 'Iv1.abc',
        GITHUB_CLIENT_SECRET: 'client-secret',
        GLIMPSE_SESSION_SECRET: 'k'.repeat(32),
        GLIMPSE_API_RATE_LIMIT: '0',
      },
      '/srv',
    );
    expect(config.github.oauth).toEqual({ clientId: 'Iv1.abc', clientSecret: 'client-secret' });
    expect(config.api).toEqual({ rateLimitPerMinute: 0, sessionSecret: 'k'.repeat(32) });
    expect(config.secrets).toEqual(expect.arrayContaining(['client-secret', 'k'.repeat(32)]));
  });

  it('explains a half-configured sign-in, a short session secret and a bad rate limit', () => {
    expect(problemsOf({ GITHUB_CLIENT_ID: 'Iv1.abc' })).toEqual([
      'GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET go together: set both for GitHub sign-in, or neither',
    ]);
    expect(problemsOf({ GLIMPSE_SESSION_SECRET: 'short', GLIMPSE_API_RATE_LIMIT: '-1' })).toEqual([
      'GLIMPSE_SESSION_SECRET: got a value (hidden), expected at least 32 characters of random text (unset: Glimpse generates one into the data dir)',
      'GLIMPSE_API_RATE_LIMIT: got "-1", expected API requests per minute per token, a whole number (0 turns the limit off)',
    ]);
  });
});

describe('the controller lease', () => {
  it('refuses a lease too short to renew or longer than an hour, with what it expects', () => {
    for (const value of ['1', '3601', 'soon']) {
      expect(() => loadConfig({ GLIMPSE_LEASE_SECONDS: value })).toThrow(
        /GLIMPSE_LEASE_SECONDS: got .*, expected a whole number of seconds from 2 to 3600/,
      );
    }
  });
});

describe('derived defaults', () => {
  it('points the public URL at the configured port when it is not set', () => {
    expect(loadConfig({ GLIMPSE_PORT: '4000' }, '/srv').publicUrl).toBe('http://localhost:4000');
  });

  it('reads the local runtime and controller settings', () => {
    const config = loadConfig(
      {
        GLIMPSE_PROXY_PORT: '0',
        GLIMPSE_BASE_DOMAIN: 'Previews.Example.com',
        GLIMPSE_BUILD_TIMEOUT_SECONDS: '30',
        GLIMPSE_ALLOW_FILE_REPOS: '1',
        GLIMPSE_MAX_CONCURRENT_DEPLOYS: '50',
        GLIMPSE_MAX_CONCURRENT_DELETES: '2000',
        GLIMPSE_RESYNC_SECONDS: '5',
        GLIMPSE_LEASE_SECONDS: '5',
        GLIMPSE_LOCAL_SANDBOX: 'uid',
        GLIMPSE_LOCAL_SCHEDULING: 'normal',
        GLIMPSE_LOCAL_UID_RANGE: '300000-300099',
        GLIMPSE_LOCAL_MAX_MEMORY: '8Gi',
        GLIMPSE_LOCAL_MAX_PROCESSES: '1000',
        PATH: '/opt/tools/bin:/usr/bin',
      },
      '/srv',
    );
    expect(config).toMatchObject({
      local: {
        proxyPort: 0,
        buildTimeoutMs: 30_000,
        allowFileRepos: true,
        sandbox: 'uid',
        scheduling: 'normal',
        uidRange: { first: 300_000, last: 300_099 },
        maxResources: { memory: '8Gi', processes: 1000 },
        searchPath: '/opt/tools/bin:/usr/bin',
      },
      baseDomain: 'previews.example.com',
      controller: { maxConcurrentDeploys: 50, maxConcurrentDeletes: 2000, leaseMs: 5_000, resyncMs: 5_000 },
    });
    expect(loadConfig({}, '/srv')).toMatchObject({
      local: {
        proxyPort: 8080,
        buildTimeoutMs: 600_000,
        allowFileRepos: false,
        sandbox: 'auto',
        scheduling: 'batch',
        uidRange: { first: 200_000, last: 265_535 },
        maxResources: { memory: '4Gi', processes: 512 },
      },
      baseDomain: 'localhost',
      controller: { maxConcurrentDeploys: 10, maxConcurrentDeletes: 500, leaseMs: 30_000, resyncMs: 60_000 },
    });
  });

  it('takes only the sandbox modes it knows', () => {
    expect(() => loadConfig({ GLIMPSE_LOCAL_SANDBOX: 'docker' })).toThrow(
      'GLIMPSE_LOCAL_SANDBOX: got "docker", expected "auto", "bubblewrap", "uid" or "none"',
    );
  });

  it('takes a uid range that cannot reach system users, and limits previews can start under', () => {
    expect(() => loadConfig({ GLIMPSE_LOCAL_UID_RANGE: '0-1000' })).toThrow(
      'GLIMPSE_LOCAL_UID_RANGE: got "0-1000"',
    );
    expect(() => loadConfig({ GLIMPSE_LOCAL_UID_RANGE: '5000-4000' })).toThrow('GLIMPSE_LOCAL_UID_RANGE');
    expect(() => loadConfig({ GLIMPSE_LOCAL_MAX_MEMORY: '64Mi' })).toThrow(
      'GLIMPSE_LOCAL_MAX_MEMORY: got "64Mi"',
    );
    expect(() => loadConfig({ GLIMPSE_LOCAL_MAX_PROCESSES: '2' })).toThrow(
      'GLIMPSE_LOCAL_MAX_PROCESSES: got "2"',
    );
  });

  it('offers a per-user cache, then the temp dir, for preview worktrees', () => {
    const uid = process.getuid?.() ?? 'user';
    expect(loadConfig({ HOME: '/home/ada', TMPDIR: '/var/tmp' }, '/srv').local.spareDirs).toEqual([
      '/home/ada/.cache/glimpse',
      `/var/tmp/glimpse-${uid}`,
    ]);
    expect(loadConfig({ XDG_CACHE_HOME: '/c', HOME: '/home/ada' }, '/srv').local.spareDirs).toEqual([
      '/c/glimpse',
      `/tmp/glimpse-${uid}`,
    ]);
  });
});
