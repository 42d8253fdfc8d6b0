import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventStream, openEventStream, type StreamEvent } from '../support/event-stream.ts';
import { type PreviewWorld, seedPreviewWorld } from '../support/seed-previews.ts';
import { setPhaseAsController } from '../support/set-phase-as-controller.ts';
import { type ApiServer, startApiServer } from '../support/start-api-server.ts';
import { databaseTargets } from '../support/test-database.ts';

const about = (namespace: string, phase?: string) => (event: StreamEvent) => {
  if (event.event !== 'environment') return false;
  const env = JSON.parse(event.data) as { namespace: string; phase: string };
  return env.namespace === namespace && (phase === undefined || env.phase === phase);
};

describe.each(databaseTargets())('the environment change stream on %s', (target) => {
  let server: ApiServer;
  let world: PreviewWorld;
  const streams: EventStream[] = [];
  const open = async (token: string, headers: Record<string, string> = {}, query = '') => {
    const stream = await openEventStream(`${server.url}/api/v1/environment-changes${query}`, {
      authorization: `Bearer ${token}`,
      ...headers,
    });
    streams.push(stream);
    return stream;
  };
  /** A phase change as the controller makes it. */
  const setPhase = (id: string, event: 'start-deploy' | 'succeed' | 'fail') =>
    setPhaseAsController(server.db, id, event);

  beforeAll(async () => {
    server = await startApiServer(target);
    world = await seedPreviewWorld(server.db);
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await server.close();
  });

  it('sends a phase change the controller makes to those who may see it, and not to others', async () => {
    const member = await open(world.tokens.member);
    const admin = await open(world.tokens.glimpseAdmin);
    expect(member.status).toBe(200);
    await member.next((e) => e.event === 'ready');
    await admin.next((e) => e.event === 'ready');
    await setPhase(world.foreign.id, 'start-deploy');
    await setPhase(world.running.id, 'start-deploy');
    const seen = await member.next(about(world.running.namespace, 'building'));
    expect(seen.id).toMatch(/^\d+\.[0-9a-f-]{36}$/);
    expect(JSON.parse(seen.data)).toMatchObject({ repo: 'acme/web', prNumber: 1, phase: 'building' });
    await admin.next(about(world.foreign.namespace, 'building'));
    await admin.next(about(world.running.namespace, 'building'));
    // The member's stream got the acme change after the globex one was read: it was never sent to them.
    expect(member.events.some(about(world.foreign.namespace))).toBe(false);
  });

  it('sends a change requested through the API (the controller work notification)', async () => {
    const member = await open(world.tokens.member);
    await member.next((e) => e.event === 'ready');
    const answer = await fetch(`${server.url}/api/v1/environments/${world.failed.namespace}/redeploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.tokens.member}` },
    });
    expect(answer.status).toBe(202);
    await member.next(about(world.failed.namespace));
  });

  it('resumes after Last-Event-ID with what changed meanwhile, and answers an unknown one with reset', async () => {
    const first = await open(world.tokens.member);
    await first.next((e) => e.event === 'ready');
    await setPhase(world.running.id, 'succeed');
    const last = await first.next(about(world.running.namespace, 'running'));
    first.close();
    await setPhase(world.running.id, 'fail');
    await setPhase(world.foreign.id, 'fail');
    const resumed = await open(world.tokens.member, { 'last-event-id': last.id ?? '' });
    await resumed.next(about(world.running.namespace, 'failed'));
    await resumed.next((e) => e.event === 'ready');
    expect(resumed.events.some(about(world.foreign.namespace))).toBe(false);
    const lost = await open(world.tokens.member, {}, '?lastEventId=not-an-id');
    await lost.next((e) => e.event === 'reset');
  });

  it('refuses a request without a token', async () => {
    const response = await fetch(`${server.url}/api/v1/environment-changes`);
    expect(response.status).toBe(401);
    await response.body?.cancel();
  });
});
