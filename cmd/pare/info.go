package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/pare-ml/pare/core/cost"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/units"
)

// infoResult holds the --json keys of pare info (docs/cli.md): the cost
// report's totals and layers plus the model's identity.
type infoResult struct {
	Model           string      `json:"model"`
	Producer        string      `json:"producer"`
	ProducerVersion string      `json:"producer_version"`
	IRVersion       int64       `json:"ir_version"`
	Opsets          []opsetInfo `json:"opsets"`
	Inputs          []ioInfo    `json:"inputs"`
	Outputs         []ioInfo    `json:"outputs"`
	*cost.Report
}

type opsetInfo struct {
	Domain  string `json:"domain"`
	Version int64  `json:"version"`
}

type ioInfo struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Shape []int  `json:"shape"`
}

func runInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("info", "info MODEL [--batch N] [--channels] [--json]", stderr)
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	batch := fs.Int("batch", 1, "batch size for symbolic batch dimensions")
	channels := fs.Bool("channels", false, "list the channel groups pare prune can shrink, and the frozen ones with the reason")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("give exactly one model file")
	}
	if *batch < 1 {
		return usagef("--batch must be at least 1")
	}
	m, _, err := loadModel(pos[0], stderr)
	if err != nil {
		return err
	}
	if *channels {
		return infoChannels(pos[0], m, *asJSON, stdout)
	}
	shapes, err := graph.DefaultInputShapes(m, *batch)
	if err != nil {
		return err
	}
	rep, err := cost.Analyze(m, shapes, exec.EvalNode)
	if err != nil {
		return err
	}
	res, err := describeModel(pos[0], m, rep)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	printInfo(stdout, res)
	return nil
}

func describeModel(path string, m *onnx.Model, rep *cost.Report) (*infoResult, error) {
	g, err := graph.New(m.Graph)
	if err != nil {
		return nil, err
	}
	res := &infoResult{Model: path, Producer: m.ProducerName, ProducerVersion: m.ProducerVersion, IRVersion: m.IRVersion, Report: rep}
	for _, o := range m.OpsetImport {
		res.Opsets = append(res.Opsets, opsetInfo{onnx.DisplayDomain(o.Domain), o.Version})
	}
	for _, in := range g.Inputs() {
		res.Inputs = append(res.Inputs, ioInfo{in.Name, elemTypeName(in), rep.InputShapes[in.Name]})
	}
	for _, out := range g.Outputs() {
		res.Outputs = append(res.Outputs, ioInfo{out.Name, elemTypeName(out), nil})
	}
	res.fillOutputShapes()
	return res, nil
}

// fillOutputShapes takes the graph outputs' shapes from the layers that
// produce them.
func (r *infoResult) fillOutputShapes() {
	shapes := map[string][]int{}
	for _, l := range r.Layers {
		for j, name := range l.Outputs {
			shapes[name] = l.OutputShapes[j]
		}
	}
	for k, out := range r.Outputs {
		if s, ok := shapes[out.Name]; ok {
			r.Outputs[k].Shape = s
		}
	}
}

func elemTypeName(v *onnx.ValueInfo) string {
	if v.Type == nil || v.Type.TensorType == nil {
		return "?"
	}
	return v.Type.TensorType.ElemType.Name()
}

func printInfo(w io.Writer, r *infoResult) {
	fmt.Fprintf(w, "model     %s\n", r.Model)
	producer := strings.TrimSpace(r.Producer + " " + r.ProducerVersion)
	if producer == "" {
		producer = "(not recorded)"
	}
	fmt.Fprintf(w, "producer  %s, IR %d, opsets", producer, r.IRVersion)
	for _, o := range r.Opsets {
		fmt.Fprintf(w, " %s:%d", o.Domain, o.Version)
	}
	fmt.Fprintln(w)
	for _, in := range r.Inputs {
		fmt.Fprintf(w, "input     %s %s %v\n", in.Name, in.Type, in.Shape)
	}
	for _, out := range r.Outputs {
		fmt.Fprintf(w, "output    %s %s %v\n", out.Name, out.Type, out.Shape)
	}
	fmt.Fprintf(w, "\n%-32s %-20s %-18s %14s %12s %14s\n", "layer", "op", "output", "MACs", "params", "activation B")
	for _, l := range r.Layers {
		shape := ""
		if len(l.OutputShapes) > 0 {
			shape = fmt.Sprint(l.OutputShapes[0])
		}
		fmt.Fprintf(w, "%-32s %-20s %-18s %14s %12s %14s\n", clip(l.Name, 32), clip(l.OpType, 20), clip(shape, 18),
			units.Thousands(l.MACs), units.Thousands(l.Params), units.Thousands(l.ActivationBytes))
	}
	fmt.Fprintf(w, "%-32s %-20s %-18s %14s %12s %14s\n", "total", "", "", units.Thousands(r.MACs), units.Thousands(r.Params), units.Thousands(r.ActivationBytes))
	fmt.Fprintf(w, "\npeak live activations %s bytes at these input shapes:", units.Thousands(r.PeakActivationBytes))
	for _, in := range r.Inputs {
		fmt.Fprintf(w, " %s %v", in.Name, in.Shape)
	}
	fmt.Fprintln(w)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
