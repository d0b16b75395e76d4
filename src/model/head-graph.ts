/**
 * The classifier head as ONNX nodes: a linear layer (logits = W·f + b), or a one-hidden-layer MLP
 * (logits = W·relu(H·f + c) + b). The same nodes go on top of the backbone in the scan-time session
 * and into the small stand-alone graph training uses to score hold-out features, so what is
 * measured is what runs.
 */
import onnxProto from 'onnx-proto';
import type { Head } from './manifest.js';
import { encodeGraph, tensorValueInfo } from './onnx-convert.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** Rows of numbers → one row-major Float32Array. */
export function flatten(rows: readonly (readonly number[] | Float32Array)[]): Float32Array {
  const cols = rows[0]?.length ?? 0;
  const out = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => out.set(r, i * cols));
  return out;
}

function floatInit(name: string, dims: number[], data: Float32Array): onnxProto.onnx.ITensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}

const transB = [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }];

/** Nodes and initializers computing `output` (logits, [N, labels]) from `input` ([N, dim]). */
export function headNodes(head: Head, input: string, output: string, prefix = 'head'): { nodes: onnxProto.onnx.INodeProto[]; initializers: onnxProto.onnx.ITensorProto[] } {
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  let x = input;
  if (head.hidden) {
    const { W, b } = hiddenLayer(head);
    initializers.push(floatInit(`${prefix}__H`, [b.length, W.length / b.length], W), floatInit(`${prefix}__c`, [b.length], b));
    nodes.push(
      { name: `${prefix}__hidden`, opType: 'Gemm', input: [x, `${prefix}__H`, `${prefix}__c`], output: [`${prefix}__z1`], attribute: transB },
      { name: `${prefix}__relu`, opType: 'Relu', input: [`${prefix}__z1`], output: [`${prefix}__a1`] },
    );
    x = `${prefix}__a1`;
  }
  initializers.push(floatInit(`${prefix}__W`, [head.W.length, head.W[0]!.length], flatten(head.W)), floatInit(`${prefix}__b`, [head.b.length], Float32Array.from(head.b)));
  nodes.push({ name: `${prefix}__gemm`, opType: 'Gemm', input: [x, `${prefix}__W`, `${prefix}__b`], output: [output], attribute: transB });
  return { nodes, initializers };
}

/** The hidden layer's weights as a row-major [units, dim] array and its bias. */
export function hiddenLayer(head: Head): { W: Float32Array; b: Float32Array } {
  if (!head.hidden) throw new Error('head has no hidden layer');
  const bytes = Buffer.from(head.hidden.W, 'base64');
  const W = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { W, b: Float32Array.from(head.hidden.b) };
}

/** Encode a row-major float32 weight matrix the way head.json stores it (base64 of little-endian float32). */
export function encodeWeights(W: Float32Array): string {
  return Buffer.from(W.buffer, W.byteOffset, W.byteLength).toString('base64');
}

/** A stand-alone model: `features` [N, dim] → `logits` [N, labels]. */
export function headModelBytes(head: Head, dim: number): Uint8Array {
  const { nodes, initializers } = headNodes(head, 'features', 'logits');
  return encodeGraph('casb-scan head', {
    name: 'head',
    node: nodes,
    initializer: initializers,
    input: [tensorValueInfo('features', FLOAT, ['N', dim])],
    output: [tensorValueInfo('logits', FLOAT, ['N', head.b.length])],
  });
}
