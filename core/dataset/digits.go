package dataset

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
)

// digitsPixelMax is the largest value in scikit-learn's digits (4x4 blocks
// of a 32x32 bitmap counted, so 0..16).
const digitsPixelMax = 16

// maxDigitsLine bounds one CSV row: 1 MiB holds a 256x256 image of
// three-digit values, far beyond the 8x8 digits, and stops a file without
// newlines (or a zip bomb of one) before it is read whole.
const maxDigitsLine = 1 << 20

// parseDigitsCSV reads rows of S*S pixel values and a trailing label, as in
// scikit-learn's digits.csv. A first line that is not numeric is taken as a
// header. The image side S comes from the column count. Rows are read one
// at a time, each at most maxDigitsLine bytes, within the budget.
func parseDigitsCSV(r io.Reader, name string, budget *budgetTracker) (Shape, []byte, []int, int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var pix []byte
	var labels []int
	columns := 0
	shape := Shape{}
	maxValue := 0
	for lineNo := 0; ; lineNo++ {
		raw, err := readLine(br, maxDigitsLine)
		if err == io.EOF && len(raw) == 0 {
			break
		}
		if err != nil && err != io.EOF {
			return Shape{}, nil, nil, 0, fmt.Errorf("dataset: %s line %d: %w", name, lineNo+1, err)
		}
		if err := budget.reserve(name, 1, int64(len(raw))); err != nil {
			return Shape{}, nil, nil, 0, err
		}
		line := strings.TrimSpace(string(raw))
		if line == "" {
			continue
		}
		fields := strings.Split(line, ",")
		if columns == 0 {
			if _, err := strconv.ParseFloat(strings.TrimSpace(fields[0]), 64); err != nil && lineNo == 0 {
				continue // a header line
			}
			columns = len(fields)
			pixels := columns - 1
			side := int(math.Sqrt(float64(pixels)))
			if pixels < 1 || side*side != pixels {
				return Shape{}, nil, nil, 0, fmt.Errorf("dataset: %s: %d columns: expected a square number of pixel columns and a label (65 for 8x8 digits)", name, columns)
			}
			shape = Shape{C: 1, H: side, W: side}
		}
		if len(fields) != columns {
			return Shape{}, nil, nil, 0, fmt.Errorf("dataset: %s line %d has %d columns, the first row had %d", name, lineNo+1, len(fields), columns)
		}
		for col, f := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || v != math.Trunc(v) || v < 0 || v > 255 {
				return Shape{}, nil, nil, 0, fmt.Errorf("dataset: %s line %d column %d: %q is not a whole number 0..255", name, lineNo+1, col+1, f)
			}
			if col == columns-1 {
				labels = append(labels, int(v))
			} else {
				pix = append(pix, byte(v))
				maxValue = max(maxValue, int(v))
			}
		}
	}
	if len(labels) == 0 {
		return Shape{}, nil, nil, 0, fmt.Errorf("dataset: %s has no data rows", name)
	}
	pixelMax := 255
	if maxValue <= digitsPixelMax {
		pixelMax = digitsPixelMax
	}
	return shape, pix, labels, pixelMax, nil
}

// readLine returns the next line without its newline, refusing one longer
// than limit bytes.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > limit {
			return nil, fmt.Errorf("a line is longer than %d bytes: is this a digits CSV?", limit)
		}
		switch err {
		case nil:
			return bytes.TrimSuffix(line, []byte("\n")), nil
		case bufio.ErrBufferFull:
			continue
		default:
			return line, err
		}
	}
}

// isDigitsCSVName says whether a file looks like a digits CSV.
func isDigitsCSVName(n string) bool {
	lower := strings.ToLower(n)
	return strings.HasSuffix(lower, ".csv") || strings.HasSuffix(lower, ".csv.gz")
}

// loadDigitsCSV reads a digits CSV (gzip or not).
func loadDigitsCSV(fsys fs.FS, p string, opts Options, budget *budgetTracker) (*Set, error) {
	r, closeFile, err := openMaybeGzip(fsys, p)
	if err != nil {
		return nil, err
	}
	defer closeFile()
	// Text is larger than the pixels and labels it holds, so each line
	// reserves for both as it is read.
	shape, pix, labels, pixelMax, err := parseDigitsCSV(r, p, budget)
	if err != nil {
		return nil, err
	}
	maxLabel := 0
	for _, l := range labels {
		maxLabel = max(maxLabel, l)
	}
	var classes []string
	for k := 0; k < max(10, maxLabel+1); k++ {
		classes = append(classes, strconv.Itoa(k))
	}
	classes, err = applyClassNames(classes, opts.Classes, labels, p)
	if err != nil {
		return nil, err
	}
	return &Set{
		Format:   FormatDigitsCSV,
		Source:   p,
		Labels:   labels,
		Classes:  classes,
		PixelMax: pixelMax,
		images:   &packedImages{data: pix, stride: shape.Size(), shapeOf: shape},
	}, nil
}
