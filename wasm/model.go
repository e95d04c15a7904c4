package main

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/units"
)

// maxModelBytes is the largest model file the page accepts: Go's wasm
// memory stops at 4 GiB and a model is held about twice (bytes and
// tensors) while it loads.
const maxModelBytes = 1 << 30

// ModelView is what the page shows of a model: the summary and the graph.
type ModelView struct {
	Summary Summary   `json:"summary"`
	Graph   GraphView `json:"graph"`
}

// Summary is the model's card: who made it, what it takes and gives, and
// what it costs.
type Summary struct {
	FileName        string      `json:"fileName"`
	FileBytes       int64       `json:"fileBytes"`
	Producer        string      `json:"producer"`
	ProducerVersion string      `json:"producerVersion"`
	IRVersion       int64       `json:"irVersion"`
	Opsets          []OpsetView `json:"opsets"`
	Inputs          []ValueView `json:"inputs"`
	Outputs         []ValueView `json:"outputs"`
	Nodes           int         `json:"nodes"`
	MACs            int64       `json:"macs"`
	Params          int64       `json:"params"`
	ActivationBytes int64       `json:"activationBytes"`
	// PeakActivationBytes is the most activation memory alive at once
	// while one input runs (ActivationBytes sums every node's output).
	PeakActivationBytes int64 `json:"peakActivationBytes"`
	// InputShape is the shape metrics are computed for (open dims set to 1).
	InputShape []int `json:"inputShape"`
	// Unsupported is set when the model cannot run here; the graph and
	// metrics still show.
	Unsupported *UserError `json:"unsupported,omitempty"`
	// CostError says why costs are missing (they are then zero).
	CostError string `json:"costError,omitempty"`
	// Warnings are what the user should know about the file, such as an
	// IR version or opset newer than Pare knows (onnx.VersionWarnings,
	// which pare prints on stderr).
	Warnings []string `json:"warnings,omitempty"`
	// Preprocess is the default preprocessing read from the input shape.
	Preprocess *PreprocessView `json:"preprocess,omitempty"`
}

// OpsetView is one imported operator set.
type OpsetView struct {
	Domain  string `json:"domain"`
	Version int64  `json:"version"`
}

// ValueView is a graph input or output: name, element type and shape
// (symbolic dims by name).
type ValueView struct {
	Name  string   `json:"name"`
	Type  string   `json:"type"`
	Shape []string `json:"shape"`
}

// OpenModel decodes the .onnx file among files (the others are its
// external-data files), analyses it and prepares a session to run it.
func (s *Service) OpenModel(name string, files []File) (*ModelView, error) {
	*s = Service{data: s.data, preprocess: s.preprocess, clock: s.clock}
	modelFile, err := pickModelFile(name, files)
	if err != nil {
		return nil, err
	}
	if len(modelFile.Bytes) > maxModelBytes {
		return nil, userErrorf("too-large", "%s is %s; the browser app opens models up to %s (use the pare CLI for larger ones)", modelFile.Path, units.Bytes(int64(len(modelFile.Bytes))), units.Bytes(int64(maxModelBytes)))
	}
	m, err := onnx.Decode(modelFile.Bytes)
	if err != nil {
		return nil, &UserError{Code: "not-onnx", Message: fmt.Sprintf("%s is not a readable ONNX model: %v. If it was copied or downloaded, it may be truncated; export or copy it again.", path.Base(modelFile.Path), err)}
	}
	if m.Graph == nil || len(m.Graph.Node) == 0 {
		return nil, userErrorf("not-onnx", "%s holds no graph: it is not an ONNX model, or an empty one", path.Base(modelFile.Path))
	}
	byName := map[string][]byte{}
	for _, f := range files {
		byName[path.Base(cleanPath(f.Path))] = f.Bytes
	}
	err = onnx.ResolveExternalData(m, func(location string) ([]byte, error) {
		if b, ok := byName[path.Base(cleanPath(location))]; ok {
			return b, nil
		}
		return nil, userErrorf("missing-external-data", "%s keeps its weights in a separate file, %q; open it together with the model (select both files, or drop them together)", path.Base(modelFile.Path), location)
	})
	if err != nil {
		var ue *UserError
		if errors.As(err, &ue) {
			return nil, ue
		}
		return nil, userErrorf("missing-external-data", "cannot read the external weights of %s: %v", path.Base(modelFile.Path), err)
	}
	g, err := graph.New(m.Graph)
	if err != nil {
		return nil, userErrorf("bad-graph", "the graph of %s is not valid: %v", path.Base(modelFile.Path), err)
	}
	s.model, s.graph = m, g
	inputs, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		return nil, userErrorf("bad-input-shape", "%s: %s", path.Base(modelFile.Path), strings.TrimPrefix(err.Error(), "graph: "))
	}
	if ins := g.Inputs(); len(ins) > 0 {
		in := ins[0]
		s.inputName, s.inputShape = in.Name, inputs[in.Name]
		s.inputDims = valueView(in).Shape
		if in.Type != nil && in.Type.TensorType != nil && in.Type.TensorType.Shape != nil {
			for _, d := range in.Type.TensorType.Shape.Dim {
				s.fixedDims = append(s.fixedDims, d.HasValue && d.Value > 0)
			}
		}
	}
	// The page only runs the model (evaluation): a run-only session holds
	// each BN-folded weight once.
	sess, err := exec.NewSessionWith(m, exec.SessionOptions{RunOnly: true})
	if err != nil {
		s.unsupported = unsupportedError(err)
	} else {
		s.session = sess
	}
	// Costs need every shape; a model with operators nobody knows still
	// shows its graph, without costs.
	costs, costErr := analyzeCosts(m, inputs)
	if costErr != nil {
		costs = &modelCosts{shapes: map[string][]int{}, perNode: map[*onnx.Node]nodeCost{}}
	}
	view := &ModelView{Summary: s.summary(modelFile, costs)}
	if costErr != nil {
		view.Summary.CostError = fmt.Sprintf("The costs cannot be worked out: %v", costErr)
	}
	view.Graph = s.graphView(costs)
	return view, nil
}

// pickModelFile finds the model among the files: the one named, else the
// only .onnx file.
func pickModelFile(name string, files []File) (File, error) {
	var onnxFiles []File
	for _, f := range files {
		if name != "" && cleanPath(f.Path) == cleanPath(name) {
			return f, nil
		}
		if strings.EqualFold(path.Ext(f.Path), ".onnx") {
			onnxFiles = append(onnxFiles, f)
		}
	}
	switch {
	case len(onnxFiles) == 1:
		return onnxFiles[0], nil
	case len(onnxFiles) > 1:
		return File{}, userErrorf("several-models", "%d .onnx files were given; open one model at a time", len(onnxFiles))
	case len(files) == 1:
		return files[0], nil // let the decoder say what it is
	}
	return File{}, userErrorf("no-model", "no .onnx file among the %d files given", len(files))
}

// unsupportedError lists the operators the executor refused, one per
// line, so the page can show them all at once.
func unsupportedError(err error) *UserError {
	var ue *exec.UnsupportedError
	if errors.As(err, &ue) {
		var details []string
		for _, op := range ue.Ops {
			details = append(details, fmt.Sprintf("%s (node %q, opset %d)", onnx.OpName(op.Domain, op.OpType), op.Node, op.Opset))
		}
		return &UserError{Code: "unsupported-ops", Message: fmt.Sprintf("This model uses %d operator(s) Pare cannot run yet, so it cannot be evaluated here; the graph and costs are still shown.", len(details)), Details: details}
	}
	return &UserError{Code: "cannot-run", Message: fmt.Sprintf("This model cannot be run here: %v", err)}
}

func (s *Service) summary(file File, costs *modelCosts) Summary {
	m := s.model
	sum := Summary{
		FileName:        path.Base(cleanPath(file.Path)),
		FileBytes:       int64(len(file.Bytes)),
		Producer:        m.ProducerName,
		ProducerVersion: m.ProducerVersion,
		IRVersion:       m.IRVersion,
		Nodes:           len(m.Graph.Node),
		InputShape:      s.inputShape,
		Unsupported:     s.unsupported,
		Warnings:        m.VersionWarnings(),
	}
	for _, o := range m.OpsetImport {
		sum.Opsets = append(sum.Opsets, OpsetView{onnx.DisplayDomain(o.Domain), o.Version})
	}
	for _, in := range s.graph.Inputs() {
		sum.Inputs = append(sum.Inputs, valueView(in))
	}
	for _, out := range m.Graph.Output {
		sum.Outputs = append(sum.Outputs, valueView(out))
	}
	sum.MACs, sum.Params, sum.ActivationBytes = costs.macs, costs.params, costs.actBytes
	s.activationBytes = costs.peakBytes
	sum.PeakActivationBytes = costs.peakBytes
	if p, ok := defaultPreprocess(s.inputShape); ok {
		sum.Preprocess = p
	}
	return sum
}

func valueView(v *onnx.ValueInfo) ValueView {
	vv := ValueView{Name: v.Name, Type: "?"}
	if v.Type == nil || v.Type.TensorType == nil {
		return vv
	}
	tt := v.Type.TensorType
	vv.Type = tt.ElemType.Name()
	if tt.Shape != nil {
		vv.Shape = []string{}
		for _, d := range tt.Shape.Dim {
			switch {
			case d.HasValue:
				vv.Shape = append(vv.Shape, fmt.Sprint(d.Value))
			case d.Param != "":
				vv.Shape = append(vv.Shape, d.Param)
			default:
				vv.Shape = append(vv.Shape, "?")
			}
		}
	}
	return vv
}
