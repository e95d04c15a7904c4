package hostile

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/pare-ml/pare/core/onnx"
)

// externalModel returns the base model with the Gemm weight "fw" stored
// outside, under location, with extra external_data entries.
func externalModel(location string, extra ...*onnx.StringEntry) *onnx.Model {
	m := baseModel()
	fw := m.Graph.Initializer[2]
	fw.FloatData = nil
	fw.DataLocation = onnx.LocationExternal
	fw.ExternalData = append([]*onnx.StringEntry{{Key: "location", Value: location}}, extra...)
	return m
}

// weightBytes is the raw little-endian content of the base model's "fw".
func weightBytes() []byte {
	fw := baseModel().Graph.Initializer[2]
	raw := make([]byte, 0, 4*len(fw.FloatData))
	for _, v := range fw.FloatData {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	return raw
}

// externalData adds models whose external data tries to leave the model's
// folder or lies about its size.
func (w *writer) externalData() {
	cmds := []string{"info", "run", "bench"}
	// A file outside every model folder that no model may read.
	secret := w.file("outside/secret.bin", weightBytes())
	ext := func(name string, m *onnx.Model, want ...string) string {
		p := w.file("ext/"+name+"/model.onnx", encode(m))
		w.modelCase("external-"+name, p, cmds, Case{Want: want})
		return filepath.Dir(p)
	}
	// The reference: beside the model, a plain name, which works.
	dir := ext("ok", externalModel("w.bin"))
	w.file("ext/ok/w.bin", weightBytes())
	w.cases = w.cases[:len(w.cases)-len(cmds)]
	for _, cmd := range cmds {
		w.modelCase("external-ok", filepath.Join(dir, "model.onnx"), []string{cmd}, Case{MaySucceed: true})
	}

	ext("dotdot", externalModel("../../outside/secret.bin"), "not a path inside")
	ext("dotdot-etc-passwd", externalModel("../../../../../../etc/passwd"), "not a path inside")
	ext("absolute", externalModel(secret), "not a path inside")
	ext("backslash", externalModel(`..\..\outside\secret.bin`), "not a path inside")
	ext("empty-location", externalModel(""), "location")
	ext("missing-file", externalModel("nothere.bin"), "nothere.bin")

	// A link beside the model that leads out of its folder.
	ext("symlink-file", externalModel("w.bin"), "w.bin")
	if w.symlink(secret, "ext/symlink-file/w.bin") == "" {
		w.cases = w.cases[:len(w.cases)-len(cmds)]
	}
	ext("symlink-relative", externalModel("w.bin"), "w.bin")
	if w.symlink("../../outside/secret.bin", "ext/symlink-relative/w.bin") == "" {
		w.cases = w.cases[:len(w.cases)-len(cmds)]
	}
	ext("symlink-dir", externalModel("sub/secret.bin"), "sub/secret.bin")
	if w.symlink(filepath.Dir(secret), "ext/symlink-dir/sub") == "" {
		w.cases = w.cases[:len(w.cases)-len(cmds)]
	}
	ext("etc-passwd-link", externalModel("w.bin"), "w.bin")
	if _, err := os.Stat("/etc/passwd"); err != nil || w.symlink("/etc/passwd", "ext/etc-passwd-link/w.bin") == "" {
		w.cases = w.cases[:len(w.cases)-len(cmds)]
	}
	ext("location-is-folder", externalModel("wdir"), "wdir")
	w.fail(mkdirAll(w.path("ext/location-is-folder/wdir")))
	if _, err := os.Stat("/dev/zero"); err == nil {
		ext("dev-zero-link", externalModel("w.bin"), "w.bin")
		if w.symlink("/dev/zero", "ext/dev-zero-link/w.bin") == "" {
			w.cases = w.cases[:len(w.cases)-len(cmds)]
		}
	}
	ext("fifo", externalModel("w.fifo"), "w.fifo")
	if w.fifo("ext/fifo/w.fifo") == "" {
		w.cases = w.cases[:len(w.cases)-len(cmds)]
	}

	// Sizes that do not match the file.
	short := func(name string, m *onnx.Model, data []byte, want ...string) {
		ext(name, m, want...)
		w.file("ext/"+name+"/w.bin", data)
	}
	kv := func(k string, v any) *onnx.StringEntry { return &onnx.StringEntry{Key: k, Value: fmt.Sprint(v)} }
	short("short-file", externalModel("w.bin"), weightBytes()[:100], "past the end")
	short("length-huge", externalModel("w.bin", kv("length", int64(1)<<40)), weightBytes(), "length")
	short("offset-huge", externalModel("w.bin", kv("offset", int64(1)<<40)), weightBytes(), "offset")
	short("offset-negative", externalModel("w.bin", kv("offset", -4)), weightBytes(), "offset")
	short("length-garbage", externalModel("w.bin", kv("length", "12abc")), weightBytes(), "length")
	big := externalModel("w.bin")
	big.Graph.Initializer[2].Dims = []int64{1 << 20, 1 << 20}
	short("dims-huge", big, weightBytes(), "fw")
}

func mkdirAll(p string) error { return os.MkdirAll(p, 0o755) }

func (w *writer) exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
