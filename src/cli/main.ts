import { TensorkitError } from '../tensor/index';
import { serveCommand, type CliIo } from './serve';

const USAGE = `Usage: tensorkit <command> [flags]

Commands:
  serve    serve a ModelRegistry over the Open Inference Protocol v2 (tensorkit serve --help)
`;

const stdio: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * The `tensorkit` command line: runs a command and resolves with its exit code. A mistake in the
 * arguments (a TensorkitError) is printed as one line, `tensorkit <message>`, without a stack
 * trace, and exits 2; another failure (a port in use) prints its message and exits 1.
 */
export async function main(argv: readonly string[], io: CliIo = stdio): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (command === 'serve') return await serveCommand(rest, io);
    io.err(`tensorkit: unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return 2;
  } catch (e) {
    if (e instanceof TensorkitError) {
      io.err(`tensorkit ${e.message}`);
      return 2;
    }
    io.err(`tensorkit: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
