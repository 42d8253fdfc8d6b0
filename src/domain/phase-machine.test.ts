import { describe, expect, it } from 'vitest';
import { IllegalPhaseTransition, nextPhase, PHASE_TRANSITIONS } from './phase-machine.ts';
import { PHASES } from './vocabulary.ts';

describe('the phase machine', () => {
  it('takes a preview through its life: pending, building, deploying, running, deleting, deleted', () => {
    let phase = nextPhase('pending', 'start-deploy');
    expect(phase).toBe('building');
    phase = nextPhase(phase, 'roll-out');
    expect(phase).toBe('deploying');
    phase = nextPhase(phase, 'succeed');
    expect(phase).toBe('running');
    phase = nextPhase(phase, 'start-deletion');
    expect(phase).toBe('deleting');
    expect(nextPhase(phase, 'finish-deletion')).toBe('deleted');
  });

  it('keeps a running preview running while a new commit waits at a gate, and others pending', () => {
    expect(nextPhase('running', 'wait')).toBe('running');
    expect(nextPhase('failed', 'wait')).toBe('pending');
    expect(nextPhase('deleted', 'wait')).toBe('pending');
  });

  it('keeps every phase on `keep`, and fails or retries from any phase', () => {
    for (const phase of PHASES) {
      expect(nextPhase(phase, 'keep')).toBe(phase);
      expect(nextPhase(phase, 'fail')).toBe('failed');
      expect(nextPhase(phase, 'retry-later')).toBe('pending');
    }
  });

  it('throws on a change the table does not allow', () => {
    expect(() => nextPhase('pending', 'succeed')).toThrow(IllegalPhaseTransition);
    expect(() => nextPhase('deleted', 'roll-out')).toThrow(
      "illegal phase transition: 'roll-out' cannot happen in phase 'deleted'",
    );
    expect(() => nextPhase('running', 'finish-deletion')).toThrow(IllegalPhaseTransition);
    expect(() => nextPhase('deleted', 'start-deletion')).toThrow(IllegalPhaseTransition);
    expect(() => nextPhase('failed', 'build')).toThrow(IllegalPhaseTransition);
  });

  it('has one target for each phase and event, and nothing leads to sleeping but itself', () => {
    for (const phase of PHASES) {
      const events = PHASE_TRANSITIONS.filter((t) => t.from.includes(phase)).map((t) => t.event);
      expect(new Set(events).size).toBe(events.length);
    }
    const intoSleeping = PHASE_TRANSITIONS.filter((t) => t.to === 'sleeping');
    expect(intoSleeping).toEqual([{ event: 'keep', from: ['sleeping'], to: 'sleeping' }]);
  });
});
