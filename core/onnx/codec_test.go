package onnx

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// mustRoundTrip decodes data, checks it re-encodes to exactly data, and
// returns the decoded model.
func mustRoundTrip(t *testing.T, data []byte) *Model {
	t.Helper()
	m, err := Decode(data)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	out, err := Encode(m)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if !bytes.Equal(out, data) {
		t.Fatalf("re-encoding differs at byte %d of %d (got %d bytes)", firstDiff(out, data), len(data), len(out))
	}
	return m
}

func TestEveryKindRoundTrip(t *testing.T) {
	// A freshly built model encodes canonically; this was checked once to be
	// byte-identical to what onnx 1.12's C++ serializer writes for it.
	data, err := Encode(everyKindModel())
	if err != nil {
		t.Fatal(err)
	}
	m := mustRoundTrip(t, data)

	n := m.Graph.Node[0]
	if got := len(n.Attribute); got != 15 {
		t.Fatalf("decoded %d attributes, want 15", got)
	}
	if a := n.Attr("f"); a.F != -0.25 || a.Type != AttrFloat {
		t.Errorf("attribute f = %v (type %d)", a.F, a.Type)
	}
	if got := n.AttrInt("i", 0); got != -7 {
		t.Errorf("attribute i = %d, want -7", got)
	}
	if got := n.AttrInts("ints", nil); !slices.Equal(got, []int64{0, -1, 1 << 40}) {
		t.Errorf("attribute ints = %v", got)
	}
	if g := n.Attr("g").G; g == nil || g.Node[0].OpType != "Relu" {
		t.Errorf("attribute g not decoded: %+v", g)
	}
	if u := n.Attr("sparses").Unknown; len(u) != 2 || u[0].Num != 23 {
		t.Errorf("sparse_tensors kept as %d unknown fields, want 2 of field 23", len(u))
	}
	if tp := n.Attr("tp").TP; tp.TensorType.Shape.Dim[1].Param != "N" || tp.TensorType.Shape.Dim[2].HasValue {
		t.Errorf("type proto dims decoded wrong: %+v", tp.TensorType.Shape.Dim)
	}
	want := everyTypeTensors()
	if len(m.Graph.Initializer) != len(want) {
		t.Fatalf("%d initializers, want %d", len(m.Graph.Initializer), len(want))
	}
	for i, got := range m.Graph.Initializer {
		w := want[i]
		if got.Name != w.Name || got.DataType != w.DataType || !slices.Equal(got.Int32Data, w.Int32Data) ||
			!slices.Equal(got.Int64Data, w.Int64Data) || !slices.Equal(got.Uint64Data, w.Uint64Data) ||
			!bytes.Equal(got.RawData, w.RawData) || len(got.StringData) != len(w.StringData) ||
			!slices.EqualFunc(got.FloatData, w.FloatData, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) ||
			!slices.EqualFunc(got.DoubleData, w.DoubleData, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
			t.Errorf("initializer %d: got %+v, want %+v", i, got, w)
		}
	}
	if m.OpsetVersion("") != 21 || m.OpsetVersion("com.example") != 1 {
		t.Errorf("opset imports decoded as %+v", m.OpsetImport)
	}
	if len(m.Unknown) != 1 || m.Unknown[0].Num != 25 || len(m.Graph.Unknown) != 1 {
		t.Errorf("unknown fields not kept: model %v graph %v", m.Unknown, m.Graph.Unknown)
	}
}

// tensorBytes builds a TensorProto by hand, in whatever layout the test
// wants.
type wireBuilder []byte

func (b wireBuilder) varint(num int32, v uint64) wireBuilder {
	b = protowire.AppendTag(b, protowire.Number(num), protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func (b wireBuilder) bytes(num int32, p []byte) wireBuilder {
	b = protowire.AppendTag(b, protowire.Number(num), protowire.BytesType)
	return protowire.AppendBytes(b, p)
}

func (b wireBuilder) fixed32(num int32, v uint32) wireBuilder {
	b = protowire.AppendTag(b, protowire.Number(num), protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

func packedVarints(vs ...uint64) []byte {
	var p []byte
	for _, v := range vs {
		p = protowire.AppendVarint(p, v)
	}
	return p
}

// TestDoubleLayoutsSurvive checks the 8-byte element path of the float
// codec: unpacked doubles, then a packed chunk, read and written back as
// they came.
func TestDoubleLayoutsSurvive(t *testing.T) {
	packed := protowire.AppendFixed64(nil, math.Float64bits(3))
	packed = protowire.AppendFixed64(packed, math.Float64bits(math.Copysign(0, -1)))
	b := wireBuilder(protowire.AppendTag(nil, 10, protowire.Fixed64Type))
	b = protowire.AppendFixed64(b, math.Float64bits(math.Pi))
	b = b.bytes(10, packed)

	tp, err := DecodeTensor(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{math.Pi, 3, math.Copysign(0, -1)}
	if !slices.EqualFunc(tp.DoubleData, want, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
		t.Errorf("double_data = %v, want %v", tp.DoubleData, want)
	}
	out, err := EncodeTensor(tp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, b) {
		t.Fatalf("layout not reproduced:\n got %x\nwant %x", out, []byte(b))
	}
	if _, err := DecodeTensor(b.bytes(10, make([]byte, 12))); err == nil || !strings.Contains(err.Error(), "packed float64 values take 12 bytes, not a multiple of 8") {
		t.Errorf("12-byte packed double chunk: err = %v", err)
	}
}

func TestNonCanonicalLayoutsSurvive(t *testing.T) {
	var b wireBuilder
	b = b.bytes(8, []byte("w"))                         // name before dims
	b = b.bytes(1, packedVarints(2, 3))                 // dims packed (default is unpacked)
	b = b.varint(99, 5)                                 // unknown field in the middle
	b = b.varint(2, 0)                                  // data_type explicitly 0
	b = b.fixed32(4, math.Float32bits(1))               // float_data unpacked (default is packed)
	b = b.fixed32(4, math.Float32bits(2))               //
	b = b.bytes(4, nil)                                 // an empty packed chunk
	b = b.bytes(4, []byte{0, 0, 64, 64, 0, 0, 128, 64}) // a packed chunk after unpacked values
	b = b.bytes(12, nil)                                // doc_string explicitly ""
	b = b.varint(8, 7)                                  // name again, with the wrong wire type
	b = b.bytes(8, []byte("second"))                    // name again: first occurrence wins
	b = b.varint(1, 6)                                  // a dims value after everything

	tp, err := DecodeTensor(b)
	if err != nil {
		t.Fatal(err)
	}
	if tp.Name != "w" || !slices.Equal(tp.Dims, []int64{2, 3, 6}) || !slices.Equal(tp.FloatData, []float32{1, 2, 3, 4}) {
		t.Errorf("decoded name %q dims %v float_data %v", tp.Name, tp.Dims, tp.FloatData)
	}
	if len(tp.Unknown) != 3 {
		t.Errorf("kept %d unknown fields, want 3 (field 99 and the two repeated names)", len(tp.Unknown))
	}
	out, err := EncodeTensor(tp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, b) {
		t.Fatalf("layout not reproduced:\n got %x\nwant %x", out, []byte(b))
	}

	// Editing keeps the layout of what was not edited: values appended to
	// float_data join its last (packed) chunk and a new field lands where
	// field-number order puts it among the recorded fields.
	tp.FloatData = append(tp.FloatData, 5)
	tp.DataLocation = LocationExternal
	out, err = EncodeTensor(tp)
	if err != nil {
		t.Fatal(err)
	}
	again, err := DecodeTensor(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.FloatData, []float32{1, 2, 3, 4, 5}) || again.DataLocation != LocationExternal || again.Name != "w" {
		t.Errorf("after edit: float_data %v location %d name %q", again.FloatData, again.DataLocation, again.Name)
	}
	// The new field goes before the first recorded field with a higher
	// number: the unknown field 99.
	unknown99 := wireBuilder(nil).varint(99, 5)
	at := bytes.Index(out, unknown99)
	if at < 0 || !bytes.HasSuffix(out[:at], wireBuilder(nil).varint(14, 1)) {
		t.Errorf("new data_location not written just before field 99: % x", out)
	}
}

func TestEditedModelKeepsTheRest(t *testing.T) {
	data, err := Encode(everyKindModel())
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	origInit := map[string][]byte{}
	for _, init := range g.Initializer {
		b, err := EncodeTensor(init)
		if err != nil {
			t.Fatal(err)
		}
		origInit[init.Name] = b
	}
	g.Node = append(g.Node, &Node{Input: []string{"out"}, Output: []string{"out2"}, OpType: "Relu"})
	g.Initializer[0] = &Tensor{Name: "t_FLOAT", DataType: Float, Dims: []int64{1}, RawData: []byte{0, 0, 0, 0}}
	g.Initializer[1].Dims = []int64{1, 2}
	g.Initializer = slices.Delete(g.Initializer, 2, 3)
	m.ProducerName = ""
	g.Output[0].Name = "renamed"

	out, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back := mustRoundTrip(t, out)
	bg := back.Graph
	if len(bg.Node) != 2 || bg.Node[1].OpType != "Relu" || bg.Node[0].Attr("g").G.Name != "body" {
		t.Errorf("nodes after edit: %d, appended op %q", len(bg.Node), bg.Node[len(bg.Node)-1].OpType)
	}
	if back.ProducerName != "" || back.ProducerVersion != "0" || bg.Output[0].Name != "renamed" {
		t.Errorf("producer %q/%q output %q", back.ProducerName, back.ProducerVersion, bg.Output[0].Name)
	}
	if !slices.Equal(bg.Initializer[1].Dims, []int64{1, 2}) || !bytes.Equal(bg.Initializer[0].RawData, []byte{0, 0, 0, 0}) {
		t.Errorf("edited initializers: %+v %+v", bg.Initializer[0], bg.Initializer[1])
	}
	if len(bg.Initializer) != len(origInit)-1 {
		t.Errorf("%d initializers, want %d", len(bg.Initializer), len(origInit)-1)
	}
	for _, init := range bg.Initializer[2:] {
		b, err := EncodeTensor(init)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, origInit[init.Name]) {
			t.Errorf("untouched initializer %s changed", init.Name)
		}
	}
	if len(back.Unknown) != 1 || len(bg.Unknown) != 1 {
		t.Errorf("unknown fields lost in the edit")
	}
}

func TestZeroValuePresence(t *testing.T) {
	// model_version: 0 written explicitly survives; a field edited to zero
	// that was non-zero is dropped (absent and zero mean the same).
	data := wireBuilder(nil).varint(1, 7).varint(5, 0).bytes(2, nil)
	m := mustRoundTrip(t, data)
	m.IRVersion = 0
	out, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := wireBuilder(nil).varint(5, 0).bytes(2, nil); !bytes.Equal(out, want) {
		t.Errorf("got % x, want % x", out, []byte(want))
	}
}

func TestNegativeInt32IsTenBytes(t *testing.T) {
	tp := &Tensor{Int32Data: []int32{-1}, DataType: DataType(-2)}
	b, err := EncodeTensor(tp)
	if err != nil {
		t.Fatal(err)
	}
	// tag(2) + 10 bytes, tag(5) + len + 10 bytes
	if len(b) != 1+10+1+1+10 {
		t.Errorf("encoded %d bytes: % x", len(b), b)
	}
	back, err := DecodeTensor(b)
	if err != nil || back.Int32Data[0] != -1 || back.DataType != -2 {
		t.Errorf("decoded %+v, %v", back, err)
	}
}

func TestDecodeErrorsNameThePath(t *testing.T) {
	attr := wireBuilder(nil).bytes(1, []byte("a")).bytes(4, []byte("xyz"))
	attr = attr[:len(attr)-1] // truncate inside s
	node := func(a []byte) []byte { return wireBuilder(nil).bytes(4, []byte("Op")).bytes(5, []byte("")).bytes(5, a) }
	graph := wireBuilder(nil).bytes(1, node(nil)).bytes(1, node(attr))
	model := wireBuilder(nil).varint(1, 8).bytes(7, graph)
	_, err := Decode(model)
	if err == nil {
		t.Fatal("truncated attribute decoded without error")
	}
	const want = "onnx: graph.node[1].attribute[1].s: truncated"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	cases := map[string][]byte{
		"truncated":                 wireBuilder(nil).varint(1, 8)[:1],
		"not a multiple of 4":       wireBuilder(nil).bytes(7, wireBuilder(nil).bytes(5, wireBuilder(nil).bytes(4, []byte{1, 2, 3}))),
		"bad field tag":             {0x00},
		"graph.node[1]: truncated":  wireBuilder(nil).bytes(7, append(wireBuilder(nil).bytes(1, nil), 0x0a, 0x05, 0x00)),
		"graph.initializer[0].dims": wireBuilder(nil).bytes(7, wireBuilder(nil).bytes(5, wireBuilder(nil).bytes(1, []byte{0x80}))),
	}
	for wantSub, data := range cases {
		if _, err := Decode(data); err == nil || !strings.Contains(err.Error(), wantSub) {
			t.Errorf("error %v, want it to mention %q", err, wantSub)
		}
	}
}

func TestHugeLengthDoesNotAllocate(t *testing.T) {
	// A length prefix of 2^62 bytes must fail as truncated, not allocate.
	b := protowire.AppendTag(nil, 7, protowire.BytesType)
	b = protowire.AppendVarint(b, 1<<62)
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := Decode(b); err == nil {
			t.Fatal("decoded a length prefix past the end of input")
		}
	})
	if allocs > 20 {
		t.Errorf("%v allocations to reject a bad length", allocs)
	}
}

// nestedGraphs returns a model whose graph nests depth-1 subgraphs through
// attribute g.
func nestedGraphs(depth int) []byte {
	g := wireBuilder(nil).bytes(2, []byte("leaf"))
	for range depth - 1 {
		attr := wireBuilder(nil).bytes(1, []byte("body")).bytes(6, g)
		node := wireBuilder(nil).bytes(4, []byte("If")).bytes(5, attr)
		g = wireBuilder(nil).bytes(1, node)
	}
	return wireBuilder(nil).bytes(7, g)
}

func TestGraphDepthLimit(t *testing.T) {
	mustRoundTrip(t, nestedGraphs(MaxGraphDepth))
	_, err := Decode(nestedGraphs(MaxGraphDepth + 1))
	if err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("decoding %d nested graphs: %v", MaxGraphDepth+1, err)
	}

	// A graph that contains itself cannot be encoded: error, not a stack overflow.
	g := &Graph{Name: "loop"}
	g.Node = []*Node{{OpType: "If", Attribute: []*Attribute{{Name: "then_branch", G: g}}}}
	if _, err := Encode(&Model{Graph: g}); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("encoding a cyclic graph: %v", err)
	}
}

func TestDecodedPayloadsAliasInput(t *testing.T) {
	data := wireBuilder(nil).bytes(9, []byte{1, 2, 3, 4}).bytes(8, []byte("x"))
	tp, err := DecodeTensor(data)
	if err != nil {
		t.Fatal(err)
	}
	if &tp.RawData[0] != &data[2] {
		t.Error("raw_data was copied instead of aliasing the input")
	}
	tp.RawData = append(tp.RawData, 9) // must not overwrite the next field
	if uint64(data[6]) != protowire.EncodeTag(8, protowire.BytesType) {
		t.Error("appending to raw_data overwrote the input buffer")
	}
}

func TestNilElementsEncodeAsEmpty(t *testing.T) {
	m := &Model{Graph: &Graph{Node: []*Node{nil}, Initializer: []*Tensor{nil}}}
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	back := mustRoundTrip(t, b)
	if len(back.Graph.Node) != 1 || len(back.Graph.Initializer) != 1 {
		t.Errorf("nil elements lost: %+v", back.Graph)
	}
}
