import { ProtobufWriter } from './protobuf-writer.ts';

/**
 * A minimal encoder of ONNX models (field numbers from onnx/onnx.proto, IR version 8, default
 * opset 17): enough to describe the few-node graphs of the matrix engine in code rather than ship
 * binary .onnx files.
 */

export type ElementType = 'float32' | 'float64' | 'int64';

/** TensorProto.DataType codes. */
const ELEMENT_CODES: Record<ElementType, number> = { float32: 1, int64: 7, float64: 11 };

export interface ValueSpec {
  name: string;
  type: ElementType;
  /** Fixed sizes, or names of symbolic dimensions. */
  shape: (number | string)[];
}

export type Attribute =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; ints: number[] };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Attribute[];
}

export interface GraphSpec {
  name: string;
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
}

const IR_VERSION = 8;
const OPSET = 17;

export function encodeOnnxModel(graph: GraphSpec): Uint8Array {
  return new ProtobufWriter()
    .varint(1, IR_VERSION) // ModelProto.ir_version
    .string(2, 'contamination-lab') // producer_name
    .message(8, (w) => w.string(1, '').varint(2, OPSET)) // opset_import
    .message(7, (w) => writeGraph(w, graph)) // graph
    .finish();
}

function writeGraph(w: ProtobufWriter, graph: GraphSpec): void {
  graph.nodes.forEach((node, i) => w.message(1, (n) => writeNode(n, node, `${node.op}_${i}`)));
  w.string(2, graph.name);
  for (const input of graph.inputs) w.message(11, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.message(12, (v) => writeValueInfo(v, output));
}

function writeNode(w: ProtobufWriter, node: NodeSpec, name: string): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, name).string(4, node.op);
  for (const attribute of node.attributes ?? []) w.message(5, (a) => writeAttribute(a, attribute));
}

/** AttributeProto: name = 1, f = 2, i = 3, ints = 8, type = 20 (FLOAT 1, INT 2, INTS 7). */
function writeAttribute(w: ProtobufWriter, a: Attribute): void {
  w.string(1, a.name);
  if ('int' in a) w.varint(3, a.int).varint(20, 2);
  else if ('float' in a) w.float(2, a.float).varint(20, 1);
  else {
    for (const v of a.ints) w.varint(8, v);
    w.varint(20, 7);
  }
}

/** ValueInfoProto { name = 1, type = 2 { tensor_type = 1 { elem_type = 1, shape = 2 } } }. */
function writeValueInfo(w: ProtobufWriter, v: ValueSpec): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.varint(1, ELEMENT_CODES[v.type]).message(2, (shape) => {
        for (const dim of v.shape)
          shape.message(1, (d) => (typeof dim === 'number' ? d.varint(1, dim) : d.string(2, dim)));
      }),
    ),
  );
}
