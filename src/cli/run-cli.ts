import { Command, CommanderError } from 'commander';
import { GLIMPSE_VERSION } from '../version.ts';
import type { CliIo } from './cli-io.ts';
import { registerAdminCommands } from './commands/admin-commands.ts';
import { registerBackupCommands } from './commands/backup-commands.ts';
import { registerDoctorCommand } from './commands/doctor-command.ts';
import { registerEnvCommands } from './commands/env-commands.ts';
import { registerExplainCommand } from './commands/explain-command.ts';
import { registerGithubCommands } from './commands/github-commands.ts';
import { registerMcpCommand } from './commands/mcp-command.ts';
import { registerMigrateCommand } from './commands/migrate-command.ts';
import { registerServeCommand } from './commands/serve-command.ts';
import { registerSimulateCommand } from './commands/simulate-command.ts';
import { describeCliError, EXIT_OK, EXIT_USAGE } from './exit-code.ts';

/** Parses argv, runs one command and returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('glimpse')
    .description('Preview environments for every pull request')
    .version(GLIMPSE_VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  registerServeCommand(program, io);
  registerMigrateCommand(program, io);
  registerAdminCommands(program, io);
  registerEnvCommands(program, io);
  registerExplainCommand(program, io);
  registerMcpCommand(program, io);
  registerSimulateCommand(program, io);
  registerDoctorCommand(program, io);
  registerGithubCommands(program, io);
  registerBackupCommands(program, io);
  for (const command of program.commands) applyToTree(command, (c) => c.exitOverride().showHelpAfterError());
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
        ? EXIT_OK
        : EXIT_USAGE;
    }
    const { message, exitCode } = describeCliError(error);
    io.stderr(`${message}\n`);
    return exitCode;
  }
}

function applyToTree(command: Command, apply: (c: Command) => void): void {
  apply(command);
  for (const child of command.commands) applyToTree(child, apply);
}
