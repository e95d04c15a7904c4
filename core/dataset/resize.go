package dataset

// Bilinear resampling with half-pixel centres: output pixel d samples the
// input at (d+0.5)*in/out-0.5, clamped to the edges. This is PyTorch's
// interpolate(mode="bilinear", align_corners=False) and ONNX Resize's
// "linear" with "half_pixel" (without antialiasing, so strong downscaling
// aliases; PIL's resize, which torchvision uses on images, filters first).

// axisTaps holds, for each output position, the two input positions it
// reads and the weight of the second.
type axisTaps struct {
	lo, hi []int
	w      []float32
}

func bilinearTaps(in, out int) axisTaps {
	t := axisTaps{lo: make([]int, out), hi: make([]int, out), w: make([]float32, out)}
	ratio := float64(in) / float64(out)
	for d := 0; d < out; d++ {
		src := (float64(d)+0.5)*ratio - 0.5
		if src < 0 {
			src = 0
		}
		lo := int(src)
		if lo > in-1 {
			lo = in - 1
		}
		hi := min(lo+1, in-1)
		t.lo[d], t.hi[d], t.w[d] = lo, hi, float32(src-float64(lo))
	}
	return t
}

// resizePlane resamples one uint8 plane (inH x inW) into dst (outH x outW).
func resizePlane(src []uint8, inH, inW int, dst []float32, outH, outW int, rows, cols axisTaps) {
	if inH == outH && inW == outW {
		for i, v := range src[:inH*inW] {
			dst[i] = float32(v)
		}
		return
	}
	for y := 0; y < outH; y++ {
		top := src[rows.lo[y]*inW : rows.lo[y]*inW+inW]
		bottom := src[rows.hi[y]*inW : rows.hi[y]*inW+inW]
		wy := rows.w[y]
		out := dst[y*outW : y*outW+outW]
		for x := range out {
			l, h, wx := cols.lo[x], cols.hi[x], cols.w[x]
			t := float32(top[l]) + wx*(float32(top[h])-float32(top[l]))
			b := float32(bottom[l]) + wx*(float32(bottom[h])-float32(bottom[l]))
			out[x] = t + wy*(b-t)
		}
	}
}
