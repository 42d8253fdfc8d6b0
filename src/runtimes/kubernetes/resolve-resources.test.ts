import { describe, expect, it } from 'vitest';
import { GlimpseConfig } from '../../domain/glimpse-config.ts';
import { RuntimeFailure } from '../runtime.ts';
import { resolveKubernetesOptions } from './kubernetes-runtime-options.ts';
import { resolveResources } from './resolve-resources.ts';

const options = resolveKubernetesOptions({ baseDomain: 'x.test', maxResources: { cpu: '1', memory: '1Gi' } });
const config = (resources?: unknown) =>
  GlimpseConfig.parse({ kubernetes: { image: 'i', ...(resources === undefined ? {} : { resources }) } });

describe('resolveResources', () => {
  it('gives the defaults when the repo asks for nothing', () => {
    expect(resolveResources(config(), options)).toEqual({
      limits: { cpu: '500m', memory: '512Mi' },
      requests: { cpu: '100m', memory: '128Mi' },
    });
  });

  it('takes what the repo asks for within the maximum; a bigger request raises the default limit', () => {
    expect(
      resolveResources(config({ limits: { memory: '1Gi' }, requests: { cpu: '800m' } }), options),
    ).toEqual({
      limits: { cpu: '800m', memory: '1Gi' },
      requests: { cpu: '800m', memory: '128Mi' },
    });
  });

  it('fails permanently above the cluster maximum, or with a request over an explicit limit', () => {
    const over = () => resolveResources(config({ limits: { cpu: '1500m' } }), options);
    expect(over).toThrow(RuntimeFailure);
    expect(over).toThrow('kubernetes.resources.limits.cpu 1500m exceeds the cluster maximum 1');
    expect(() =>
      resolveResources(config({ limits: { cpu: '200m' }, requests: { cpu: '300m' } }), options),
    ).toThrow('is more than the limit 200m');
  });
});
