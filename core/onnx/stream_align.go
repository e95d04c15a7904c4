package onnx

import "unsafe"

// alignedBytes returns n bytes starting at an 8-byte aligned address: the
// storage of a []uint64, so that raw_data moved to an aligned offset
// inside it can become a []float32 (or []float64) without a copy.
func alignedBytes(n int) []byte {
	if n == 0 {
		return []byte{}
	}
	words := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), n)
}

// alignRawData moves t.RawData down to the 8-byte aligned address at or
// below where it starts. RawData must lie in a buffer from alignedBytes
// whose bytes before it no one uses (streamDecoder.graph: the tensor's
// header, already decoded, and fields detach copied out): since the
// buffer starts aligned, the aligned address is inside it.
func alignRawData(t *Tensor) {
	if len(t.RawData) == 0 {
		return
	}
	p := unsafe.Pointer(unsafe.SliceData(t.RawData))
	off := uintptr(p) % 8
	if off == 0 {
		return
	}
	dst := unsafe.Slice((*byte)(unsafe.Add(p, -int(off))), len(t.RawData))
	copy(dst, t.RawData) // overlapping: copy moves like memmove
	t.RawData = dst[:len(dst):len(dst)]
}
