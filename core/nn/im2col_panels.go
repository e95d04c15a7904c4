package nn

import (
	"fmt"
	"runtime"
	"sync"
	"weak"

	"github.com/pare-ml/pare/core/gemm"
)

// ColPanels is the im2col matrix of one image (Im2Col's col) as a
// gemm.PanelSource: the GEMM kernel asks for blocks of it already laid out
// as its packed panels, and they are gathered from the image on the spot.
// The full col matrix (9x the image for a 3x3 kernel) is never written,
// and the separate pass that packed it is gone: in a training step that
// was the largest memory traffic after the GEMM itself.
//
// It covers 1-D and 2-D windows (every stride, dilation and padding);
// NewColPanels reports false for 3-D ones, which keep Im2Col.
type ColPanels struct {
	img                       []float32
	channels                  int
	inH, inW, outH, outW      int
	strideH, strideW, inPlane int
	rows                      []colRow
	// sharedRows is set when rows belongs to a ConvGeometry's cache
	// (resetShared): then Reset must not write into it.
	sharedRows bool
	line       []float32 // one row of a block, before it is dealt out to the panels
	// The framed image's padding and the col matrix as a gemm.Shifted
	// over it (im2col_frame.go); offsets are built on first use.
	padT, padB, padL, padR int
	offsets                []int32
	shift                  gemm.Shifted
}

// colRow describes row r = (c, kh, kw) of the col matrix: its channel's
// plane offset in the image, the image row and column offsets of output
// (0, 0) (kh*dilH - padT, kw*dilW - padL), and the outputs [lo, hi) of a
// row whose image column is inside the image. The layout (five int32) is
// also what the wasm kernel's im2col_panels reads.
type colRow struct {
	plane, dh, dw, lo, hi int32
}

// NewColPanels prepares the col matrix of images of channels planes for
// window w, and reports false when w is not 1-D or 2-D. Call SetImage
// before each use.
func NewColPanels(channels int, w *Window) (*ColPanels, bool) {
	s := new(ColPanels)
	if !s.Reset(channels, w) {
		return nil, false
	}
	return s, true
}

// Reset is NewColPanels reusing s's memory.
func (s *ColPanels) Reset(channels int, w *Window) bool {
	p := w.promote3()
	rows := s.rows[:0]
	if s.sharedRows {
		rows = nil
	}
	if !s.setWindow(channels, &p, rows) {
		return false
	}
	s.rows = appendColRows(s.rows, channels, &p)
	return true
}

// resetShared is Reset with the row table (and the rows' frame offsets)
// given, from a ConvGeometry's cache (see colRowsFor): s reads them and
// never writes them.
func (s *ColPanels) resetShared(channels int, w *Window, t *colRowTable) bool {
	p := w.promote3()
	if !s.setWindow(channels, &p, t.rows) {
		return false
	}
	s.offsets = t.offsets
	s.sharedRows = true
	return true
}

// setWindow sets everything of s but the row table, which becomes rows,
// and reports false when p is not 1-D or 2-D.
func (s *ColPanels) setWindow(channels int, p *window3, rows []colRow) bool {
	if p.In[0] != 1 || p.Kernel[0] != 1 || p.Out[0] != 1 {
		return false
	}
	offsets := s.offsets[:0]
	if s.sharedRows {
		offsets = nil // the cache's, not s's to write
	}
	*s = ColPanels{
		channels: channels,
		inH:      p.In[1], inW: p.In[2], outH: p.Out[1], outW: p.Out[2],
		strideH: p.Strides[1], strideW: p.Strides[2], inPlane: p.In[1] * p.In[2],
		rows: rows, line: s.line,
		padT: p.PadBegin[1], padB: p.PadEnd[1], padL: p.PadBegin[2], padR: p.PadEnd[2],
		offsets: offsets,
	}
	return true
}

// appendColRows appends the descriptors of the col rows of channels
// planes under window p (2-D or less) to rows.
func appendColRows(rows []colRow, channels int, p *window3) []colRow {
	inW, outW, strideW, inPlane := p.In[2], p.Out[2], p.Strides[2], p.In[1]*p.In[2]
	kH, kW := p.Kernel[1], p.Kernel[2]
	for c := 0; c < channels; c++ {
		for kh := 0; kh < kH; kh++ {
			for kw := 0; kw < kW; kw++ {
				dw := kw*p.Dilations[2] - p.PadBegin[2]
				lo, hi := outputSpan(dw, strideW, inW, outW)
				rows = append(rows, colRow{
					plane: int32(c * inPlane),
					dh:    int32(kh*p.Dilations[1] - p.PadBegin[1]),
					dw:    int32(dw), lo: int32(lo), hi: int32(hi),
				})
			}
		}
	}
	return rows
}

// colRowCache is a ConvGeometry's row table for its col matrix, built on
// first use: a session resolves each Conv once and then runs it on every
// image, and building the table per call (a few hundred descriptors, two
// divisions each) was a few percent of mnist-8. The window and channel
// count it was built for are kept, so a geometry changed after
// ResolveConv never reads a stale table.
type colRowCache struct {
	mu       sync.Mutex
	channels int
	win      window3
	table    *colRowTable
}

// colRowTable is one row table, shared by the caches of every geometry
// with the same channel count and window (sharedColRows), with each row's
// offset in the framed image (im2col_frame.go): rebuilt per convolution,
// the offsets were 2 % of ResNet-20 inference in wasm.
type colRowTable struct {
	rows    []colRow
	offsets []int32
}

// colRowKey is what a row table depends on.
type colRowKey struct {
	channels int
	win      window3
}

// colRowTables holds the row tables in use, weakly: a table lives as long
// as a geometry's cache holds it. A network repeats its convolutions (the
// 58 3x3 ones of DenseNet-121 have four windows, one per dense block), and
// a table per geometry held 1.4 MiB for DenseNet-121 where four take
// 92 KiB (docs/benchmarks.md).
var colRowTables = struct {
	sync.Mutex
	m map[colRowKey]weak.Pointer[colRowTable]
}{m: map[colRowKey]weak.Pointer[colRowTable]{}}

// sharedColRows returns the row table of channels planes under window p,
// the one already in use when there is one.
func sharedColRows(channels int, p *window3) *colRowTable {
	k := colRowKey{channels, *p}
	colRowTables.Lock()
	defer colRowTables.Unlock()
	if t := colRowTables.m[k].Value(); t != nil {
		return t
	}
	t := &colRowTable{rows: appendColRows(make([]colRow, 0, channels*p.Kernel[1]*p.Kernel[2]), channels, p)}
	t.offsets = appendFrameOffsets(make([]int32, 0, len(t.rows)), t.rows, p)
	colRowTables.m[k] = weak.Make(t)
	runtime.AddCleanup(t, func(k colRowKey) {
		colRowTables.Lock()
		defer colRowTables.Unlock()
		// A table built for k after t died is not t's to remove.
		if colRowTables.m[k].Value() == nil {
			delete(colRowTables.m, k)
		}
	}, k)
	return t
}

// colRowsFor returns the row table of g's col matrix for channels planes,
// or ok false when g has no cache (a geometry not made by ResolveConv) or
// a window that is not 1-D or 2-D.
func colRowsFor(g *ConvGeometry, channels int) (t *colRowTable, ok bool) {
	c := g.colRows
	if c == nil {
		return nil, false
	}
	p := g.promote3()
	if p.In[0] != 1 || p.Kernel[0] != 1 || p.Out[0] != 1 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.table == nil || c.channels != channels || c.win != p {
		c.channels, c.win = channels, p
		c.table = sharedColRows(channels, &p)
	}
	return c.table, true
}

// colPanelsPool recycles ColPanels between convolutions, so that a
// forward pass does not allocate.
var colPanelsPool = sync.Pool{New: func() any { return new(ColPanels) }}

// Rows and Cols are the col matrix's size: channels*KernelSize x OutSize.
func (s *ColPanels) Rows() int { return len(s.rows) }
func (s *ColPanels) Cols() int { return s.outH * s.outW }

// SetImage points the source at img (channels x In, row-major).
func (s *ColPanels) SetImage(img []float32) {
	if len(img) < s.channels*s.inPlane {
		panic(fmt.Sprintf("nn.ColPanels: image has %d values, needs %d x %d", len(img), s.channels, s.inPlane))
	}
	s.img = img[:s.channels*s.inPlane]
}

// Panels implements gemm.PanelSource: rows [p0, p0+kb) and columns [j0,
// j0+nb) of col, as ceil(nb/width) panels of kb rows of width values.
func (s *ColPanels) Panels(dst []float32, p0, kb, j0, nb, width int) {
	if p0 < 0 || kb < 0 || p0+kb > len(s.rows) || j0 < 0 || nb < 0 || j0+nb > s.Cols() || width < 1 {
		panic(fmt.Sprintf("nn.ColPanels: block rows [%d, %d) x cols [%d, %d) outside the %d x %d col matrix", p0, p0+kb, j0, j0+nb, len(s.rows), s.Cols()))
	}
	panels := (nb + width - 1) / width
	if len(dst) < panels*width*kb {
		panic(fmt.Sprintf("nn.ColPanels: destination has %d values, needs %d", len(dst), panels*width*kb))
	}
	if kb == 0 || nb == 0 || simdColPanels(s, dst, p0, kb, j0, nb, width) {
		return
	}
	if panels == 1 {
		// One panel is a row-major block: each row is gathered in place.
		oh0, ow0 := j0/s.outW, j0%s.outW
		for pr := 0; pr < kb; pr++ {
			row := dst[pr*width : (pr+1)*width]
			s.fill(row[:nb], &s.rows[p0+pr], oh0, ow0)
			clear(row[nb:])
		}
		return
	}
	// Each row of the block is gathered into a line whole (a bulk copy
	// per output row, as Im2Col does) and then dealt out to the panels:
	// gathering panel by panel would cost a few calls per 8 or 16 values.
	padded := panels * width
	if cap(s.line) < padded {
		s.line = make([]float32, padded)
	}
	line := s.line[:padded]
	panelSize := kb * width
	oh0, ow0 := j0/s.outW, j0%s.outW
	for pr := 0; pr < kb; pr++ {
		s.fill(line[:nb], &s.rows[p0+pr], oh0, ow0)
		clear(line[nb:])
		out := dst[pr*width:]
		switch width {
		case 16:
			for t := 0; t < panels; t++ {
				*(*[16]float32)(out[t*panelSize:]) = *(*[16]float32)(line[t*16:])
			}
		case 8:
			for t := 0; t < panels; t++ {
				*(*[8]float32)(out[t*panelSize:]) = *(*[8]float32)(line[t*8:])
			}
		default:
			for t := 0; t < panels; t++ {
				copy(out[t*panelSize:t*panelSize+width], line[t*width:])
			}
		}
	}
}

// fill writes the col values of row r at consecutive output positions
// from (oh, ow) into seg. Short zero runs are stored in loops: clear and
// copy are calls, and a line has a few per output row.
func (s *ColPanels) fill(seg []float32, r *colRow, oh, ow int) {
	if s.strideH == 1 && s.strideW == 1 && s.outW == s.inW {
		s.fillShifted(seg, r, oh*s.outW+ow)
		return
	}
	lo, hi := int(r.lo), int(r.hi)
	for len(seg) > 0 {
		n := min(len(seg), s.outW-ow)
		part := seg[:n]
		seg = seg[n:]
		ih := oh*s.strideH + int(r.dh)
		// Outputs ow+q with q in [a, b) read inside the image row.
		a, b := min(max(lo-ow, 0), n), min(max(hi-ow, 0), n)
		if ih < 0 || ih >= s.inH {
			a, b = n, n
		}
		for q := 0; q < a; q++ {
			part[q] = 0
		}
		if b > a {
			row := s.img[int(r.plane)+ih*s.inW : int(r.plane)+(ih+1)*s.inW]
			first := (ow+a)*s.strideW + int(r.dw)
			d := part[a:b]
			switch {
			case s.strideW == 1 && len(d) >= 16:
				copy(d, row[first:first+len(d)])
			case s.strideW == 1:
				src := row[first : first+len(d)]
				for q := range d {
					d[q] = src[q]
				}
			default:
				src := row[first:]
				for q := range d {
					d[q] = src[q*s.strideW]
				}
			}
		}
		for q := max(b, a); q < n; q++ {
			part[q] = 0
		}
		oh, ow = oh+1, 0
	}
}

// fillShifted is fill for a stride-1 window whose output rows are as wide
// as the image's ("same" padding, ResNet's 3x3 convolutions): the values
// at positions j.. are the image plane shifted by (dh, dw), one bulk copy,
// after which the rows above or below the image and the columns that
// wrapped around from the neighbouring image row are zeroed.
func (s *ColPanels) fillShifted(seg []float32, r *colRow, j int) {
	n := len(seg)
	plane := s.img[int(r.plane) : int(r.plane)+s.inPlane]
	dh, dw := int(r.dh), int(r.dw)
	rowLo, rowHi := outputSpan(dh, 1, s.inH, s.outH)
	a := min(max(rowLo*s.outW-j, 0), n)
	b := min(max(rowHi*s.outW-j, a), n)
	for i := 0; i < a; i++ {
		seg[i] = 0
	}
	for i := b; i < n; i++ {
		seg[i] = 0
	}
	if a == b {
		return
	}
	// seg[i] is plane[j+i+shift]; indices outside the plane are wrapped
	// columns, zeroed below.
	shift := dh*s.inW + dw
	from, to := max(j+a+shift, 0), min(j+b+shift, len(plane))
	if from < to {
		copy(seg[from-j-shift:to-j-shift], plane[from:to])
	}
	lo, hi := int(r.lo), int(r.hi)
	if lo == 0 && hi == s.outW {
		return
	}
	ow := (j + a) % s.outW
	for i := a; i < b; {
		end := min(i+s.outW-ow, b) // the end of this output row
		for q := i; q < min(i+lo-ow, end); q++ {
			seg[q] = 0
		}
		for q := max(i+hi-ow, i); q < end; q++ {
			seg[q] = 0
		}
		i, ow = end, 0
	}
}
