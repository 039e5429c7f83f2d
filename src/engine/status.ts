/** What `efficientecg info` reports: the engine's version and settings, or why it is unavailable. */
import { addonPath, HOW_TO_INSTALL, loadAddon } from './binding.js';

export type EngineStatus =
  | { available: true; libtorchVersion: string; threads: number; mkldnn: boolean; addonPath: string }
  | { available: false; reason: string; fix: string };

export function engineStatus(): EngineStatus {
  try {
    const addon = loadAddon();
    return {
      available: true,
      libtorchVersion: addon.buildInfo.libtorchVersion,
      threads: addon.getNumThreads(),
      mkldnn: addon.buildInfo.mkldnn,
      addonPath: addonPath(),
    };
  } catch (error) {
    return { available: false, reason: (error as Error).message, fix: HOW_TO_INSTALL };
  }
}
