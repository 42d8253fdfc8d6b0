import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GlimpseMetrics } from '../../src/metrics/glimpse-metrics.ts';

const DASHBOARD = path.resolve(import.meta.dirname, '../../deploy/grafana/glimpse-dashboard.json');

const Target = z.object({ expr: z.string() });
const Panel = z.object({
  title: z.string(),
  type: z.string(),
  targets: z.array(Target).optional(),
});
const Dashboard = z.object({
  panels: z.array(Panel),
  templating: z.object({
    list: z.array(
      z.object({ name: z.string(), query: z.union([z.string(), z.object({ query: z.string() })]) }),
    ),
  }),
});

/** Grafana's own variables stand for durations; PromQL needs one to parse. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)/g, '5m').replace(/\$(\w+)/g, '$1');
}

/** The metric names an expression selects, parsed by Prometheus' own PromQL grammar; throws on a syntax error. */
function metricNames(expr: string): string[] {
  const text = withoutGrafanaVariables(expr);
  const names: string[] = [];
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError) throw new Error(`not PromQL at ${node.from}: ${expr}`);
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        if (identifier !== null) names.push(text.slice(identifier.from, identifier.to));
      }
    },
  });
  return names;
}

/** Every series name Glimpse exports: each metric, histograms with their _bucket, _sum and _count. */
async function exportedNames(): Promise<Set<string>> {
  const text = (await new GlimpseMetrics().scrape()).body;
  const names = new Set<string>();
  for (const [, name = '', type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  it('queries only metrics Glimpse exports, in PromQL Prometheus parses', async () => {
    const dashboard = Dashboard.parse(JSON.parse(await readFile(DASHBOARD, 'utf8')));
    const exported = await exportedNames();
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    for (const variable of dashboard.templating.list) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
      const selector = /^label_values\((.+),\s*\w+\)$/.exec(query)?.[1];
      if (selector !== undefined) exprs.push(selector);
    }
    expect(exprs.length).toBeGreaterThan(20);
    const used = new Set<string>();
    for (const expr of exprs) {
      const names = metricNames(expr);
      expect(names, expr).not.toEqual([]);
      for (const name of names) used.add(name);
    }
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('shows the figures the issue asks for: success rate, deploy p50/p95, active previews, webhook time, queue, rate limit', async () => {
    const dashboard = Dashboard.parse(JSON.parse(await readFile(DASHBOARD, 'utf8')));
    const exprsOf = (title: string) =>
      dashboard.panels
        .find((p) => p.title === title)
        ?.targets?.map((t) => t.expr)
        .join('\n') ?? '';
    expect(exprsOf('Deployment success rate')).toContain(
      'glimpse_deploys_finished_total{outcome="succeeded"}',
    );
    expect(exprsOf('Deploy time p50 / p95')).toMatch(
      /histogram_quantile\(0\.5,[\s\S]*histogram_quantile\(0\.95,/,
    );
    expect(exprsOf('Active previews')).toContain('glimpse_environments{phase="running"}');
    expect(exprsOf('Webhook answer time p50 / p99')).toContain('glimpse_webhook_answer_seconds_bucket');
    expect(exprsOf('Queue depth and oldest wait')).toContain('glimpse_queue_depth');
    expect(exprsOf('GitHub rate limit remaining')).toContain('glimpse_github_rate_limit_remaining');
  });

  it('catches a query of a metric Glimpse does not export', () => {
    expect(metricNames('sum(rate(glimpse_deploys_total[$__rate_interval]))')).toEqual([
      'glimpse_deploys_total',
    ]);
    expect(() => metricNames('sum(rate(glimpse_deploys_total[5m])')).toThrow('not PromQL');
  });
});
