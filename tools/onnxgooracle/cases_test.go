//go:build !js

package onnxgooracle_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
)

// fixtureDir is the repository's own models, relative to this package.
const fixtureDir = "../../testdata/models"

// Where the shared assets are; the oracle runs whichever of them are present.
const (
	sharedModels      = "models"
	sharedConformance = "conformance/onnx-node"
)

// oracleCase is one model run with one set of inputs through both
// runtimes.
type oracleCase struct {
	group string // "model", "fixture", or the conformance suite name
	name  string
	model string // path to the .onnx file
	// inputFiles feed the graph inputs (those that are not initializers)
	// in declaration order: .pb TensorProto or .npy files.
	inputFiles []string
	// synth makes the input for a declared input shape (dynamic
	// dimensions set to 1) when there are no input files.
	synth func(shape []int) *tensor.Tensor
	// refs are the ONNX reference outputs, in graph output order, when
	// the case ships them; they only decide who is wrong when Pare and
	// onnx-go disagree.
	refs []string
}

// sharedModelCases are the pretrained models under ../shared/assets/models
// with a deterministic synthetic input in each model's natural range.
func sharedModelCases(t *testing.T) []oracleCase {
	t.Helper()
	sharedModelDir, present := testassets.Lookup(sharedModels)
	if !present {
		t.Logf("shared models skipped: %s is absent (it lives beside the repository in ../shared/assets)", sharedModelDir)
		return nil
	}
	pixels := func(shape []int) *tensor.Tensor { return uniformInput(shape, 0, 255, 1) }
	standardised := func(shape []int) *tensor.Tensor { return uniformInput(shape, -0.42, 2.8, 2) }
	return []oracleCase{
		{group: "model", name: "mnist-8", model: sharedModelDir + "/mnist-8.onnx", synth: pixels},
		{group: "model", name: "mnist-mlp", model: sharedModelDir + "/mnist-mlp.onnx", synth: standardised},
		{group: "model", name: "resnet8-cifar10", model: sharedModelDir + "/resnet8-cifar10.onnx", synth: pixels},
	}
}

// fixtureCases are the repository's testdata/models/NAME.onnx, each with
// every NAME.input*.npy beside it.
func fixtureCases(t *testing.T) []oracleCase {
	t.Helper()
	models, err := filepath.Glob(filepath.Join(fixtureDir, "*.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(models)
	var cases []oracleCase
	for _, path := range models {
		name := strings.TrimSuffix(filepath.Base(path), ".onnx")
		inputs, err := filepath.Glob(filepath.Join(fixtureDir, name+".input*.npy"))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(inputs)
		for _, f := range inputs {
			suffix := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), name+".input"), ".npy")
			cases = append(cases, oracleCase{group: "fixture", name: name + suffix, model: path, inputFiles: []string{f}})
		}
	}
	return cases
}

// conformanceCases lists the ONNX backend tests: node tests and the old
// PyTorch exports with their test_data_set_0, and the "light" model-zoo
// topologies whose input is arange(n).reshape(shape)/n.
func conformanceCases(t *testing.T) []oracleCase {
	t.Helper()
	conformanceDir, present := testassets.Lookup(sharedConformance)
	if !present {
		t.Logf("conformance cases skipped: %s is absent (it lives beside the repository in ../shared/assets)", conformanceDir)
		return nil
	}
	var cases []oracleCase
	for _, suite := range []string{"node", "pytorch-converted", "pytorch-operator"} {
		dirs, err := os.ReadDir(filepath.Join(conformanceDir, suite))
		if err != nil {
			t.Fatalf("reading conformance suite %s: %v", suite, err)
		}
		for _, d := range dirs {
			dir := filepath.Join(conformanceDir, suite, d.Name())
			c := oracleCase{group: suite, name: d.Name(), model: filepath.Join(dir, "model.onnx")}
			c.inputFiles = numberedFiles(filepath.Join(dir, "test_data_set_0"), "input")
			c.refs = numberedFiles(filepath.Join(dir, "test_data_set_0"), "output")
			cases = append(cases, c)
		}
	}
	light, err := filepath.Glob(filepath.Join(conformanceDir, "light", "*.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(light)
	for _, m := range light {
		base := strings.TrimSuffix(m, ".onnx")
		cases = append(cases, oracleCase{group: "light", name: filepath.Base(base), model: m,
			synth: arangeInput, refs: []string{base + "_output_0.pb"}})
	}
	return cases
}

// numberedFiles returns dir/prefix_0.pb, dir/prefix_1.pb, ... up to the
// first one that does not exist.
func numberedFiles(dir, prefix string) []string {
	var files []string
	for i := 0; ; i++ {
		p := filepath.Join(dir, fmt.Sprintf("%s_%d.pb", prefix, i))
		if _, err := os.Stat(p); err != nil {
			return files
		}
		files = append(files, p)
	}
}
