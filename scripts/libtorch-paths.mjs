#!/usr/bin/env node
// Locates libtorch for the native build: Debian's libtorch-dev by default, or a libtorch folder given at build
// time as LIBTORCH_HOME (a build setting only; nothing at run time reads it). Prints one path for binding.gyp.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

export function libtorchPaths() {
  const home = process.env.LIBTORCH_HOME;
  if (home) {
    return {
      include: `${home}/include`,
      apiInclude: `${home}/include/torch/csrc/api/include`,
      lib: `${home}/lib`,
    };
  }
  let multiarch = 'x86_64-linux-gnu';
  try {
    multiarch = execSync('gcc -print-multiarch', { encoding: 'utf8' }).trim() || multiarch;
  } catch {
    // keep the default
  }
  return {
    include: '/usr/include',
    apiInclude: '/usr/include/torch/csrc/api/include',
    lib: `/usr/lib/${multiarch}`,
  };
}

/** Why libtorch cannot be built against here, or null when its headers and libraries are present. */
export function libtorchMissingReason() {
  const paths = libtorchPaths();
  if (!existsSync(`${paths.apiInclude}/torch/torch.h`))
    return `libtorch headers not found (${paths.apiInclude}/torch/torch.h)`;
  if (!existsSync(`${paths.lib}/libtorch.so`)) return `libtorch library not found (${paths.lib}/libtorch.so)`;
  return null;
}

/**
 * Whether Gloo's headers are there (Debian: libgloo-dev), so that the addon can include torch.distributed's process
 * group (native/distributed.cc); without them it builds without it and training runs on one process.
 */
export function hasGloo() {
  return existsSync(`${libtorchPaths().include}/gloo/config.h`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const which = process.argv[2];
  const paths = libtorchPaths();
  const value = {
    include: paths.include,
    'api-include': paths.apiInclude,
    lib: paths.lib,
    gloo: String(hasGloo()),
  }[which];
  if (!value) {
    console.error('usage: libtorch-paths.mjs include|api-include|lib|gloo');
    process.exit(2);
  }
  console.log(value);
}
