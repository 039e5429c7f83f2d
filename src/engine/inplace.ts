/**
 * In-place updates for optimisers and initialisers. They never record autograd history, so they may touch
 * parameters (leaf tensors that require grad).
 */
import { loadAddon } from './binding.js';
import type { Tensor } from './tensor.js';

/** x += alpha * other */
export const addInPlace = (x: Tensor, other: Tensor, alpha = 1): void =>
  loadAddon().addInPlace(x.handle, other.handle, alpha);
/** x *= other */
export const mulInPlace = (x: Tensor, other: Tensor | number): void =>
  loadAddon().mulInPlace(x.handle, typeof other === 'number' ? other : other.handle);
/** x += value * a * b */
export const addcmulInPlace = (x: Tensor, a: Tensor, b: Tensor, value = 1): void =>
  loadAddon().addcmulInPlace(x.handle, a.handle, b.handle, value);
/** x += value * a / b */
export const addcdivInPlace = (x: Tensor, a: Tensor, b: Tensor, value = 1): void =>
  loadAddon().addcdivInPlace(x.handle, a.handle, b.handle, value);
/** x += weight * (end - x) */
export const lerpInPlace = (x: Tensor, end: Tensor, weight: number): void =>
  loadAddon().lerpInPlace(x.handle, end.handle, weight);
export const copyInPlace = (x: Tensor, source: Tensor): void =>
  loadAddon().copyInPlace(x.handle, source.handle);
/** Replaces x's data (possibly of another dtype) keeping the same tensor identity (parameters stay registered). */
export const setData = (x: Tensor, source: Tensor): void => loadAddon().setData(x.handle, source.handle);
export const fillInPlace = (x: Tensor, value: number): void => loadAddon().fillInPlace(x.handle, value);
export const uniformInPlace = (x: Tensor, low: number, high: number): void =>
  loadAddon().uniformInPlace(x.handle, low, high);
export const normalInPlace = (x: Tensor, mean: number, std: number): void =>
  loadAddon().normalInPlace(x.handle, mean, std);
/** Normal(mean, std) clamped to [low, high]. */
export const truncNormalInPlace = (x: Tensor, mean: number, std: number, low: number, high: number): void =>
  loadAddon().truncNormalInPlace(x.handle, mean, std, low, high);
