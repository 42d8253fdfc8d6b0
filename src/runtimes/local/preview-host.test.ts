import { describe, expect, it } from 'vitest';
import { namespaceFromHost } from './preview-host.ts';

describe('namespaceFromHost', () => {
  it('finds the namespace with or without a port, ignoring case and a trailing dot', () => {
    expect(namespaceFromHost('pr-app-1.localhost', 'localhost')).toBe('pr-app-1');
    expect(namespaceFromHost('pr-app-1.localhost:8080', 'localhost')).toBe('pr-app-1');
    expect(namespaceFromHost('PR-App-1.Preview.Example.com.', 'preview.example.com')).toBe('pr-app-1');
  });

  it('refuses other domains, nested labels, the bare domain and junk', () => {
    expect(namespaceFromHost('pr-app-1.example.com', 'localhost')).toBeUndefined();
    expect(namespaceFromHost('a.pr-app-1.localhost', 'localhost')).toBeUndefined();
    expect(namespaceFromHost('localhost:8080', 'localhost')).toBeUndefined();
    expect(namespaceFromHost('evil-localhost', 'localhost')).toBeUndefined();
    expect(namespaceFromHost('-x.localhost', 'localhost')).toBeUndefined();
    expect(namespaceFromHost('[::1]:8080', 'localhost')).toBeUndefined();
    expect(namespaceFromHost(undefined, 'localhost')).toBeUndefined();
  });
});
