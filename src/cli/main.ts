/**
 * The CLI's entry, what bin/resque loads: main(argv, env, cwd, io) of src/cli/registry.ts.
 * bin/resque is the only file that reads process.argv, process.env and process.cwd(), hands
 * process.stdout and process.stderr over, and exits with the code main resolves.
 */
export { main } from './registry';
