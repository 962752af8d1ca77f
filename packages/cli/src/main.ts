import { Command, CommanderError } from 'commander'
import { registerBucket } from './commands/bucket.js'
import { registerGet } from './commands/get.js'
import { registerInit } from './commands/init.js'
import { registerLs } from './commands/ls.js'
import { registerNodeDrain } from './commands/node-drain.js'
import { registerNodeStart } from './commands/node-start.js'
import { registerPut } from './commands/put.js'
import { registerRm } from './commands/rm.js'
import { registerStat } from './commands/stat.js'
import { registerStatus } from './commands/status.js'
import { registerUp } from './commands/up.js'
import { EXIT_OK, EXIT_USAGE, UsageError, exitCodeOf, formatError } from './errors.js'

export const VERSION = '0.1.0'

/** Builds the `weft` command tree; `bin.ts` runs it. */
export function createProgram (): Command {
  const program = new Command('weft')
    .description('weft: a peer-to-peer storage mesh for AI and HPC data')
    .version(VERSION)
    .option('--debug', 'show the stack of an error')
    // subcommands inherit these two (they are set before any is added)
    .exitOverride()
    .configureOutput({
      // usage errors are printed once, as one line, by main()
      outputError: () => {}
    })

  registerInit(program)
  registerUp(program)
  const node = program.command('node').description('run or manage one node')
  registerNodeStart(node)
  registerNodeDrain(node)
  registerPut(program)
  registerGet(program)
  registerLs(program)
  registerRm(program)
  registerStat(program)
  registerBucket(program)
  registerStatus(program)
  return program
}

/** Runs the command line; resolves to the exit code (0 ok, 1 failed, 2 usage). */
export async function main (argv: string[]): Promise<number> {
  const debug = argv.includes('--debug')
  const program = createProgram()
  try {
    await program.parseAsync(argv)
    return EXIT_OK
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, successfully
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK
      // `weft` or `weft node` alone: commander printed the help
      if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') return EXIT_USAGE
      process.stderr.write(formatError(new UsageError(usageLine(err.message, commandPath(program, argv.slice(2)))), debug) + '\n')
      return EXIT_USAGE
    }
    process.stderr.write(formatError(err, debug) + '\n')
    return exitCodeOf(err)
  }
}

/** commander's "error: unknown command 'x'\n(Did you mean y?)" as one line, with where to look. */
function usageLine (message: string, command: string): string {
  const text = message.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ').trim()
  return `${text} (see \`${command} --help\`)`
}

/** `weft node start`, from the leading words of the arguments that name commands. */
function commandPath (program: Command, args: string[]): string {
  const names = ['weft']
  let cmd: Command | undefined = program
  for (const arg of args) {
    cmd = cmd?.commands.find(c => c.name() === arg || c.aliases().includes(arg))
    if (cmd == null) break
    names.push(cmd.name())
  }
  return names.join(' ')
}
