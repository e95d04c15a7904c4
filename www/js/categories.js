// Operator categories, for colouring graph nodes the way Netron does.

const byOp = {
  layer: ['Conv', 'ConvTranspose', 'ConvInteger', 'QLinearConv', 'Gemm', 'MatMul', 'MatMulInteger', 'QLinearMatMul', 'Einsum'],
  activation: ['Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Softmax', 'LogSoftmax', 'Softplus', 'Softsign', 'Clip', 'Gelu', 'Mish', 'ThresholdedRelu'],
  pool: ['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'GlobalLpPool', 'MaxRoiPool', 'MaxUnpool'],
  norm: ['BatchNormalization', 'InstanceNormalization', 'LayerNormalization', 'GroupNormalization', 'LRN', 'LpNormalization', 'Dropout'],
  shape: ['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Concat', 'Split', 'Slice', 'Gather', 'Shape', 'Size', 'Expand', 'Tile', 'Pad', 'Resize', 'Upsample', 'DepthToSpace', 'SpaceToDepth', 'Identity', 'Cast', 'ConstantOfShape', 'Range'],
  quant: ['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear'],
  math: ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Exp', 'Log', 'Abs', 'Neg', 'Reciprocal', 'Max', 'Min', 'Sum', 'Mean', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ArgMax', 'ArgMin', 'Floor', 'Ceil', 'Round', 'Erf', 'Equal', 'Greater', 'Less', 'Where', 'Not', 'And', 'Or', 'Constant'],
};

const lookup = new Map();
for (const [cat, ops] of Object.entries(byOp)) for (const op of ops) lookup.set(op, cat);

/** Human names of the categories, in legend order. */
export const categoryNames = {
  layer: 'layer', activation: 'activation', pool: 'pool', norm: 'normalization',
  shape: 'shape', math: 'math', quant: 'quantization', io: 'input/output', other: 'other',
};

/** categoryOf returns the category of a graph node. */
export function categoryOf(node) {
  if (node.kind === 'input' || node.kind === 'output') return 'io';
  return lookup.get(node.op) || 'other';
}
