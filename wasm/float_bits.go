package main

import (
	"encoding/binary"
	"math"
)

// putFloat32 writes v little-endian, as typed arrays hold it in wasm.
func putFloat32(b []byte, v float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(v)) }
