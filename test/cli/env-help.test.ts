import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';

describe('glimpse env commands that need a running server', () => {
  it('say so in their help: a server URL and a token, from flags or GLIMPSE_URL and GLIMPSE_TOKEN', async () => {
    for (const command of ['logs', 'retry', 'redeploy', 'delete', 'deploy']) {
      const help = await cli({}, 'env', command, '--help');
      expect(help.exitCode).toBe(0);
      const text = help.stdout.replace(/\s+/g, ' ');
      expect(text).toContain('--server and --token');
      expect(text).toContain('(required; default: GLIMPSE_URL)');
      expect(text).toContain('(required; default: GLIMPSE_TOKEN;');
      expect(text).not.toContain('unset: the database');
    }
    const logs = (await cli({}, 'env', 'logs', '--help')).stdout.replace(/\s+/g, ' ');
    expect(logs).toContain('needs --server and --token, or GLIMPSE_URL and GLIMPSE_TOKEN');
  });

  it('without them, say what to pass', async () => {
    const result = await cli({}, 'env', 'logs', 'pr-app-1');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'pass --server <url> --token <token>, or set GLIMPSE_URL and GLIMPSE_TOKEN',
    );
  });

  it('ls and show still read the database without a server', async () => {
    const help = (await cli({}, 'env', 'show', '--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('unset: the database');
  });
});
