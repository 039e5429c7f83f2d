import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ConfigError } from '../errors.js';
import { buildServer, bundledModels, loadExamples, loadModels } from '../server/index.js';
import { EXAMPLES_DIR, WEB_DIST } from '../server/paths.js';

interface ServeFlags {
  port: number;
  host: string;
  models?: string[];
  examples?: string;
  log?: boolean;
}

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) {
    throw new InvalidArgumentError('expected a port number 0-65535');
  }
  return parsed;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the in-browser ECG page, the bundled models and examples, and a JSON prediction API')
    .option('--port <n>', 'TCP port', port, 8080)
    .option('--host <addr>', 'address to listen on (0.0.0.0 exposes the server to the network)', '127.0.0.1')
    .option(
      '--models <specs...>',
      'ONNX models as path.onnx or name=path.onnx (default: the catalogue, see --models-dir)',
    )
    .option('--examples <dir>', 'folder of example records', EXAMPLES_DIR)
    .option('--log', 'log every request (JSON lines on stdout)')
    .action(async (flags: ServeFlags, command: Command) => {
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
      const app = await buildServer({
        models,
        examples: loadExamples(flags.examples ?? null),
        webRoot: WEB_DIST,
        logger: flags.log ?? false,
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
