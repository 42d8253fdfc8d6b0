import type { Command } from 'commander';
import type { PullRequestExplanation } from '../../services/environments/event-schemas.ts';
import { type CliIo, printJson, printTable } from '../cli-io.ts';
import type { ServerFlags } from '../server-target.ts';
import { printEvents, serverOptions, withOperations } from './env-commands.ts';

/** `glimpse explain <owner/repo> <number>`: why a pull request has its preview, or none. */
export function registerExplainCommand(program: Command, io: CliIo): void {
  serverOptions(
    program
      .command('explain <owner/repo> <number>')
      .description(
        "why a pull request has its preview, an old one or none: its deliveries, the gate's decision, its phase and events",
      ),
  ).action(async (repoFullName: string, number: string, flags: ServerFlags & { json?: boolean }) => {
    const explanation = await withOperations(io, flags, (ops) =>
      ops.explain({ repoFullName, prNumber: Number(number) }),
    );
    if (flags.json) printJson(io, explanation);
    else printExplanation(io, explanation);
  });
}

function printExplanation(io: CliIo, e: PullRequestExplanation): void {
  io.stdout(`${e.summary.join('\n')}\n\n`);
  const env = e.environment;
  const rows: [string, string][] = [
    ['environment', env === null ? '-' : `${env.namespace} (${env.phase}${env.settled ? '' : ', working'})`],
    ['gate', `${e.gate.decision}${e.gate.gate === null ? '' : ` (${e.gate.gate})`}`],
  ];
  io.stdout(`${rows.map(([k, v]) => `${k.padEnd(13)}${v}`).join('\n')}\n\n`);
  printTable(
    io,
    ['DELIVERY', 'EVENT', 'OUTCOME', 'DETAIL', 'RECEIVED'],
    e.deliveries.map((d) => [
      d.deliveryId,
      d.action === null ? d.event : `${d.event} ${d.action}`,
      d.outcome,
      d.detail ?? '-',
      d.receivedAt,
    ]),
    'No deliveries recorded for this pull request.',
  );
  io.stdout('\n');
  printEvents(io, e.events);
}
