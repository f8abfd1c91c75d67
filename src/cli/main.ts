import { TensorkitError } from '../tensor/index';
import { serveCommand } from './serve';
import { COMMANDS, type CommandIo } from './commands';

const USAGE = `Usage: tensorkit <command> [arguments] [flags]

Commands:
  demo      train one model of each family on built-in data and print the scores
  train     train a classifier on a CSV file and save it (tensorkit train DATA.csv --target COL)
  predict   print a model's predictions for the rows of a CSV file, as CSV
  eval      score a model on a labelled CSV file
  inspect   list the tensors and metadata of a safetensors file, or the graph of an ONNX file
  serve     serve a ModelRegistry over the Open Inference Protocol v2

Run tensorkit <command> --help for its flags. Exit codes: 0 done, 1 failed while running
(an unreadable file, an unknown column), 2 a mistake in the arguments.
`;

const stdio: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: process.stderr,
};

/**
 * The `tensorkit` command line: runs a command and resolves with its exit code. A mistake in the
 * arguments (a TensorkitError) is printed as one line, `tensorkit <message>`, without a stack
 * trace, and exits 2; a failure while running (an unreadable file, an unknown column, a port in
 * use) prints one line and exits 1.
 */
export async function main(argv: readonly string[], io: CommandIo = stdio): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help') {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    if (command === 'serve') return await serveCommand(rest, io);
    if (Object.hasOwn(COMMANDS, command)) return await COMMANDS[command](rest, io);
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
