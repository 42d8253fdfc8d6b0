import { describe, expect, it } from 'vitest';
import { kubeRequestLabels } from './kube-request-labels.ts';

const SERVER = 'https://127.0.0.1:6443';

describe('kubeRequestLabels', () => {
  it('names the verb and the resource, never the namespace or the name', () => {
    expect(kubeRequestLabels('GET', `${SERVER}/api/v1/namespaces/pr-shop-1`)).toEqual({
      verb: 'get',
      resource: 'namespaces',
    });
    expect(kubeRequestLabels('GET', `${SERVER}/api/v1/namespaces?labelSelector=a%3Db`)).toEqual({
      verb: 'list',
      resource: 'namespaces',
    });
    expect(kubeRequestLabels('DELETE', `${SERVER}/api/v1/namespaces/pr-shop-1`)).toEqual({
      verb: 'delete',
      resource: 'namespaces',
    });
    expect(
      kubeRequestLabels('PATCH', `${SERVER}/apis/apps/v1/namespaces/pr-shop-1/deployments/web?force=true`),
    ).toEqual({ verb: 'patch', resource: 'deployments' });
    expect(kubeRequestLabels('GET', `${SERVER}/api/v1/namespaces/pr-shop-1/pods/web-1/log`)).toEqual({
      verb: 'get',
      resource: 'pods/log',
    });
    expect(
      kubeRequestLabels('GET', `${SERVER}/apis/apps/v1/namespaces/pr-shop-1/deployments?watch=true`),
    ).toEqual({ verb: 'watch', resource: 'deployments' });
    expect(
      kubeRequestLabels('POST', `${SERVER}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`),
    ).toEqual({
      verb: 'create',
      resource: 'selfsubjectaccessreviews',
    });
  });

  it('calls the API descriptions discovery', () => {
    expect(kubeRequestLabels('GET', `${SERVER}/apis/apps/v1`)).toEqual({
      verb: 'list',
      resource: 'discovery',
    });
    expect(kubeRequestLabels('GET', `${SERVER}/api/v1`)).toEqual({ verb: 'list', resource: 'discovery' });
  });
});
