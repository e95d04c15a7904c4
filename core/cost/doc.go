// Package cost accounts for the resources each layer of an ONNX model
// uses: multiply-accumulates, parameters and activation memory.
//
//	shapes, _ := graph.DefaultInputShapes(model, 1)
//	rep, err := cost.Analyze(model, shapes, exec.EvalNode)
//	fmt.Println(rep.MACs, rep.Params, rep.PeakActivationBytes)
//
// Shapes come from graph.InferShapes at the input shapes given (nil means
// every graph input at batch 1); the evaluator folds the shape arithmetic
// of PyTorch exports and may be nil for models without any.
//
// # Conventions
//
// MACs count only the multiply-accumulates of the matrix-product layers,
// the convention of the MLPerf Tiny and most model zoos (resnet8-cifar10
// gives 12,501,632). Bias additions, batch normalization, pooling,
// activations and other element-wise work are not counted: they are
// memory-bound, a small fraction of the total, and counting them differs
// between tools.
//
//	op                               MACs
//	Conv, ConvInteger, QLinearConv   N * Cout * prod(output spatial) * Cin/group * prod(kernel)
//	ConvTranspose                    N * Cin * prod(input spatial) * Cout/group * prod(kernel)
//	Gemm                             M * N * K
//	MatMul, MatMulInteger,
//	QLinearMatMul                    prod(broadcast batch dims) * M * N * K
//	everything else                  0
//
// Params count the elements of the initializers that hold weights: every
// floating-point initializer (weights, biases, batch-norm scale, bias, mean
// and variance, quantization scales) and the integer initializers that a
// DequantizeLinear dequantizes or a quantized Conv/MatMul reads as its
// weight (quantized weights). Integer shape arguments (Reshape's shape,
// Slice's starts) and zero points are not parameters. Each initializer is
// counted once, at the first node (in topological order) that reads it;
// an initializer that reaches that node only through shape-only ops
// (Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Identity, Cast) counts
// at the node that uses the result, so mnist-8's fully connected weights
// count at its MatMul, not at the Reshape that shapes them.
// Values held by Constant nodes are not counted (PyTorch uses them for
// scalars such as Clip bounds).
//
// ActivationBytes of a layer is the size of its outputs at the input
// shapes analysed, at the stored width of their element type (4 bytes for
// float32, 1 for int8, half a byte for int4). Outputs that are folded
// constants (shape arithmetic) count too; they are a few bytes.
//
// PeakActivationBytes is the largest total size of the activations alive at
// once when the nodes run one at a time in graph.Order(): while a node runs,
// its inputs and outputs are alive, as is every earlier activation that a
// later node (or a graph output) still reads. Graph inputs are alive from the
// start until their last reader; graph outputs until the end. Initializers
// and folded constants are excluded (they are parameters, not
// activations), and no output is assumed to reuse an input's buffer, so the
// figure is what a simple executor without in-place operations needs.
//
// Each Layer names its node (Node, and Index in graph.node) and the values
// its OutputShapes describe, so callers look layers up by node rather than
// by position; LiveBytes is the activation memory alive while it runs.
//
// # Costs as functions of channel counts
//
// AnalyzeChannels gives the same figures as polynomials in channel counts,
// for a solver that chooses how many channels each layer keeps:
//
//	ch, rep, err := cost.AnalyzeChannels(model, nil, exec.EvalNode)
//	l := ch.Layers[0]        // a Conv, Gemm or MatMul
//	l.MACs.Eval(n)           // e.g. 9216*n[0]*n[1] at counts n
//	after, _ := ch.Predict(n) // the Report Analyze gives after the edit
//
// The counts belong to groups: the output channels of a conv or linear
// layer, shared by every value that carries them on (BatchNormalization,
// activations, pooling, Flatten), tied across a residual Add or a gating
// Mul, lined up by a Concat along channels. A group is Fixed when its
// count cannot change: graph inputs and outputs, and channels that pass
// through a node the analysis does not follow (Reshape to another layout,
// Split, Transpose, a grouped conv, an operator of another domain). Each
// group lists the initializer axes it occupies (Tensors), which is all an
// editor needs: keep the same entries along each, set a depthwise conv's
// group attribute to its count, and Analyze measures on the edited file
// exactly what Predict said (the package's tests do this on every shared
// model).
package cost
