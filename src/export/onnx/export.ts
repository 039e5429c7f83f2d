/**
 * exportOnnx: a model's eval-mode forward, traced through the engine's ops, as an ONNX ModelProto (opset 17).
 *
 * Sizes stay dynamic without symbolic shape inference: the forward is traced twice, at the example sizes and at
 * "probe" sizes where every dynamic axis is grown. Dims that differ between the two traces depend on the input
 * size; reshape/expand/constant shapes take those from the graph with Shape (or ONNX's 0 / -1), and any other
 * attribute, or baked constant's values, that differs fails the export instead of baking one size in.
 */
import { ExportError } from '../../errors.js';
import type { DType, TypedArray } from '../../engine/binding.js';
import { randn, zeros } from '../../engine/ops.js';
import { scope } from '../../engine/scope.js';
import type { Tensor } from '../../engine/tensor.js';
import type { Module } from '../../nn/module.js';
import { beatChannelCount, type BeatTemplateMode } from '../../signal/beat-context.js';
import { packageVersion } from '../../version.js';
import { bakedData, traceFunction, useCounts, type Trace, type TracedNode } from '../trace.js';
import type { NodeContext } from './context.js';
import { foldBatchNorm } from './fold.js';
import { keepConvolutions4d } from './lift.js';
import { GraphBuilder, onnx, ONNX_DTYPE } from './graph.js';
import { conv1dAs2d, opExport } from './ops.js';

export const OPSET = 17;
/** ONNX IR version that goes with opset 17. */
const IR_VERSION = 8;

export interface OnnxInput {
  /** Graph input name, e.g. `ecg`. */
  name: string;
  example: Tensor;
  /** Axis -> symbolic name for axes whose size may change at inference, e.g. { 0: 'batch', 2: 'samples' }. */
  dynamicAxes?: Record<number, string>;
  /** Shown as the input's doc_string. */
  doc?: string;
}

/** What a reader of the file needs to feed it: stored as JSON strings in metadata_props. */
export interface OnnxMetadata {
  /** Output class names, in logit order. */
  labels: string[];
  /** Hz of the `ecg` input. */
  samplingRate: number;
  /** Lead names, in the `ecg` input's channel order. */
  leads: string[];
  /** The window the model was trained on (inputs of other lengths run, but this is what it knows). */
  window: { samples: number; seconds?: number };
  /** The preprocessing applied before the model (filters, normalisation ...), as a JSON-serialisable value. */
  preprocessing: unknown;
  /** More JSON-serialisable entries (each stored under its own key). */
  extra?: Record<string, unknown>;
}

export interface ExportOptions {
  /** Maps named inputs to the model's named outputs (default: model.forward(...inputs in order)). */
  forward?: (inputs: Record<string, Tensor>) => Tensor | Record<string, Tensor>;
  /** Name of the output when forward returns one tensor (default `logits`). */
  outputName?: string;
  /** Output doc strings by name. */
  outputDocs?: Record<string, string>;
  /** How much the probe trace grows each named dynamic axis (default: 1 for `batch`, 192 for others). */
  probeGrowth?: Record<string, number>;
  /** Fold BatchNorm into the convolution it follows (default true). */
  foldBatchNorm?: boolean;
  /**
   * Run the ops between convolutions on their 4-D form (src/export/onnx/lift.ts) instead of squeezing and
   * unsqueezing around every convolution (default true; false gives the op-for-op graph, for comparison).
   */
  keepConvolutions4d?: boolean;
}

/** Any module with a forward; its parameters are typed `never` so that forwards taking non-tensors fit (use options.forward). */
interface ForwardModule extends Module {
  forward(...inputs: never[]): unknown;
}

/** The `ecg` input of every EfficientECG model: [batch, leads, samples] float32. */
export function ecgInput(example: Tensor): OnnxInput {
  return {
    name: 'ecg',
    example,
    dynamicAxes: { 0: 'batch', 2: 'samples' },
    doc: 'ECG [batch, leads, samples], float32, preprocessed as metadata `preprocessing` says',
  };
}

/**
 * Exports model (traced in eval mode; its train/eval flags are restored afterwards) as ONNX bytes.
 * exampleInputs: one tensor (the `ecg` input, dynamic batch and samples) or named inputs.
 */
export function exportOnnx(
  model: ForwardModule,
  exampleInputs: Tensor | OnnxInput[],
  metadata: OnnxMetadata,
  options: ExportOptions = {},
): Uint8Array {
  const inputs = Array.isArray(exampleInputs) ? exampleInputs : [ecgInput(exampleInputs)];
  validateInputs(inputs);
  const run = (tensors: Tensor[]): Record<string, Tensor> => {
    const named = Object.fromEntries(inputs.map((input, i) => [input.name, tensors[i]!]));
    const result = options.forward ? options.forward(named) : model.forward(...(tensors as never[]));
    return namedOutputs(result, options.outputName ?? 'logits');
  };
  const [trace, probe] = withEvalMode(model, () => {
    const state = model.stateDict();
    const main = traceFunction(
      inputs.map((input) => ({ name: input.name, tensor: input.example })),
      state,
      () => run(inputs.map((input) => input.example)),
    );
    const probed = scope(() => {
      const tensors = inputs.map((input) => probeTensor(input, options.probeGrowth ?? {}));
      return traceFunction(
        inputs.map((input, i) => ({ name: input.name, tensor: tensors[i]! })),
        state,
        () => run(tensors),
      );
    });
    return [main, probed] as const;
  });
  checkSameStructure(trace, probe);
  checkSameConstants(trace, probe);
  validateMetadata(metadata, inputs, trace);
  const graph = new GraphConverter(trace, probe, inputs, options).convert(model.constructor.name);
  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'efficientecg',
    producerVersion: packageVersion(),
    docString: `${model.constructor.name} exported by efficientecg`,
    graph,
    metadataProps: metadataProps(metadata),
  });
  return onnx.ModelProto.encode(proto).finish();
}

function validateInputs(inputs: OnnxInput[]): void {
  if (inputs.length === 0) throw new ExportError('exportOnnx: exampleInputs is empty');
  const seen = new Set<string>();
  for (const input of inputs) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(input.name)) {
      throw new ExportError(`exportOnnx: input name '${input.name}' must be an identifier`);
    }
    if (seen.has(input.name)) throw new ExportError(`exportOnnx: input name '${input.name}' is repeated`);
    seen.add(input.name);
    for (const axis of Object.keys(input.dynamicAxes ?? {}).map(Number)) {
      if (!(Number.isInteger(axis) && axis >= 0 && axis < input.example.rank)) {
        throw new ExportError(
          `exportOnnx: input '${input.name}' has no axis ${axis} (shape [${input.example.shape.join(', ')}])`,
        );
      }
    }
  }
}

function namedOutputs(result: unknown, single: string): Record<string, Tensor> {
  if (result !== null && typeof result === 'object' && 'handle' in result)
    return { [single]: result as Tensor };
  if (result === null || typeof result !== 'object') {
    throw new ExportError('exportOnnx: forward must return a Tensor or an object of named Tensors');
  }
  return result as Record<string, Tensor>;
}

/** Runs fn with every module in eval mode, then puts each module's own training flag back. */
function withEvalMode<T>(model: Module, fn: () => T): T {
  const modules: Module[] = [];
  const walk = (m: Module): void => {
    modules.push(m);
    for (const [, child] of m.children()) walk(child);
  };
  walk(model);
  const flags = modules.map((m) => m.training);
  model.eval();
  try {
    return fn();
  } finally {
    modules.forEach((m, i) => (m.training = flags[i]!));
  }
}

function probeTensor(input: OnnxInput, growth: Record<string, number>): Tensor {
  const shape = input.example.shape.map((size, axis) => {
    const name = input.dynamicAxes?.[axis];
    return name === undefined ? size : size + (growth[name] ?? (name === 'batch' ? 1 : 192));
  });
  const dtype = input.example.dtype;
  // Indices and masks: zeros are always valid (embedding row 0, nothing masked).
  return dtype === 'float32' || dtype === 'float64' ? randn(shape, dtype) : zeros(shape, dtype);
}

function checkSameStructure(trace: Trace, probe: Trace): void {
  const mismatch = trace.nodes.findIndex((node, i) => {
    const other = probe.nodes[i];
    return other === undefined || other.op !== node.op || other.inputs.join() !== node.inputs.join();
  });
  if (mismatch !== -1 || trace.nodes.length !== probe.nodes.length) {
    const at = mismatch === -1 ? Math.min(trace.nodes.length, probe.nodes.length) : mismatch;
    throw new ExportError(
      `exportOnnx: the forward runs different ops at another input size (from op #${at}, ${trace.nodes[at]?.op ?? 'end'}): ` +
        'control flow that depends on sizes cannot be exported',
    );
  }
  trace.nodes.forEach((node, i) => {
    const other = probe.nodes[i]!;
    const exempt = new Set<string>((opExport(node.op)?.sizeDependent as string[] | undefined) ?? []);
    for (const [key, value] of Object.entries(node.attrs)) {
      if (exempt.has(key)) continue;
      if (JSON.stringify(value) !== JSON.stringify((other.attrs as Record<string, unknown>)[key])) {
        const hint =
          node.inputs.length === 0
            ? ': a constant made at the traced size; make it once at its largest size and slice it instead'
            : '';
        throw new ExportError(
          `exportOnnx: op #${i} (${node.op}) attribute '${key}' depends on the input size ` +
            `(${JSON.stringify(value)} vs ${JSON.stringify((other.attrs as Record<string, unknown>)[key])})${hint}`,
        );
      }
    }
  });
}

/**
 * Fails when a constant baked into the file has other values at the probe size (e.g. 1 / length made with
 * F.tensor): the values of ops without inputs and captured tensors are compared, not only their shapes.
 */
function checkSameConstants(trace: Trace, probe: Trace): void {
  trace.values.forEach((value, id) => {
    const [data, other] = [bakedData(value), probe.values[id]!];
    const sameShape = value.shape.join() === other.shape.join();
    // A created constant whose shape follows the input size becomes ConstantOfShape (its fill is an attribute).
    if (data === undefined || (value.source.kind === 'op' && !sameShape)) return;
    if (sameShape && sameBytes(data, bakedData(other))) return;
    const at = trace.nodes.findIndex((n) => n.outputs.includes(id) || n.inputs.includes(id));
    const where =
      at === -1
        ? `output '${trace.outputs.find((o) => o.id === id)?.name}'`
        : `op #${at} (${trace.nodes[at]!.op})`;
    throw new ExportError(
      `exportOnnx: ${where} ${value.source.kind === 'captured' ? 'reads a captured tensor' : 'makes a constant'} ` +
        'whose values depend on the input size; compute it with ops on the input instead',
    );
  });
}

const bytesOf = (t: TypedArray): Uint8Array => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);

function sameBytes(a: TypedArray, b: TypedArray | undefined): boolean {
  if (b === undefined || a.constructor !== b.constructor || a.byteLength !== b.byteLength) return false;
  const other = bytesOf(b);
  return bytesOf(a).every((v, i) => v === other[i]);
}

function validateMetadata(metadata: OnnxMetadata, inputs: OnnxInput[], trace: Trace): void {
  const fail = (problem: string): never => {
    throw new ExportError(`exportOnnx: metadata ${problem}`);
  };
  if (!Array.isArray(metadata.labels) || metadata.labels.some((l) => typeof l !== 'string')) {
    fail('labels must be an array of strings');
  }
  if (!(metadata.samplingRate > 0)) fail(`samplingRate must be > 0, got ${metadata.samplingRate}`);
  if (!Array.isArray(metadata.leads) || metadata.leads.some((l) => typeof l !== 'string')) {
    fail('leads must be an array of strings');
  }
  if (!(Number.isInteger(metadata.window?.samples) && metadata.window.samples > 0)) {
    fail(`window.samples must be a positive integer, got ${metadata.window?.samples}`);
  }
  const ecg = inputs.find((input) => input.name === 'ecg');
  // A beat model with residual channels reads each lead and then each lead minus each of its templates.
  const beats = metadata.extra?.beats as
    { residualChannels?: boolean; template?: BeatTemplateMode } | undefined;
  const residual = beats?.residualChannels === true;
  const channels = beatChannelCount(metadata.leads.length, residual, beats?.template);
  if (ecg && ecg.example.shape[1] !== channels) {
    fail(
      `leads has ${metadata.leads.length} names${residual ? ` (${channels} channels with residual channels)` : ''} but the ecg input has ${ecg.example.shape[1]} leads`,
    );
  }
  const logits = trace.outputs.find((output) => output.name === 'logits');
  const classes = logits ? trace.values[logits.id]!.shape.at(-1) : undefined;
  if (classes !== undefined && classes !== metadata.labels.length) {
    fail(`labels has ${metadata.labels.length} names but logits has ${classes} classes`);
  }
}

function metadataProps(metadata: OnnxMetadata): Array<{ key: string; value: string }> {
  const entries: Record<string, unknown> = {
    labels: metadata.labels,
    sampling_rate: metadata.samplingRate,
    leads: metadata.leads,
    window: metadata.window,
    preprocessing: metadata.preprocessing ?? null,
    ...metadata.extra,
  };
  return Object.entries(entries).map(([key, value]) => ({ key, value: JSON.stringify(value) }));
}

/** Walks the traced nodes in order and emits ONNX nodes, initializers, inputs and outputs. */
class GraphConverter {
  readonly g = new GraphBuilder();
  readonly names: Array<string | undefined>;
  readonly #outputNames = new Map<number, string>();
  readonly #shapeSlices = new Map<string, string>();

  constructor(
    readonly trace: Trace,
    readonly probe: Trace,
    readonly inputs: OnnxInput[],
    readonly options: ExportOptions,
  ) {
    this.names = new Array<string | undefined>(trace.values.length);
    for (const id of trace.inputs) this.names[id] = this.g.unique(inputs[id]!.name);
    for (const output of trace.outputs) {
      const name = this.g.unique(output.name);
      if (!this.#outputNames.has(output.id) && trace.values[output.id]!.source.kind === 'op') {
        this.#outputNames.set(output.id, name);
      }
    }
  }

  convert(graphName: string): onnxProtoGraph {
    const folds = this.options.foldBatchNorm === false ? new Map<number, number>() : this.findFolds();
    const folded = new Set(folds.values());
    this.trace.nodes.forEach((node, index) => {
      if (folded.has(index)) return;
      const bn = folds.get(index);
      if (bn !== undefined) return this.emitFolded(index, bn);
      const spec = opExport(node.op);
      if (!spec) throw new ExportError(`exportOnnx: op '${node.op}' (#${index}) has no ONNX export`);
      spec.convert(this.context(index));
    });
    const outputs = this.trace.outputs.map((output) => this.graphOutput(output.name, output.id));
    if (this.options.keepConvolutions4d !== false) {
      const nodes = keepConvolutions4d(
        this.g.nodes,
        this.g.initializers,
        outputs.map((o) => o.name!),
      );
      this.g.nodes.splice(0, this.g.nodes.length, ...nodes);
    }
    this.prune(outputs.map((o) => o.name!));
    return {
      name: graphName,
      node: this.g.nodes,
      initializer: this.g.initializers,
      input: this.trace.inputs.map((id) => this.valueInfo(this.names[id]!, id, this.inputs[id]!.doc)),
      output: outputs,
    };
  }

  nameOf(id: number): string {
    const known = this.names[id];
    if (known !== undefined) return known;
    const value = this.trace.values[id]!;
    const source = value.source;
    if (source.kind === 'parameter') {
      this.names[id] = this.g.initializer(source.name, value.dtype, value.shape, source.tensor.data());
    } else if (source.kind === 'captured') {
      this.names[id] = this.g.initializer('/captured', value.dtype, value.shape, source.data);
    } else {
      throw new ExportError(`exportOnnx: value ${id} is used before any op made it`);
    }
    return this.names[id]!;
  }

  constantOf(id: number): TypedArray | null {
    const value = this.trace.values[id]!;
    if (value.source.kind === 'parameter') return value.source.tensor.data();
    if (value.source.kind === 'captured') return value.source.data;
    return value.data ?? null;
  }

  /** conv1d node index -> index of the eval BatchNorm that alone reads its output. */
  findFolds(): Map<number, number> {
    const uses = useCounts(this.trace);
    const producer = new Map<number, number>();
    this.trace.nodes.forEach((node, i) => node.outputs.forEach((id) => producer.set(id, i)));
    const folds = new Map<number, number>();
    this.trace.nodes.forEach((node, i) => {
      if (node.op !== 'batchNorm' || node.attrs.training) return;
      const convIndex = producer.get(node.inputs[0]!);
      const conv = convIndex === undefined ? undefined : this.trace.nodes[convIndex];
      if (conv?.op !== 'conv1d' || uses[conv.outputs[0]!] !== 1) return;
      const constant = (id: number | null | undefined): boolean =>
        id === null || id === undefined || this.trace.values[id]!.source.kind === 'parameter';
      if ([...conv.inputs.slice(1), ...node.inputs.slice(1)].every(constant) && node.inputs[3] !== null) {
        folds.set(convIndex!, i);
      }
    });
    return folds;
  }

  emitFolded(convIndex: number, bnIndex: number): void {
    const conv = this.trace.nodes[convIndex] as Extract<TracedNode, { op: 'conv1d' }>;
    const bn = this.trace.nodes[bnIndex] as Extract<TracedNode, { op: 'batchNorm' }>;
    const constant = (id: number | null | undefined): TypedArray | null =>
      id === null || id === undefined ? null : this.constantOf(id);
    const weightId = conv.inputs[1]!;
    const weightValue = this.trace.values[weightId]!;
    const outChannels = weightValue.shape[0]!;
    const folded = foldBatchNorm(constant(weightId) as Float32Array, constant(conv.inputs[2]), outChannels, {
      weight: constant(bn.inputs[1]),
      bias: constant(bn.inputs[2]),
      runningMean: constant(bn.inputs[3])!,
      runningVar: constant(bn.inputs[4])!,
      eps: bn.attrs.eps,
    });
    const base =
      weightValue.source.kind === 'parameter' ? weightValue.source.name.replace(/\.weight$/, '') : 'conv';
    const dtype = weightValue.dtype;
    const [outC, inC, kernel] = weightValue.shape as [number, number, number];
    const weight = this.g.initializer(
      `${base}.weight_bn_folded`,
      dtype,
      [outC, inC, 1, kernel],
      folded.weight,
    );
    const bias = this.g.initializer(`${base}.bias_bn_folded`, dtype, [outChannels], folded.bias);
    const { stride, padding, dilation, groups } = conv.attrs;
    const output = this.context(bnIndex).output(0);
    conv1dAs2d(this.g, this.nameOf(conv.inputs[0]!), weight, bias, output, {
      kernel,
      stride,
      padding,
      dilation,
      groups,
    });
  }

  context(index: number): NodeContext {
    const node = this.trace.nodes[index]!;
    const probeNode = this.probe.nodes[index]!;
    const value = (trace: Trace, id: number | null | undefined) => {
      if (id === null || id === undefined)
        throw new ExportError(`exportOnnx: op #${index} (${node.op}) lacks an input`);
      return trace.values[id]!;
    };
    const fail = (problem: string): never => {
      throw new ExportError(`exportOnnx: op #${index} (${node.op}) cannot be exported: ${problem}`);
    };
    return {
      g: this.g,
      op: node.op,
      attrs: node.attrs,
      probeAttrs: probeNode.attrs,
      input: (i) =>
        node.inputs[i] === null || node.inputs[i] === undefined ? '' : this.nameOf(node.inputs[i]!),
      has: (i) => node.inputs[i] !== null && node.inputs[i] !== undefined,
      output: (i) => {
        const id = node.outputs[i]!;
        this.names[id] ??= this.#outputNames.get(id) ?? this.g.unique(`/${node.op}`);
        return this.names[id]!;
      },
      alias: (i, name) => {
        this.names[node.outputs[i]!] = name;
      },
      inputShape: (i) => value(this.trace, node.inputs[i]).shape,
      probeInputShape: (i) => value(this.probe, probeNode.inputs[i]).shape,
      outputShape: (i) => value(this.trace, node.outputs[i]).shape,
      probeOutputShape: (i) => value(this.probe, probeNode.outputs[i]).shape,
      inputDtype: (i) => value(this.trace, node.inputs[i]).dtype,
      outputDtype: (i) => value(this.trace, node.outputs[i]).dtype,
      constantInput: (i) => (node.inputs[i] == null ? null : this.constantOf(node.inputs[i]!)),
      constantOutput: () => {
        const data = this.trace.values[node.outputs[0]!]!.data;
        return data ?? fail('its values were not recorded');
      },
      isCreatedConstant: (i) =>
        node.inputs[i] != null && this.trace.values[node.inputs[i]!]!.data !== undefined,
      dimension: (size, probeSize) => this.dimension(size, probeSize, undefined),
      shapeTensor: (target, probe, mode, reference) =>
        this.shapeTensor(
          target,
          probe,
          mode,
          reference === undefined ? undefined : node.inputs[reference]!,
          fail,
        ),
      fail,
    };
  }

  shapeTensor(
    target: readonly number[],
    probe: readonly number[],
    mode: 'reshape' | 'expand' | 'create',
    reference: number | undefined,
    fail: (problem: string) => never,
  ): string {
    const pieces: Array<number | string> = [];
    let inferred = false;
    const ref: [readonly number[], readonly number[]] | undefined =
      reference === undefined
        ? undefined
        : [this.trace.values[reference]!.shape, this.probe.values[reference]!.shape];
    target.forEach((size, i) => {
      const probeSize = probe[i]!;
      if (size === probeSize) return void pieces.push(size);
      if (ref && mode === 'reshape' && ref[0][i] === size && ref[1][i] === probeSize)
        return void pieces.push(0);
      const aligned = ref ? i - (target.length - ref[0].length) : -1;
      if (ref && mode === 'expand' && ref[0][aligned] === size && ref[1][aligned] === probeSize) {
        return void pieces.push(1);
      }
      const source = this.dimension(size, probeSize, reference);
      if (source !== null) return void pieces.push(source);
      if (mode === 'reshape' && !inferred) {
        inferred = true;
        return void pieces.push(-1);
      }
      fail(
        `dimension ${i} of shape [${target.join(', ')}] depends on the input size in a way ONNX export cannot follow`,
      );
    });
    if (pieces.every((p) => typeof p === 'number')) return this.g.int64s(pieces as number[]);
    // Runs of literal dims become one constant; size-dependent dims are Shape slices.
    const parts: string[] = [];
    let literal: number[] = [];
    for (const piece of pieces) {
      if (typeof piece === 'number') {
        literal.push(piece);
        continue;
      }
      if (literal.length) parts.push(this.g.int64s(literal));
      literal = [];
      parts.push(piece);
    }
    if (literal.length) parts.push(this.g.int64s(literal));
    return this.g.op('Concat', parts, { axis: { int: 0 } });
  }

  /**
   * A 1-D int64 tensor holding the size of a dim that is `size` in the example and `probeSize` in the probe, read
   * with Shape from the preferred value, a graph input, or any value the graph already computes.
   */
  dimension(size: number, probeSize: number, preferred: number | undefined): string | null {
    const computed = this.trace.values.flatMap((v, id) =>
      v.source.kind === 'op' && this.names[id] ? [id] : [],
    );
    const candidates = [...(preferred === undefined ? [] : [preferred]), ...this.trace.inputs, ...computed];
    for (const id of candidates) {
      const axis = this.trace.values[id]!.shape.findIndex(
        (s, j) => s === size && this.probe.values[id]!.shape[j] === probeSize,
      );
      if (axis === -1) continue;
      const key = `${id}:${axis}`;
      let name = this.#shapeSlices.get(key);
      if (name === undefined) {
        name = this.g.op('Shape', [this.nameOf(id)], { start: { int: axis }, end: { int: axis + 1 } });
        this.#shapeSlices.set(key, name);
      }
      return name;
    }
    return null;
  }

  graphOutput(name: string, id: number): onnxProtoValueInfo {
    const produced = this.names[id] ?? this.nameOf(id);
    if (produced !== name) this.g.node('Identity', [produced], [name]);
    return this.valueInfo(name, id, this.options.outputDocs?.[name]);
  }

  valueInfo(name: string, id: number, doc?: string): onnxProtoValueInfo {
    const shape = this.trace.values[id]!.shape;
    const probeShape = this.probe.values[id]!.shape;
    const dim = shape.map((size, axis) =>
      size === probeShape[axis]
        ? { dimValue: size }
        : { dimParam: this.dimName(size, probeShape[axis]!, `${name}_${axis}`) },
    );
    return {
      name,
      type: { tensorType: { elemType: ONNX_DTYPE[this.trace.values[id]!.dtype as DType], shape: { dim } } },
      ...(doc ? { docString: doc } : {}),
    };
  }

  /** The symbolic name of a graph input's dynamic axis with these sizes, else the fallback. */
  dimName(size: number, probeSize: number, fallback: string): string {
    for (const id of this.trace.inputs) {
      const axes = this.inputs[id]!.dynamicAxes ?? {};
      for (const [axis, name] of Object.entries(axes)) {
        const a = Number(axis);
        if (this.trace.values[id]!.shape[a] === size && this.probe.values[id]!.shape[a] === probeSize)
          return name;
      }
    }
    return fallback;
  }

  /** Drops nodes and initializers that no output depends on (e.g. zeros an LSTM did not need). */
  prune(outputs: string[]): void {
    const needed = new Set(outputs);
    const kept: typeof this.g.nodes = [];
    for (const node of [...this.g.nodes].reverse()) {
      if (!(node.output ?? []).some((o) => needed.has(o))) continue;
      kept.push(node);
      for (const input of node.input ?? []) if (input) needed.add(input);
    }
    this.g.nodes.splice(0, this.g.nodes.length, ...kept.reverse());
    const initializers = this.g.initializers.filter((t) => needed.has(t.name!));
    this.g.initializers.splice(0, this.g.initializers.length, ...initializers);
  }
}

type onnxProtoGraph = import('onnx-proto').onnx.IGraphProto;
type onnxProtoValueInfo = import('onnx-proto').onnx.IValueInfoProto;
