package onnx

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"
)

// streamModel is everyKindModel with initializers that carry every field
// the decoder aliases (segment, string_data, unknown fields, metadata with
// unknown fields), so a tensor still sharing a buffer with its raw_data
// shows, and with large raw_data laid out in several ways unless small.
func streamModel(small bool) *Model {
	m := everyKindModel()
	for i := range 3 {
		m.Graph.Initializer = append(m.Graph.Initializer, &Tensor{
			Name: "aliasing", DataType: Float, Dims: []int64{2},
			RawData:       []byte{byte(i), 1, 2, 3, 4, 5, 6, 7},
			Segment:       wireBuilder(nil).varint(1, uint64(i)).varint(2, 9),
			StringData:    [][]byte{[]byte("s" + string(rune('0'+i)))},
			Unknown:       []RawField{rawField(99, []byte{byte(i), 42})},
			MetadataProps: []*StringEntry{{Key: "k", Value: "v", Unknown: []RawField{rawField(7, []byte{byte(i)})}}},
		})
	}
	if small {
		return m
	}
	// Large raw_data, read apart from the rest of its tensor
	// (splitInitializer): first, between kept fields, after a raw_data of
	// the wrong wire type and before a second one.
	big := func(i int) []byte {
		b := make([]byte, minSplit+4*i)
		for j := range b {
			b[j] = byte(j*7 + i)
		}
		return b
	}
	first := &Tensor{RawData: big(0), Dims: []int64{minSplit / 4}, DataType: Float, Name: "first"}
	first.wire.order = []segment{{num: 9, count: 1}, {num: 1, count: 1}, {num: 2, count: 1}, {num: 8, count: 1}}
	between := &Tensor{Name: "between", DataType: Float, Dims: []int64{minSplit/4 + 1}, RawData: big(1),
		Unknown: []RawField{rawField(99, []byte{1}), rawField(98, []byte{2})}}
	between.wire.order = []segment{{num: 99, count: 1, unknown: true}, {num: 9, count: 1}, {num: 98, count: 1, unknown: true},
		{num: 1, count: 1}, {num: 2, count: 1}, {num: 8, count: 1}}
	wrongType := protowire.AppendVarint(protowire.AppendTag(nil, 9, protowire.VarintType), 5)
	second := rawField(9, big(3))
	twice := &Tensor{Name: "twice", DataType: Float, Dims: []int64{minSplit/4 + 2}, RawData: big(2),
		Unknown: []RawField{{Num: 9, Bytes: wrongType}, second}}
	twice.wire.order = []segment{{num: 9, count: 1, unknown: true}, {num: 9, count: 1}, {num: 9, count: 1, unknown: true},
		{num: 1, count: 1}, {num: 2, count: 1}, {num: 8, count: 1}}
	m.Graph.Initializer = append(m.Graph.Initializer, first, between, twice)
	return m
}

// streamInputs are the files DecodeReader is compared with Decode on.
func streamInputs(t *testing.T) map[string][]byte {
	t.Helper()
	in := map[string][]byte{"nested graphs": nestedGraphs(4), "empty": {}}
	data, err := Encode(streamModel(false))
	if err != nil {
		t.Fatal(err)
	}
	in["every kind"] = data
	paths, _ := filepath.Glob(filepath.Join(assetsDir, "models", "*.onnx"))
	for _, p := range paths { // absent assets add none
		if b, err := os.ReadFile(p); err == nil {
			in[filepath.Base(p)] = b
		}
	}
	return in
}

// decodeBoth decodes data with Decode and with DecodeReader (take as
// given) and fails unless both agree: the same error text, or models that
// encode to the same bytes and, with deep, are deeply equal (corrupted
// input may hold NaNs, which DeepEqual never finds equal).
func decodeBoth(t *testing.T, name string, data []byte, take TakeFunc, deep bool) *Model {
	t.Helper()
	want, wantErr := Decode(data)
	got, gotErr := DecodeReader(bytes.NewReader(data), int64(len(data)), take)
	if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
		t.Fatalf("%s: Decode: %v; DecodeReader: %v", name, wantErr, gotErr)
	}
	if wantErr != nil {
		return nil
	}
	if deep && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: DecodeReader's model differs from Decode's", name)
	}
	a, errA := Encode(want)
	b, errB := Encode(got)
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Fatalf("%s: the models encode differently (%v, %v)", name, errA, errB)
	}
	return got
}

// TestDecodeReaderMatchesDecode: with nothing taken, the streamed model is
// Decode's, also when every initializer passes through the reused buffer
// (take declining each one), which would corrupt the earlier ones if any
// field still aliased it.
func TestDecodeReaderMatchesDecode(t *testing.T) {
	decline := func(*Tensor) (bool, error) { return false, nil }
	for name, data := range streamInputs(t) {
		decodeBoth(t, name, data, nil, true)
		decodeBoth(t, name+" (take declines)", data, decline, true)
	}
}

// TestDecodeReaderErrorsAsDecode cuts and corrupts a model at every byte:
// DecodeReader must fail where Decode fails, with the same message, and
// allocate nothing a length it has not checked asks for (a corrupted
// length would otherwise show as a huge allocation or a panic). The model
// with large raw_data is cut and corrupted around each payload's ends,
// where the header splitInitializer reads apart lies, and every 61st byte.
func TestDecodeReaderErrorsAsDecode(t *testing.T) {
	small, err := Encode(streamModel(true))
	if err != nil {
		t.Fatal(err)
	}
	large, err := Encode(streamModel(false))
	if err != nil {
		t.Fatal(err)
	}
	take := func(*Tensor) (bool, error) { return false, nil } // the split path needs a take
	check := func(data []byte, n int) {
		decodeBoth(t, "prefix", data[:n], take, true)
		bad := bytes.Clone(data)
		bad[n] ^= 0xff
		decodeBoth(t, "flipped byte", bad, take, false)
	}
	for n := range small {
		check(small, n)
	}
	near := map[int]bool{}
	for _, tp := range streamModel(false).Graph.Initializer {
		if len(tp.RawData) < minSplit {
			continue
		}
		start := bytes.Index(large, tp.RawData)
		if start < 0 {
			t.Fatalf("raw_data of %q not found in the encoding", tp.Name)
		}
		end := start + len(tp.RawData)
		for n := max(start-48, 0); n < min(end+48, len(large)); n++ {
			if n < start+8 || n >= end-8 {
				near[n] = true
			}
		}
	}
	for n := range large {
		if near[n] || n%61 == 0 {
			check(large, n)
		}
	}
}

// TestDecodeReaderTakes: the values take keeps are dropped from the
// model, the rest of each tensor stays, and take sees the initializers in
// file order with their values intact, raw_data aligned and in a buffer
// of its own (overwriting it changes nothing else).
func TestDecodeReaderTakes(t *testing.T) {
	data, err := Encode(streamModel(false))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	take := func(tp *Tensor) (bool, error) {
		w := want.Graph.Initializer[len(seen)]
		if !reflect.DeepEqual(tp, w) {
			t.Errorf("take got initializer %d (%q) unlike Decode's", len(seen), tp.Name)
		}
		seen = append(seen, tp.Name)
		if len(tp.RawData) > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(tp.RawData)))%8 != 0 {
			t.Errorf("initializer %q: raw_data is not 8-byte aligned", tp.Name)
		}
		if tp.Name != "aliasing" && len(tp.RawData) < minSplit {
			return false, nil
		}
		// Taken values are take's to overwrite: no other field may see it.
		for i := range tp.RawData {
			tp.RawData[i] = 0xee
		}
		return true, nil
	}
	got, err := DecodeReader(bytes.NewReader(data), int64(len(data)), take)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(want.Graph.Initializer) {
		t.Fatalf("take saw %d initializers, the model has %d", len(seen), len(want.Graph.Initializer))
	}
	for i, tp := range got.Graph.Initializer {
		w := *want.Graph.Initializer[i]
		if tp.Name == "aliasing" || len(w.RawData) >= minSplit {
			if tp.RawData != nil || tp.StringData != nil {
				t.Errorf("initializer %d: taken values kept", i)
			}
			dropValues(&w)
		}
		if !reflect.DeepEqual(tp, &w) {
			t.Errorf("initializer %d (%q): the fields besides the values changed", i, tp.Name)
		}
	}
}

// TestDecodeReaderStopsOnTakeError and on input shorter than announced.
func TestDecodeReaderFailures(t *testing.T) {
	data, err := Encode(streamModel(false))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	_, err = DecodeReader(bytes.NewReader(data), int64(len(data)), func(*Tensor) (bool, error) { return false, boom })
	if !errors.Is(err, boom) {
		t.Errorf("take's error: got %v", err)
	}
	_, err = DecodeReader(bytes.NewReader(data[:len(data)/2]), int64(len(data)), nil)
	if err == nil || !strings.Contains(err.Error(), "input ended") {
		t.Errorf("short input: got %v", err)
	}
	if _, err := DecodeReader(bytes.NewReader(nil), -1, nil); err == nil {
		t.Error("negative size accepted")
	}
}

// TestReadModelFileTaking reads a model file as ReadModelFile does.
func TestReadModelFileTaking(t *testing.T) {
	data, err := Encode(streamModel(false))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	want, err := ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadModelFileTaking(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("ReadModelFileTaking's model differs from ReadModelFile's")
	}
	if _, err := ReadModelFileTaking(filepath.Dir(path), nil); err == nil {
		t.Error("a folder was read as a model")
	}
}
