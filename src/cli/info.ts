import type { Command } from 'commander';
import { engineStatus } from '../engine/status.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('Show the tensor engine status (libtorch version, threads, oneDNN) or why it is unavailable')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const status = engineStatus();
      if (options.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      if (!status.available) {
        process.stdout.write(`engine: unavailable\nreason: ${status.reason}\nfix:    ${status.fix}\n`);
        return;
      }
      const lines = [
        `engine:   libtorch ${status.libtorchVersion} (native addon)`,
        `threads:  ${status.threads}`,
        `oneDNN:   ${status.mkldnn ? 'on' : 'off'}`,
        `addon:    ${status.addonPath}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
