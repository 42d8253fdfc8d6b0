import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from '../../src/db/drizzle-orm.ts';
import { environments } from '../../src/db/schema.ts';
import { IllegalPhaseTransition } from '../../src/domain/phase-machine.ts';
import { type PreviewWorld, seedPreviewWorld } from '../support/seed-previews.ts';
import { setPhaseAsController } from '../support/set-phase-as-controller.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';

describe.each(databaseTargets())('phase writes through the phase machine (%s)', (target) => {
  let database: TestDatabase;
  let world: PreviewWorld;
  const phaseOf = async (id: string) => {
    const [row] = await database.handle.db
      .select({ phase: environments.phase })
      .from(environments)
      .where(eq(environments.id, id));
    return row?.phase;
  };

  beforeEach(async () => {
    database = await createTestDatabase(target);
    world = await seedPreviewWorld(database.handle.db);
  });
  afterEach(async () => {
    await database.close();
  });

  it('an illegal phase change throws and leaves the environment as it was', async () => {
    const { db } = database.handle;
    await expect(setPhaseAsController(db, world.running.id, 'finish-deletion')).rejects.toThrow(
      IllegalPhaseTransition,
    );
    expect(await phaseOf(world.running.id)).toBe('running');
    await expect(setPhaseAsController(db, world.failed.id, 'roll-out')).rejects.toThrow(
      "illegal phase transition: 'roll-out' cannot happen in phase 'failed'",
    );
    expect(await phaseOf(world.failed.id)).toBe('failed');
  });

  it('a legal one is written', async () => {
    await setPhaseAsController(database.handle.db, world.running.id, 'start-deletion');
    expect(await phaseOf(world.running.id)).toBe('deleting');
  });
});
