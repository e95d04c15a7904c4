package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// result is the JSON line this command prints.
type result struct {
	Model    string  `json:"model"`
	Platform string  `json:"platform"`
	Runs     int     `json:"runs"`
	MedianMS float64 `json:"median_ms"`
	P10MS    float64 `json:"p10_ms"`
	P90MS    float64 `json:"p90_ms"`
	MinMS    float64 `json:"min_ms"`
	MeanMS   float64 `json:"mean_ms"`
	// SessionMS is NewSession (folding, planning; with -load whole also
	// the weights' conversion, which streaming does while decoding).
	SessionMS float64 `json:"session_ms"`
	// LoadMS is reading the model, the input and NewSession together.
	LoadMS float64 `json:"load_ms"`
	// PeakLiveBytes is exec.Stats().PeakLiveBytes of the last run: the
	// largest total of intermediate activations alive at once.
	PeakLiveBytes int64 `json:"peak_live_bytes"`
	// PooledBytes is exec.Stats().PooledBytes: what the session keeps
	// for the next run's activations (the planned arena, free buffers).
	PooledBytes int64 `json:"pooled_bytes"`
	// FirstRunFreeBytes is exec.Stats().PeakFreeBytes of the first run:
	// the most its free lists held while it recorded the arena's trace.
	FirstRunFreeBytes int64 `json:"first_run_free_bytes"`
	// FirstRunAllocatedBytes is exec.Stats().AllocatedBytes of the first
	// run: activations not served by the arena or free buffers (with the
	// arena planned before it, only the output). FirstRunMS is its time.
	FirstRunAllocatedBytes int64   `json:"first_run_allocated_bytes"`
	FirstRunMS             float64 `json:"first_run_ms"`
	// Go heap after the runs (runtime.MemStats): HeapInuse is live spans,
	// Sys everything the runtime obtained from the OS (in wasm: the linear
	// memory it grew). TotalAllocPerRun is bytes allocated per timed run.
	HeapInuseBytes uint64 `json:"heap_inuse_bytes"`
	// HeapLiveBytes is the heap allocated after a collection following the
	// runs: what inference holds (weights, buffers, session).
	HeapLiveBytes uint64 `json:"heap_live_bytes"`
	SysBytes      uint64 `json:"sys_bytes"`
	// LoadSysBytes is Sys once the session is built, before any run: the
	// peak of reading the model and building the session (the runtime
	// keeps what it obtained; in wasm the linear memory never shrinks).
	LoadSysBytes uint64 `json:"load_sys_bytes"`
	// The process's memory (natively resident memory with the mapped
	// binary, /proc/self/status; in wasm the linear memory, under
	// tools/wasmexec), omitted where it cannot be read: BaseMemoryBytes
	// before the model is opened (the Go runtime's and the binary's own),
	// PeakMemoryBytes at its peak (after the runs).
	BaseMemoryBytes uint64 `json:"base_memory_bytes,omitempty"`
	PeakMemoryBytes uint64 `json:"peak_memory_bytes,omitempty"`
	// WeightBytes is the size of the model's initializers' values (as
	// declared: element count times element size).
	WeightBytes int64 `json:"weight_bytes"`
	// MemoryRatio is what inference added to the process's memory
	// (PeakMemoryBytes - BaseMemoryBytes) over the weights and the
	// activations' arena (WeightBytes + PooledBytes): the 1.2x goal of
	// docs/benchmarks.md. Omitted with the memory figures.
	MemoryRatio      float64 `json:"memory_ratio,omitempty"`
	TotalAllocPerRun uint64  `json:"alloc_bytes_per_run"`
	MallocsPerRun    uint64  `json:"mallocs_per_run"`
	// PerOp is the time per op type over one node-by-node evaluation
	// (-per-op), milliseconds, with node counts.
	PerOp []opTime `json:"per_op,omitempty"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	modelPath := flag.String("model", "", "ONNX model to time (required)")
	runs := flag.Int("runs", 30, "timed runs after warm-up")
	warmup := flag.Int("warmup", 3, "untimed warm-up runs")
	inputPath := flag.String("input", "", "input tensor as .npy (default: uniform [0,1) from a fixed seed)")
	writeInput := flag.String("write-input", "", "write the input used to this .npy file (for ort.mjs)")
	perOp := flag.Bool("per-op", false, "also time each op type over one node-by-node evaluation")
	cpuProfile := flag.String("cpuprofile", "", "write a pprof CPU profile of the timed runs (native only)")
	memProfile := flag.String("memprofile", "", "write a pprof allocation profile after the runs (native only)")
	collectFirst := flag.Bool("collect-first-run", true, "drop the first run's unusable free buffers and collect (exec.SessionOptions.CollectFirstRun, as pare sets it)")
	memclasses := flag.Bool("memclasses", false, "print the runtime's memory classes (runtime/metrics, MiB) and on Linux the RSS after loading, the first run, the runs and a collection to stderr")
	load := flag.String("load", "stream", "how the model is read: stream (converted while decoded, as pare does) or whole (the file read whole, then converted)")
	flag.Parse()
	if *modelPath == "" || flag.NArg() != 0 {
		flag.Usage()
		return fmt.Errorf("give the model with -model and no other arguments")
	}
	if *runs < 1 || *warmup < 0 {
		return fmt.Errorf("-runs must be at least 1 and -warmup at least 0")
	}

	if (*cpuProfile != "" || *memProfile != "") && !canProfile {
		return errNoProfile
	}
	if *load != "stream" && *load != "whole" {
		return fmt.Errorf("-load is stream or whole, not %q", *load)
	}
	// Streamed, as pare bench, eval and run read a model: the initializers
	// are converted while the file is decoded (exec.ReadModelFile). -per-op
	// builds a second, unfused session, which needs the values in the model.
	baseMemory, _, haveMemory := processMemory()
	var m *onnx.Model
	var weights *exec.Weights
	var err error
	loadStart := time.Now()
	if *load == "stream" && !*perOp {
		m, weights, err = exec.ReadModelFile(*modelPath)
	} else {
		m, err = onnx.ReadModelFile(*modelPath)
	}
	if err != nil {
		return err
	}
	feeds, err := loadOrMakeInput(m, *inputPath)
	if err != nil {
		return err
	}
	weightBytes := initializerBytes(m)
	if *writeInput != "" {
		if err := writeFeeds(*writeInput, feeds); err != nil {
			return err
		}
	}
	start := time.Now()
	// Run-only, as pare bench and the page build it: each BN-folded weight
	// is held once.
	sess, err := exec.NewSessionWith(m, exec.SessionOptions{RunOnly: true, Weights: weights, CollectFirstRun: *collectFirst})
	if err != nil {
		return err
	}
	var perOpModel *onnx.Model
	if *perOp {
		perOpModel = m
	}
	// Drop the decoded file (the session has its own tensors), so the heap
	// measured after the runs is what inference holds.
	m = nil
	res := result{Model: *modelPath, Platform: runtime.GOOS + "/" + runtime.GOARCH, Runs: *runs}
	res.SessionMS = msSince(start)
	res.LoadMS = msSince(loadStart)
	var loaded runtime.MemStats
	runtime.ReadMemStats(&loaded)
	res.LoadSysBytes = loaded.Sys
	phase := func(name string) {
		if *memclasses {
			printMemClasses(os.Stderr, name)
		}
	}
	phase("loaded")

	firstFree := int64(-1) // of the first run, warm-up or timed
	noteFirst := func() {
		if firstFree < 0 {
			st := sess.Stats()
			firstFree, res.FirstRunAllocatedBytes = st.PeakFreeBytes, st.AllocatedBytes
		}
	}
	for i := 0; i < *warmup; i++ {
		t0 := time.Now()
		if _, err := sess.Run(feeds); err != nil {
			return err
		}
		if i == 0 {
			res.FirstRunMS = msSince(t0)
			phase("first-run")
		}
		noteFirst()
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	times := make([]float64, 0, *runs)
	for i := 0; i < *runs; i++ {
		t0 := time.Now()
		if _, err := sess.Run(feeds); err != nil {
			return err
		}
		times = append(times, msSince(t0))
		if firstFree < 0 {
			res.FirstRunMS = times[0]
		}
		noteFirst()
	}
	if *cpuProfile != "" {
		stopCPUProfile()
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	phase("runs")
	// What inference keeps alive: the heap after a collection, with the
	// session still in use.
	runtime.GC()
	var live runtime.MemStats
	runtime.ReadMemStats(&live)
	phase("collected")
	runtime.KeepAlive(sess)
	summarize(&res, times)
	st := sess.Stats()
	res.PeakLiveBytes, res.PooledBytes = st.PeakLiveBytes, st.PooledBytes
	res.FirstRunFreeBytes = firstFree
	res.HeapInuseBytes, res.SysBytes = after.HeapInuse, after.Sys
	res.HeapLiveBytes = live.HeapAlloc
	res.WeightBytes = weightBytes
	if _, peak, ok := processMemory(); ok && haveMemory && peak > baseMemory {
		res.BaseMemoryBytes, res.PeakMemoryBytes = baseMemory, peak
		if d := weightBytes + st.PooledBytes; d > 0 {
			res.MemoryRatio = float64(peak-baseMemory) / float64(d)
		}
	}
	res.TotalAllocPerRun = (after.TotalAlloc - before.TotalAlloc) / uint64(*runs)
	res.MallocsPerRun = (after.Mallocs - before.Mallocs) / uint64(*runs)
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			return err
		}
	}
	if *perOp {
		res.PerOp, err = timePerOp(perOpModel, feeds)
		if err != nil {
			return err
		}
	}
	out, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

// errNoProfile is the answer of a build that writes no profiles.
var errNoProfile = errors.New("-cpuprofile and -memprofile are native only")

func msSince(t time.Time) float64 { return float64(time.Since(t).Nanoseconds()) / 1e6 }

// summarize fills the order statistics of times (milliseconds).
func summarize(r *result, times []float64) {
	s := append([]float64(nil), times...)
	sort.Float64s(s)
	q := func(p float64) float64 {
		pos := p * float64(len(s)-1)
		lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
		return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
	}
	var sum float64
	for _, v := range s {
		sum += v
	}
	r.MedianMS, r.P10MS, r.P90MS, r.MinMS, r.MeanMS = q(0.5), q(0.1), q(0.9), s[0], sum/float64(len(s))
}

// loadOrMakeInput returns the feeds of a single-input model: read from
// path, or uniform [0, 1) from a fixed seed in the model's declared shape
// with batch 1.
func loadOrMakeInput(m *onnx.Model, path string) (map[string]*tensor.Tensor, error) {
	shapes, err := graph.DefaultInputShapes(m, 1)
	if err != nil {
		return nil, err
	}
	if len(shapes) != 1 {
		return nil, fmt.Errorf("the model has %d inputs; the benchmark feeds models with exactly one", len(shapes))
	}
	var name string
	var shape []int
	for n, s := range shapes {
		name, shape = n, s
	}
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		t, err := tensor.ReadNpy(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return map[string]*tensor.Tensor{name: t}, nil
	}
	t := tensor.New(tensor.Float32, shape)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range t.F32 {
		t.F32[i] = rng.Float32()
	}
	return map[string]*tensor.Tensor{name: t}, nil
}

func writeFeeds(path string, feeds map[string]*tensor.Tensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for _, t := range feeds {
		if err := tensor.WriteNpy(f, t); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// initializerBytes is the size of m's initializers' values as declared
// (element count times element size; streamed models keep every
// initializer's dims).
func initializerBytes(m *onnx.Model) int64 {
	var total int64
	for _, t := range m.Graph.Initializer {
		n, err := t.NumElements()
		if err != nil {
			continue
		}
		total += n * int64(tensor.DType(t.DataType).ElementSize())
	}
	return total
}
