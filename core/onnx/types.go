package onnx

// The structs below mirror the messages of onnx.proto (IR 3 to IR 11).
// Each one decodes the fields Pare interprets; every other field, including
// fields added by ONNX versions newer than this code, is kept verbatim in
// Unknown so that encoding an untouched model reproduces its bytes exactly.

// DataType is TensorProto.DataType.
type DataType int32

// TensorProto.DataType values (public facts of the ONNX specification).
const (
	Undefined      DataType = 0
	Float          DataType = 1
	Uint8          DataType = 2
	Int8           DataType = 3
	Uint16         DataType = 4
	Int16          DataType = 5
	Int32          DataType = 6
	Int64          DataType = 7
	String         DataType = 8
	Bool           DataType = 9
	Float16        DataType = 10
	Double         DataType = 11
	Uint32         DataType = 12
	Uint64         DataType = 13
	Complex64      DataType = 14
	Complex128     DataType = 15
	BFloat16       DataType = 16
	Float8E4M3FN   DataType = 17
	Float8E4M3FNUZ DataType = 18
	Float8E5M2     DataType = 19
	Float8E5M2FNUZ DataType = 20
	Uint4          DataType = 21
	Int4           DataType = 22
	Float4E2M1     DataType = 23
	Float8E8M0     DataType = 24
	Uint2          DataType = 25
	Int2           DataType = 26
)

// AttributeType is AttributeProto.AttributeType.
type AttributeType int32

// AttributeProto.AttributeType values.
const (
	AttrUndefined     AttributeType = 0
	AttrFloat         AttributeType = 1
	AttrInt           AttributeType = 2
	AttrString        AttributeType = 3
	AttrTensor        AttributeType = 4
	AttrGraph         AttributeType = 5
	AttrFloats        AttributeType = 6
	AttrInts          AttributeType = 7
	AttrStrings       AttributeType = 8
	AttrTensors       AttributeType = 9
	AttrGraphs        AttributeType = 10
	AttrSparseTensor  AttributeType = 11
	AttrSparseTensors AttributeType = 12
	AttrTypeProto     AttributeType = 13
	AttrTypeProtos    AttributeType = 14
)

// RawField is one field the codec does not interpret, kept as its complete
// wire encoding (tag and payload).
type RawField struct {
	Num   int32  // field number
	Bytes []byte // tag + value exactly as read
}

// Model is ModelProto.
type Model struct {
	IRVersion       int64          // 1
	OpsetImport     []*OperatorSet // 8
	ProducerName    string         // 2
	ProducerVersion string         // 3
	Domain          string         // 4
	ModelVersion    int64          // 5
	DocString       string         // 6
	Graph           *Graph         // 7
	MetadataProps   []*StringEntry // 14
	// Unknown holds training_info (20), functions (25), configuration (26)
	// and anything newer.
	Unknown []RawField
	wire    wireState
}

// OperatorSet is OperatorSetIdProto.
type OperatorSet struct {
	Domain  string // 1
	Version int64  // 2
	Unknown []RawField
	wire    wireState
}

// StringEntry is StringStringEntryProto.
type StringEntry struct {
	Key     string // 1
	Value   string // 2
	Unknown []RawField
	wire    wireState
}

// Graph is GraphProto.
type Graph struct {
	Node          []*Node        // 1
	Name          string         // 2
	Initializer   []*Tensor      // 5
	DocString     string         // 10
	Input         []*ValueInfo   // 11
	Output        []*ValueInfo   // 12
	ValueInfo     []*ValueInfo   // 13
	MetadataProps []*StringEntry // 16
	// Unknown holds sparse_initializer (15), quantization_annotation (14)
	// and anything newer.
	Unknown []RawField
	wire    wireState
}

// Node is NodeProto.
type Node struct {
	Input         []string       // 1
	Output        []string       // 2
	Name          string         // 3
	OpType        string         // 4
	Attribute     []*Attribute   // 5
	DocString     string         // 6
	Domain        string         // 7
	Overload      string         // 8
	MetadataProps []*StringEntry // 9
	Unknown       []RawField     // device_configurations (10) and newer
	wire          wireState
}

// Attribute is AttributeProto.
type Attribute struct {
	Name        string        // 1
	F           float32       // 2
	I           int64         // 3
	S           []byte        // 4
	T           *Tensor       // 5
	G           *Graph        // 6
	Floats      []float32     // 7
	Ints        []int64       // 8
	Strings     [][]byte      // 9
	Tensors     []*Tensor     // 10
	Graphs      []*Graph      // 11
	DocString   string        // 13
	TP          *TypeProto    // 14
	TypeProtos  []*TypeProto  // 15
	Type        AttributeType // 20
	RefAttrName string        // 21
	// Unknown holds sparse_tensor (22), sparse_tensors (23) and newer.
	Unknown []RawField
	wire    wireState
}

// Tensor is TensorProto. Exactly one of RawData or the typed field matching
// DataType normally carries the values; ExternalData points to a file
// instead when DataLocation is External.
type Tensor struct {
	Dims          []int64        // 1
	DataType      DataType       // 2
	Segment       []byte         // 3, kept raw (begin, end)
	FloatData     []float32      // 4, also complex64, float16/bfloat16 bits live in Int32Data
	Int32Data     []int32        // 5: int32, int16, int8, uint16, uint8, bool, float16, bfloat16, float8, int4
	StringData    [][]byte       // 6
	Int64Data     []int64        // 7
	Name          string         // 8
	RawData       []byte         // 9
	DoubleData    []float64      // 10
	Uint64Data    []uint64       // 11: uint32, uint64
	DocString     string         // 12
	ExternalData  []*StringEntry // 13
	DataLocation  int32          // 14: 0 default, 1 external
	MetadataProps []*StringEntry // 16
	Unknown       []RawField
	wire          wireState
}

// DataLocation values.
const (
	LocationDefault  int32 = 0
	LocationExternal int32 = 1
)

// ValueInfo is ValueInfoProto.
type ValueInfo struct {
	Name          string         // 1
	Type          *TypeProto     // 2
	DocString     string         // 3
	MetadataProps []*StringEntry // 4
	Unknown       []RawField
	wire          wireState
}

// TypeProto is TypeProto. Only tensor_type (1) is interpreted; sequence,
// map, optional and sparse types are kept raw in Unknown.
type TypeProto struct {
	TensorType *TensorType // 1
	Denotation string      // 6
	Unknown    []RawField
	wire       wireState
}

// TensorType is TypeProto.Tensor.
type TensorType struct {
	ElemType DataType     // 1
	Shape    *TensorShape // 2 (nil: rank unknown)
	Unknown  []RawField
	wire     wireState
}

// TensorShape is TensorShapeProto.
type TensorShape struct {
	Dim     []*Dimension // 1
	Unknown []RawField
	wire    wireState
}

// Dimension is TensorShapeProto.Dimension: a value, a symbolic name, or
// neither (unknown).
type Dimension struct {
	Value      int64  // 1
	HasValue   bool   // whether dim_value was present
	Param      string // 2
	Denotation string // 3
	Unknown    []RawField
	wire       wireState
}
