// Package qil quantizes a model's convolutions and fully connected layers
// with QIL, learned quantization intervals (Jung et al., "Learning to
// Quantize Deep Networks by Optimizing Quantization Intervals with Task
// Loss", CVPR 2019), and exports the result as standard QDQ ONNX.
//
// Per quantized layer, a weight quantizer (interval centre c_W, half-width
// d_W, exponent gamma; by default every Conv and every Gemm with its
// output channels on axis 0 gets one c_W, d_W per output channel, gamma
// shared: Config.Intervals) and an activation quantizer on the layer's input
// (c_X, d_X) are inserted as operators of the custom domain "pare.qil"
// (QILWeight, QILAct; registered through core/custom, so the model runs,
// gets shapes, is costed and trains like any other). The intervals are
// initialised from a forward pass over data (the activation intervals again
// at the start of each lower-bit stage: Config.ActInit), then trained
// jointly with the weights on the task loss through core/train,
// progressively from 8 bits down to the target (8 -> 5 -> 4 -> 3 -> 2). PTQ is the min-max
// post-training baseline at the same bit widths. Export replaces the
// quantizers with int8 (or, at 4 bits and fewer, opset-21 int4) weight
// initializers behind DequantizeLinear and the activation transform with
// Sub -> Clip -> QuantizeLinear -> DequantizeLinear, computing exactly the
// training-time quantized forward. transform.go states the arithmetic.
package qil
