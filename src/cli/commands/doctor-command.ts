import type { Command } from 'commander';
import { loadConfig } from '../../config/config.ts';
import { openClientDatabase } from '../../db/connect-database.ts';
import { createLogger } from '../../logger.ts';
import { type CliIo, printJson } from '../cli-io.ts';
import { ChecksFailed } from '../exit-code.ts';

const MARKS = { ok: 'ok  ', skipped: 'skip', warning: 'WARN', failed: 'FAIL' } as const;

export function registerDoctorCommand(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description(
      'check the database, the GitHub App, helm, Kubernetes permissions and the local sandbox and limits; exit 1 if anything is missing',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const config = loadConfig(io.env, io.cwd);
      // Imported here: the checks load the Kubernetes client, which no other command needs on the local runtime.
      const { runDoctorChecks } = await import('../../services/doctor-checks.ts');
      const checks = await runDoctorChecks({
        config,
        logger: createLogger({ level: 'silent', pretty: false }),
        openDatabase: () => openClientDatabase(config),
      });
      if (options.json) printJson(io, { ok: checks.every((c) => c.status !== 'failed'), checks });
      else {
        for (const check of checks) {
          const mark = MARKS[check.status];
          io.stdout(`${mark}  ${check.name.padEnd(10)}  ${check.detail}\n`);
          if (check.fix !== undefined) io.stdout(`${indent(check.fix)}\n`);
        }
      }
      const failures = checks.filter((c) => c.status === 'failed');
      if (failures.length > 0) throw new ChecksFailed(failures.map((c) => c.name));
    });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `        ${line}`)
    .join('\n');
}
