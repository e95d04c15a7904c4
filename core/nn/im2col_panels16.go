package nn

// panels16Shifted is ColPanels.Panels for the AVX2 GEMM's 16-wide panels
// of a stride-1 window whose output rows are as wide as the image rows
// ("same" padding: ResNet's 3x3 convolutions and the unit-stride input
// gradients computed as convolutions), when a panel is a whole number of
// output rows or a whole part of one (rows of 16, 32, ...; or 8, 4, 2, 1),
// and the block starts on such a boundary. It reports false, writing
// nothing, otherwise.
//
// Each panel row is then one or more runs of consecutive image values: a
// 16-value run inside the image is one array copy, edges are filled value
// by value. The output position of each run is worked out once per panel,
// not per row, so a row of a panel costs a few compares and a 64-byte
// copy, where Im2Col plus packing wrote the value, read it back and wrote
// it again. Values equal Im2Col's bit for bit (they are copies or zeros).
func (s *ColPanels) panels16Shifted(dst []float32, p0, kb, j0, nb int) bool {
	const width = 16
	outW := s.outW
	seg := min(outW, width) // values of one output row in a panel row
	if s.strideH != 1 || s.strideW != 1 || outW != s.inW || outW%seg != 0 || width%seg != 0 || j0%seg != 0 {
		return false
	}
	panels := (nb + width - 1) / width
	panelSize := kb * width
	runs := width / seg
	var ohs, ows [width]int // output row and column of each run of a panel
	for t := 0; t < panels; t++ {
		jt := j0 + t*width
		cols := min(width, nb-t*width)
		for q := 0; q < runs; q++ {
			ohs[q], ows[q] = (jt+q*seg)/outW, (jt+q*seg)%outW
		}
		block := dst[t*panelSize : (t+1)*panelSize]
		for pr := 0; pr < kb; pr++ {
			out := (*[width]float32)(block[pr*width : (pr+1)*width])
			r := &s.rows[p0+pr]
			plane := s.img[int(r.plane) : int(r.plane)+s.inPlane]
			dh, dw, lo, hi := int(r.dh), int(r.dw), int(r.lo), int(r.hi)
			if runs == 1 && cols == width {
				ih, ow := ohs[0]+dh, ows[0]
				if ih >= 0 && ih < s.inH && ow >= lo && ow+width <= hi {
					*out = *(*[width]float32)(plane[ih*s.inW+ow+dw:])
					continue
				}
			}
			for q := 0; q < runs; q++ {
				part := out[q*seg : (q+1)*seg]
				n := min(seg, cols-q*seg) // columns of the block in this run
				if n <= 0 {
					clear(part)
					continue
				}
				ih, ow := ohs[q]+dh, ows[q]
				// Outputs ow+i, i in [a, b), read inside the image row.
				a, b := min(max(lo-ow, 0), n), min(max(hi-ow, 0), n)
				if ih < 0 || ih >= s.inH || b < a {
					a, b = n, n
				}
				for i := 0; i < a; i++ {
					part[i] = 0
				}
				if b > a {
					copy(part[a:b], plane[ih*s.inW+ow+a+dw:ih*s.inW+ow+b+dw])
				}
				for i := b; i < seg; i++ {
					part[i] = 0
				}
			}
		}
	}
	return true
}
