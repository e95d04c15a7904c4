// Package tensor holds Pare's dense row-major arrays and their conversions.
//
// A Tensor has a DType and exactly one typed data slice. Conversions:
//
//   - FromONNX / ToONNX convert ONNX TensorProto values (raw_data or typed
//     fields; float16 and bfloat16 widen to Float32, int16/uint16/uint32/
//     uint64 widen to Int64, int4/uint4 unpack one value per element).
//   - ReadNpy / WriteNpy read and write NumPy .npy files (format 1.0-3.0,
//     C order, either byte order; WriteNpy writes what numpy.save writes).
//   - Float16ToFloat32, Float32ToFloat16, BFloat16ToFloat32 and
//     Float32ToBFloat16 convert half-precision bits, rounding to nearest
//     even.
//
// For example, loading a test input and an initializer:
//
//	f, _ := os.Open("input.npy")
//	x, err := tensor.ReadNpy(f)
//	w, err := tensor.FromONNX(model.Graph.Initializer[0])
//
// Every reader checks sizes before allocating and returns an error naming
// the problem instead of panicking on malformed input.
package tensor
