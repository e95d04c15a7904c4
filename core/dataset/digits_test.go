package dataset

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pare-ml/pare/internal/testassets"
)

func TestSharedDigits(t *testing.T) {
	dir := testassets.Dir(t, "data/digits")
	for _, p := range []string{dir, filepath.Join(dir, "digits.csv.gz")} {
		set, err := OpenPath(p)
		if err != nil {
			t.Fatal(err)
		}
		if set.Format != FormatDigitsCSV || set.N() != 1797 || set.PixelMax != 16 {
			t.Fatalf("%s: format %q N %d pixel max %d, want digits-csv 1797 16", p, set.Format, set.N(), set.PixelMax)
		}
		if shape, ok := set.Shape(); !ok || shape != (Shape{1, 8, 8}) {
			t.Errorf("shape %v", shape)
		}
		counts := set.ClassCounts()
		if len(counts) != 10 || counts[0] != 178 || counts[1] != 182 {
			t.Errorf("class counts %v, want scikit-learn's (178, 182, ...)", counts)
		}
		img := mustImage(t, set, 0)
		if img.Pix[2] != 5 || img.Pix[3] != 13 || set.Labels[0] != 0 {
			t.Errorf("first row %v label %d", img.Pix[:8], set.Labels[0])
		}
	}
}

func TestDigitsCSVFormats(t *testing.T) {
	header := "p0,p1,p2,p3,label\n"
	fsys := fstest.MapFS{
		"h.csv":   {Data: []byte(header + "0,255,3,4,1\n1,2,3,4,12\n")},
		"bad.csv": {Data: []byte("0,1,2,3,1\n0,1,2,1\n")},
		"neg.csv": {Data: []byte("0,1,2,-3,1\n")},
		"odd.csv": {Data: []byte("0,1,2,1\n")},
		"hdr.csv": {Data: []byte(header)},
	}
	set, err := Open(fsys, "h.csv")
	if err != nil {
		t.Fatal(err)
	}
	if set.N() != 2 || set.PixelMax != 255 || len(set.Classes) != 13 {
		t.Errorf("N %d pixel max %d classes %d", set.N(), set.PixelMax, len(set.Classes))
	}
	if shape, _ := set.Shape(); shape != (Shape{1, 2, 2}) {
		t.Errorf("shape %v, want 1x2x2", shape)
	}
	for name, want := range map[string]string{"bad.csv": "line 2 has 4 columns", "neg.csv": "column 4", "odd.csv": "square", "hdr.csv": "no data rows"} {
		if _, err := Open(fsys, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
}
