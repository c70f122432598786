// A one-node ONNX model (Conv or ConvTranspose, weight as an initializer, no bias), shared by the
// ONNX Runtime peers. Encoded with onnx-proto: ONNX's own schema compiled by protobufjs.
import onnxProto from 'onnx-proto';
import { inputShape, outputShape } from '../layers.mjs';

const { onnx } = onnxProto;

const tensorInfo = (name, shape) => ({
  name,
  type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } },
});
const ints = (name, values) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });

/** ModelProto bytes for the layer; the graph takes 'x' (NC[D]HW) and returns 'y'. */
export function onnxModel(layer, w) {
  const node = {
    opType: layer.op === 'convTranspose2d' ? 'ConvTranspose' : 'Conv',
    input: ['x', 'w'],
    output: ['y'],
    attribute: [
      ints('kernel_shape', layer.kernel),
      ints('strides', layer.stride),
      ints('pads', [...layer.padding, ...layer.padding]),
      ints('dilations', layer.dilation),
      { name: 'group', type: onnx.AttributeProto.AttributeType.INT, i: layer.groups },
    ],
  };
  const weight = {
    name: 'w',
    dataType: onnx.TensorProto.DataType.FLOAT,
    dims: w.shape,
    rawData: new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), // little-endian float32
  };
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'simdconv-bench',
    graph: {
      name: layer.name,
      node: [node],
      initializer: [weight],
      input: [tensorInfo('x', inputShape(layer))],
      output: [tensorInfo('y', outputShape(layer))],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}
