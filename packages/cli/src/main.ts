import { Command } from 'commander'

/** Builds the `weft` command tree; `bin.ts` runs it. */
export function createProgram (): Command {
  const program = new Command('weft')
    .description('weft: a peer-to-peer storage mesh for AI and HPC data')
    .version('0.1.0')

  program.command('up')
    .description('start a local mesh of node processes on 127.0.0.1')
    .action(() => {
      console.log('weft up: the local mesh arrives with the CLI issue (#8); until then, run `npm test` to exercise what exists.')
    })

  return program
}

export async function main (argv: string[]): Promise<void> {
  await createProgram().parseAsync(argv)
}
