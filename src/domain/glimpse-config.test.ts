import { describe, expect, it } from 'vitest';
import { DEFAULT_GLIMPSE_CONFIG, parseGlimpseConfig, ttlMilliseconds } from './glimpse-config.ts';

describe('parseGlimpseConfig', () => {
  it('fills defaults for an empty file', () => {
    expect(parseGlimpseConfig('')).toEqual({ ok: true, config: DEFAULT_GLIMPSE_CONFIG });
    expect(DEFAULT_GLIMPSE_CONFIG).toMatchObject({
      label: 'preview',
      requireLabel: false,
      skipDrafts: false,
    });
  });

  it('reads a local section with its defaults', () => {
    const result = parseGlimpseConfig('local:\n  install: npm ci\n  start: node server.js\n');
    expect(result).toEqual({
      ok: true,
      config: expect.objectContaining({
        local: { install: 'npm ci', start: 'node server.js', port_env: 'PORT', health: '/', env: {} },
      }),
    });
  });

  it('names the bad field', () => {
    const result = parseGlimpseConfig('local:\n  start: 42\n');
    expect(result).toEqual({ ok: false, message: expect.stringContaining('field local.start') });
  });

  it('names unknown fields instead of ignoring a typo', () => {
    const result = parseGlimpseConfig('locl:\n  start: x\n');
    expect(result).toEqual({ ok: false, message: expect.stringContaining('unknown field locl') });
  });

  it('reports YAML syntax errors', () => {
    const result = parseGlimpseConfig('local: [unclosed');
    expect(result).toEqual({ ok: false, message: expect.stringContaining('not valid YAML') });
  });

  it('shows the whole YAML error: line, column and the offending line with a caret', () => {
    const result = parseGlimpseConfig('local:\n  start: node server.js\n   env: x\n');
    expect(result).toEqual({
      ok: false,
      message:
        '.glimpse.yml is not valid YAML: Nested mappings are not allowed in compact mappings at line 2, column 10:\n\n' +
        '  start: node server.js\n         ^',
    });
  });

  it('requires exactly one of kubernetes.chart and kubernetes.image', () => {
    expect(parseGlimpseConfig('kubernetes:\n  port: 80\n')).toMatchObject({ ok: false });
    expect(parseGlimpseConfig('kubernetes:\n  chart: c\n  image: i\n')).toMatchObject({ ok: false });
    expect(parseGlimpseConfig('kubernetes:\n  image: "ghcr.io/a/b:{sha}"\n')).toMatchObject({ ok: true });
  });

  it('rejects a bad ttl and converts a good one', () => {
    expect(parseGlimpseConfig('ttl: soon')).toEqual({
      ok: false,
      message: expect.stringContaining('field ttl'),
    });
    expect(ttlMilliseconds('72h')).toBe(72 * 3_600_000);
    expect(ttlMilliseconds('30m')).toBe(1_800_000);
    expect(ttlMilliseconds('7d')).toBe(7 * 86_400_000);
  });

  it('takes local.health only as a URL path, naming the field', () => {
    for (const health of ['/a b', '/ok\r\nX-Injected: 1', 'healthz', '/tab\there']) {
      const result = parseGlimpseConfig(`local:\n  start: node s.js\n  health: ${JSON.stringify(health)}\n`);
      expect(result, health).toEqual({ ok: false, message: expect.stringContaining('field local.health: ') });
    }
    for (const health of ['/', '/healthz', '/api/v1/ready?deep=1&x=%20y', '/~user/(a)']) {
      const result = parseGlimpseConfig(`local:\n  health: ${JSON.stringify(health)}\n`);
      expect(result, health).toMatchObject({ ok: true, config: { local: { health } } });
    }
  });

  it('refuses a file over 1 MB, saying so, instead of reading it', () => {
    const text = `# ${'x'.repeat(1024 * 1024)}\nlocal:\n  start: node s.js\n`;
    expect(parseGlimpseConfig(text)).toEqual({
      ok: false,
      message: expect.stringMatching(/^\.glimpse\.yml is 1\.0 MB, over the limit of 1 MB/),
    });
  });
});
