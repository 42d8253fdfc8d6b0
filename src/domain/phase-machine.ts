import { PHASES, type Phase } from './vocabulary.ts';

/** What makes an environment's phase change; the controller names one with every phase it writes. */
export type PhaseEvent =
  /** The phase stays: a generation handled without a deploy, a ttl started again, a command refused. */
  | 'keep'
  /** A gate holds the commit back (fork approval, label, draft): a running preview keeps running. */
  | 'wait'
  /** Required checks have not passed yet. */
  | 'wait-for-checks'
  /** A deployment attempt starts. */
  | 'start-deploy'
  /** The runtime reports that it builds, or that it rolls the build out. */
  | 'build'
  | 'roll-out'
  /** The runtime says the preview is ready. */
  | 'succeed'
  /** A permanent failure, or a transient one that used up its attempts, or a running preview that crashed. */
  | 'fail'
  /** A transient failure: another attempt follows after a delay. */
  | 'retry-later'
  /** The PR closed or the preview expired: its resources are being removed, then they are gone. */
  | 'start-deletion'
  | 'finish-deletion';

export interface PhaseTransition {
  readonly event: PhaseEvent;
  readonly from: readonly Phase[];
  readonly to: Phase;
}

const deploying: readonly Phase[] = ['building', 'deploying'];
const notDeleted = PHASES.filter((phase) => phase !== 'deleted');
const notRunning = PHASES.filter((phase) => phase !== 'running');

/** Every phase change the controller may make, with the event that causes it; anything else is a bug. */
export const PHASE_TRANSITIONS: readonly PhaseTransition[] = [
  ...PHASES.map((phase) => ({ event: 'keep' as const, from: [phase], to: phase })),
  { event: 'wait', from: ['running'], to: 'running' },
  { event: 'wait', from: notRunning, to: 'pending' },
  { event: 'wait-for-checks', from: PHASES, to: 'building' },
  { event: 'start-deploy', from: PHASES, to: 'building' },
  { event: 'build', from: deploying, to: 'building' },
  { event: 'roll-out', from: deploying, to: 'deploying' },
  { event: 'succeed', from: deploying, to: 'running' },
  { event: 'fail', from: PHASES, to: 'failed' },
  { event: 'retry-later', from: PHASES, to: 'pending' },
  { event: 'start-deletion', from: notDeleted, to: 'deleting' },
  { event: 'finish-deletion', from: ['deleting', 'deleted'], to: 'deleted' },
];

/** A phase change the table does not allow: a bug in the controller, never a user's mistake. */
export class IllegalPhaseTransition extends Error {
  constructor(from: Phase, event: PhaseEvent) {
    super(`illegal phase transition: '${event}' cannot happen in phase '${from}'`);
    this.name = 'IllegalPhaseTransition';
  }
}

/** The phase `event` leads to from `from`; throws `IllegalPhaseTransition` when the table has no such change. */
export function nextPhase(from: Phase, event: PhaseEvent): Phase {
  const transition = PHASE_TRANSITIONS.find((t) => t.event === event && t.from.includes(from));
  if (transition === undefined) throw new IllegalPhaseTransition(from, event);
  return transition.to;
}
