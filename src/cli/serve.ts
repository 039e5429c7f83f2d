import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { integerIn } from './parsers.js';
import { requireInputDir } from './paths.js';
import { ConfigError } from '../errors.js';
import { buildServer, bundledModels, loadExamples, loadModels } from '../server/index.js';
import { LOOPBACK_HOSTS } from '../server/guard.js';
import { EXAMPLES_DIR, PACKAGE_ROOT, WEB_DIST } from '../server/paths.js';
import { staleWebWarning } from './stale-build.js';

interface ServeFlags {
  port: number;
  host: string;
  models?: string[];
  examples?: string;
  log?: boolean;
  allowHost?: string[];
}

/** Loopback names, the address listened on when it is a specific one, and the names given with --allow-host. */
function allowedHosts(flags: ServeFlags): string[] {
  const listened = ['0.0.0.0', '::'].includes(flags.host)
    ? []
    : [flags.host.includes(':') ? `[${flags.host}]` : flags.host];
  return [...LOOPBACK_HOSTS, ...listened, ...(flags.allowHost ?? [])];
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the in-browser ECG page, the bundled models and examples, and a JSON prediction API')
    .option('--port <n>', 'TCP port', integerIn(0, 65535), 8080)
    .option('--host <addr>', 'address to listen on (0.0.0.0 exposes the server to the network)', '127.0.0.1')
    .option(
      '--models <specs...>',
      'ONNX models as path.onnx or name=path.onnx (default: the catalogue, see --models-dir)',
    )
    .option('--examples <dir>', 'folder of example records', EXAMPLES_DIR)
    .option('--log', 'log every request (JSON lines on stdout; errors are logged either way)')
    .option(
      '--allow-host <names...>',
      "host names the server answers to besides localhost, 127.0.0.1 and [::1] (e.g. this machine's name when --host 0.0.0.0)",
    )
    .action(async (flags: ServeFlags, command: Command) => {
      // The bundled examples folder may be absent (a trimmed install); a folder the user names must be there.
      if (flags.examples !== undefined && command.getOptionValueSource('examples') === 'cli')
        requireInputDir('--examples', flags.examples, 'examples folder');
      const modelsDir = command.optsWithGlobals<{ modelsDir?: string }>().modelsDir;
      const models = flags.models?.length ? loadModels(flags.models) : bundledModels(modelsDir);
      if (models.size === 0) {
        throw new ConfigError('serve: no models (models/catalog.json lists none): pass --models path.onnx');
      }
      if (!existsSync(WEB_DIST)) {
        process.stderr.write(
          `serve: ${WEB_DIST} is missing; run \`npm run build:web\` for the page (API only)\n`,
        );
      }
      process.stderr.write(staleWebWarning(PACKAGE_ROOT) ?? '');
      const app = await buildServer({
        models,
        examples: loadExamples(flags.examples ?? null),
        webRoot: WEB_DIST,
        logger: flags.log ?? false,
        allowedHosts: allowedHosts(flags),
      });
      const address = await app.listen({ port: flags.port, host: flags.host });
      const untrained = [...models.values()].filter((m) => m.info.untrained).map((m) => m.name);
      process.stderr.write(
        `efficientecg serve: ${address} (${models.size} model(s): ${[...models.keys()].join(', ')})\n`,
      );
      if (untrained.length > 0) {
        process.stderr.write(
          `WARNING: UNTRAINED development model(s), outputs mean nothing: ${untrained.join(', ')}\n`,
        );
      }
      const stop = () => void app.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
