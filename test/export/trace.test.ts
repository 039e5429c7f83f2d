/** The op observer and traces: names, tensor inputs by identity, structured attributes, parameters by state-dict name. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ops as F, scope, type Tensor } from '../../src/engine/index.js';
import { BatchNorm1d, Conv1d, Module } from '../../src/nn/index.js';
import { traceFunction, traceOps, useCounts, type OpRecord } from '../../src/export/trace.js';

class ConvBn extends Module {
  readonly conv = this.registerModule('conv', new Conv1d(2, 4, 3, { stride: 2, padding: 1, bias: false }));
  readonly bn = this.registerModule('bn', new BatchNorm1d(4, 1e-3));
  readonly offset: Tensor;

  constructor() {
    super();
    // Not registered: a captured tensor, which a trace must bake in as a constant.
    this.offset = F.full([1, 4, 1], 0.5);
  }

  forward(x: Tensor): Tensor {
    return F.add(F.silu(this.bn.forward(this.conv.forward(x))), this.offset);
  }
}

test('traceOps sees every op once, in order, with tensor inputs by identity, attributes and outputs', () => {
  const records: OpRecord[] = [];
  scope(() => {
    const x = F.randn([1, 3, 8]);
    const w = F.randn([5, 3, 3]);
    const y = traceOps(
      (r) => records.push(r),
      () => F.mul(F.conv1d(x, w, null, { stride: 2 }), 3),
    );
    assert.deepEqual(
      records.map((r) => r.op),
      ['conv1d', 'mul'],
    );
    const [conv, mul] = records as [Extract<OpRecord, { op: 'conv1d' }>, Extract<OpRecord, { op: 'mul' }>];
    assert.equal(conv.inputs[0], x);
    assert.equal(conv.inputs[1], w);
    assert.equal(conv.inputs[2], null);
    assert.deepEqual(conv.attrs, { stride: 2, padding: 0, dilation: 1, groups: 1 });
    assert.equal(mul.inputs[0], conv.outputs[0]);
    assert.deepEqual(mul.attrs, { other: 3 });
    assert.equal(mul.outputs[0], y);
  });
  // Outside traceOps nothing is recorded.
  scope(() => F.add(F.ones([2]), 1));
  assert.equal(records.length, 2);
});

test('nested observers both see ops; an op that throws is not recorded', () => {
  const outer: string[] = [];
  const inner: string[] = [];
  scope(() =>
    traceOps(
      (r) => outer.push(r.op),
      () => {
        F.relu(F.ones([2]));
        traceOps(
          (r) => inner.push(r.op),
          () => {
            F.neg(F.zeros([1]));
            assert.throws(() => F.matmul(F.ones([2, 3]), F.ones([2, 3])), /matmul/);
          },
        );
      },
    ),
  );
  assert.deepEqual(outer, ['ones', 'relu', 'zeros', 'neg', 'ones', 'ones']);
  assert.deepEqual(inner, ['zeros', 'neg', 'ones', 'ones']);
});

test('traceFunction numbers inputs first, names parameters and buffers, keeps captured and created constants', () => {
  const model = new ConvBn().eval();
  const x = F.randn([2, 2, 10]);
  const trace = traceFunction([{ name: 'ecg', tensor: x }], model.stateDict(), () => ({
    out: model.forward(x),
  }));
  assert.deepEqual(
    trace.nodes.map((n) => n.op),
    ['conv1d', 'batchNorm', 'silu', 'add'],
  );
  assert.deepEqual(trace.values[0]!.source, { kind: 'input', name: 'ecg' });
  const conv = trace.nodes[0]!;
  assert.deepEqual(conv.inputs.slice(0, 1), [0]);
  const source = trace.values[conv.inputs[1]!]!.source;
  assert.equal(source.kind === 'parameter' && source.name, 'conv.weight');
  const bn = trace.nodes[1]!;
  const bnSources = bn.inputs.map((id) => {
    const s = id === null ? null : trace.values[id]!.source;
    return s?.kind === 'parameter' ? s.name : s?.kind;
  });
  assert.deepEqual(bnSources, ['op', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var']);
  assert.deepEqual(bn.attrs, { training: false, momentum: 0.1, eps: 1e-3 });
  const captured = trace.values[trace.nodes[3]!.inputs[1]!]!;
  assert.equal(captured.source.kind, 'captured');
  assert.deepEqual(captured.source.kind === 'captured' && [...captured.source.data], [0.5, 0.5, 0.5, 0.5]);
  assert.deepEqual(trace.values[trace.outputs[0]!.id]!.shape, [2, 4, 5]);
  assert.deepEqual(useCounts(trace)[conv.outputs[0]!], 1);
  // The trace runs in a scope: the intermediate tensors are released, the inputs and parameters are not.
  assert.equal(x.isDisposed, false);
  assert.equal(model.conv.weight.isDisposed, false);
  model.dispose();
  model.offset.dispose();
  x.dispose();
});
