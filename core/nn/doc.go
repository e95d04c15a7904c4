// Package nn holds Pare's float32 compute kernels for CNN layers, in NCHW
// layout with 1, 2 or 3 spatial dimensions: Conv, ConvTranspose, MaxPool,
// AveragePool, the global pools, inference BatchNormalization, Gemm and
// MatMul, with ONNX semantics (attribute meaning, auto_pad, ceil_mode,
// count_include_pad, broadcasting).
//
// Each operator comes in two forms: Xxx(inputs, params) allocates and
// returns its output, and XxxInto(dst, ...) writes into a tensor the caller
// allocated (the executor allocates through its buffer recycler) after
// resolving the output shape with the operator's Resolve or Shape function.
//
// GEMM-shaped work goes through gemm.Sgemm; a convolution's col matrix
// can instead be handed to gemm.SgemmPanels as a ColPanels, which gathers
// the GEMM's packed panels from the image (under wasm, in the SIMD
// kernel), or, for a stride-1 window where the AVX2 kernel reads it in
// place, be the image copied into a frame of zeros (im2col_frame.go: a
// gemm.Shifted; FramedCol serves the weight gradient). The window
// helpers Im2Col and
// Col2Im are exported because the gradients of Conv and ConvTranspose are
// the same two transforms used the other way round: a training engine
// computes dW = dY * Im2Col(X)^T and dX = Col2Im(W^T * dY).
//
// Natively on amd64 with AVX2 and PARE_WINOGRAD=on (or SetWinograd(true)),
// a caller that sets ConvGeometry.Winograd (the training engine) has
// stride-1 "same" 3x3 convolutions (one group, at least 8 channels in and
// out, rows of 16k outputs) computed by Winograd F(2x2, 3x3) instead
// (winograd.go): 2.25x fewer multiplies, rounding within 1e-5 of sum
// |w||x| of the definition. It is off by default, so that native training
// keeps the page's bits; wasm and purego builds never take it.
//
// The passes of a training step around its convolutions are here too
// (channel.go: ChannelMoments, ChannelAffine, ChannelGradSums,
// BatchNormInputGrad, ReluMask, AddInto), because under WebAssembly they
// run in the same SIMD kernel module as the convolution helpers, and on
// amd64 with AVX2 the element-wise ones in assembly, with results
// bit-identical to their Go code. So is FakeQuant (fakequant.go), the
// fused QuantizeLinear -> DequantizeLinear pass that the executor runs on
// every quantized activation of a QDQ model, and ConvIntegerIntoCol
// (conv_integer.go), a QDQ model's convolution as the exact integer sum of
// its codes where the platform has an integer GEMM.
//
// Shapes that do not fit an operator are data errors and come back as
// errors naming the operator and the shapes; nothing here panics on user
// input.
package nn
