package onnx

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func externalTensor(name, location string, offset, length int) *Tensor {
	t := &Tensor{Name: name, DataType: Float, Dims: []int64{2}, DataLocation: LocationExternal,
		ExternalData: []*StringEntry{{Key: "location", Value: location}}}
	if offset >= 0 {
		t.ExternalData = append(t.ExternalData, &StringEntry{Key: "offset", Value: strconv.Itoa(offset)})
	}
	if length >= 0 {
		t.ExternalData = append(t.ExternalData, &StringEntry{Key: "length", Value: strconv.Itoa(length)})
	}
	return t
}

func weightsFile(vals ...float32) []byte {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func TestResolveExternalData(t *testing.T) {
	sub := &Graph{Initializer: []*Tensor{externalTensor("inner", "./w.bin", 8, -1)}}
	m := &Model{Graph: &Graph{
		Initializer: []*Tensor{externalTensor("a", "w.bin", 0, 8), {Name: "inline", RawData: []byte{1}}},
		Node: []*Node{{OpType: "If", Attribute: []*Attribute{
			{Name: "value", T: externalTensor("attr", "sub/x.bin", -1, -1)},
			{Name: "then_branch", G: sub},
		}}},
	}}
	fsys := fstest.MapFS{
		"w.bin":     {Data: weightsFile(1, 2, 3, 4)},
		"sub/x.bin": {Data: weightsFile(5, 6)},
	}
	if err := ResolveExternalData(m, FSOpener(fsys)); err != nil {
		t.Fatal(err)
	}
	check := func(tp *Tensor, want []byte) {
		t.Helper()
		if string(tp.RawData) != string(want) || tp.DataLocation != LocationDefault || tp.ExternalData != nil {
			t.Errorf("tensor %s: raw %v location %d external %v", tp.Name, tp.RawData, tp.DataLocation, tp.ExternalData)
		}
	}
	check(m.Graph.Initializer[0], weightsFile(1, 2))
	check(sub.Initializer[0], weightsFile(3, 4))
	check(m.Graph.Node[0].Attribute[0].T, weightsFile(5, 6))

	// The resolved model encodes self-contained.
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if tp := back.Graph.Initializer[0]; tp.DataLocation != LocationDefault || len(tp.ExternalData) != 0 || len(tp.RawData) != 8 {
		t.Errorf("re-decoded resolved tensor: %+v", tp)
	}
}

func TestResolveExternalDataErrors(t *testing.T) {
	fsys := fstest.MapFS{"w.bin": {Data: weightsFile(1, 2)}}
	cases := []struct {
		tensor *Tensor
		want   string
	}{
		{externalTensor("a", "weights.bin", 0, 8), "model references external data file weights.bin (tensor \"a\"); put it beside the model"},
		{externalTensor("a", "../w.bin", 0, 8), "not a path inside the model's directory"},
		{externalTensor("a", "/etc/w.bin", 0, 8), "not a path inside the model's directory"},
		{externalTensor("a", "w.bin", 4, 8), "run past the end of w.bin"},
		{externalTensor("a", "w.bin", 0, 4), "need 8"},
		{externalTensor("a", "w.bin", 12, -1), "offset 12 is past the end"},
		{externalTensor("a", "", 0, 8), "has no location"},
		{&Tensor{Name: "a", DataLocation: LocationExternal, ExternalData: []*StringEntry{{Key: "location", Value: "w.bin"}, {Key: "offset", Value: "-1"}}}, "not a non-negative integer"},
	}
	for _, c := range cases {
		m := &Model{Graph: &Graph{Initializer: []*Tensor{c.tensor}}}
		err := ResolveExternalData(m, FSOpener(fsys))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want it to contain %q", err, c.want)
		}
	}
}

func TestReadModelFile(t *testing.T) {
	dir := t.TempDir()
	m := &Model{IRVersion: 8, Graph: &Graph{Initializer: []*Tensor{externalTensor("w", "weights.bin", 0, 8)}}}
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadModelFile(path)
	if err == nil || !strings.Contains(err.Error(), "weights.bin") || !strings.Contains(err.Error(), "put it beside the model") {
		t.Fatalf("missing external file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), weightsFile(7, 8), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Graph.Initializer[0].RawData) != string(weightsFile(7, 8)) {
		t.Errorf("raw data %v", got.Graph.Initializer[0].RawData)
	}
}

func TestNumElements(t *testing.T) {
	cases := []struct {
		dims []int64
		want int64
		err  string
	}{
		{nil, 1, ""},
		{[]int64{2, 3, 4}, 24, ""},
		{[]int64{0, 1 << 62}, 0, ""},
		{[]int64{3, -1}, 0, "must not be negative"},
		{[]int64{1 << 32, 1 << 32}, 0, "more than"},
		{[]int64{math.MaxInt64, 1}, math.MaxInt64, ""},
	}
	for _, c := range cases {
		got, err := (&Tensor{Dims: c.dims}).NumElements()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("dims %v: error %v, want %q", c.dims, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("dims %v: %d, %v; want %d", c.dims, got, err, c.want)
		}
	}
}
