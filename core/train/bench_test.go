package train

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
)

// resNet20 builds a CIFAR-shaped ResNet-20 (He et al. 2016: three stages
// of three basic blocks, 16/32/64 channels, 32x32 inputs; projection
// shortcuts by 1x1 convolution where the shape changes), the network of
// the training-throughput benchmark. bench/torch_resnet20.py is the same
// network in PyTorch.
func resNet20(seed int64) *testModel {
	b := newTestModel(13, seed)
	b.input("x", -1, 3, 32, 32)
	id := 0
	convBN := func(in string, cin, cout, k, stride int) string {
		id++
		w, out := fmt.Sprintf("w%d", id), fmt.Sprintf("c%d", id)
		b.param(w, []int{cout, cin, k, k}, nil)
		pad := int64(k / 2)
		b.node("Conv", []string{in, w}, []string{out}, aInts("pads", pad, pad, pad, pad), aInts("strides", int64(stride), int64(stride)))
		names := []string{out}
		for _, s := range []string{"g", "b", "m", "v"} {
			n := fmt.Sprintf("%s%d", s, id)
			b.param(n, []int{cout}, func(r *rng) float32 { return 0.5 + float32(r.float64()) })
			names = append(names, n)
		}
		bn := fmt.Sprintf("bn%d", id)
		b.node("BatchNormalization", names, []string{bn})
		return bn
	}
	relu := func(in string) string {
		id++
		out := fmt.Sprintf("r%d", id)
		b.node("Relu", []string{in}, []string{out})
		return out
	}
	x := relu(convBN("x", 3, 16, 3, 1))
	cin := 16
	for stage, cout := range []int{16, 32, 64} {
		for blk := 0; blk < 3; blk++ {
			stride := 1
			if stage > 0 && blk == 0 {
				stride = 2
			}
			h := relu(convBN(x, cin, cout, 3, stride))
			h = convBN(h, cout, cout, 3, 1)
			short := x
			if stride != 1 || cin != cout {
				short = convBN(x, cin, cout, 1, stride)
			}
			id++
			sum := fmt.Sprintf("add%d", id)
			b.node("Add", []string{h, short}, []string{sum})
			x = relu(sum)
			cin = cout
		}
	}
	b.node("GlobalAveragePool", []string{x}, []string{"gap"})
	b.node("Flatten", []string{"gap"}, []string{"flat"})
	b.param("fc", []int{10, 64}, nil).param("fcb", []int{10}, nil)
	b.node("Gemm", []string{"flat", "fc", "fcb"}, []string{"logits"}, aInt("transB", 1))
	b.output("logits")
	return b
}

// BenchmarkTrainStepResNet20 times one SGD training step (forward with
// batch statistics, loss, backward) at batch 64 and reports images/s.
// bench/run.sh compares it with torch 1.13 on one thread.
func BenchmarkTrainStepResNet20(b *testing.B) {
	// Memory is measured on the benchmark's first call in the process:
	// the runtime keeps what it took from the system, so later calls
	// would see it taken already.
	first := !resnet20Mem.measured
	var m0 runtime.MemStats
	if first {
		runtime.GC()
		runtime.ReadMemStats(&m0)
	}
	net, err := NewNet(resNet20(1).m, NetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	net.Reinitialize(1)
	net.ReuseBuffers(true) // as the Trainer runs it
	const batch = 64
	step := benchTrainStep(b, net, []int{batch, 3, 32, 32}, 10)
	// What the net and its input take, then what training needs beyond
	// them: the memory the runtime took from the system (under wasm, the
	// linear memory's growth), beside torch's RSS (bench/memory.sh).
	var m1 runtime.MemStats
	if first {
		runtime.ReadMemStats(&m1)
	}
	step() // warm caches (index maps, buffers)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		step()
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "images/s")
	if first {
		var m2 runtime.MemStats
		runtime.ReadMemStats(&m2)
		resnet20Mem.measured = true
		resnet20Mem.net = float64(m1.Sys-m0.Sys) / (1 << 20)
		resnet20Mem.train = float64(m2.Sys-m1.Sys) / (1 << 20)
	}
	b.ReportMetric(resnet20Mem.net, "net-MiB")
	b.ReportMetric(resnet20Mem.train, "train-MiB")
}

// resnet20Mem is what BenchmarkTrainStepResNet20's first call measured.
var resnet20Mem struct {
	measured   bool
	net, train float64
}

// BenchmarkTrainStepMobileNetV2 times one SGD training step of
// torchvision's MobileNetV2 (ReLU6 as Clip after every expansion and
// depthwise convolution: the nets the page prunes for phones) at batch 16
// on 96x96 inputs, and reports images/s. The model is the one make bench
// times:
//
//	/usr/bin/python3 scripts/fixtures/export_bench_models.py build/bench
//	go test ./core/train/ -run '^$' -bench TrainStepMobileNetV2 -benchtime 10x -benchmem
func BenchmarkTrainStepMobileNetV2(b *testing.B) {
	path, err := testassets.RepoPath("build/bench/mobilenetv2-1.0.onnx")
	if err == nil {
		_, err = os.Stat(path)
	}
	if err != nil {
		b.Skipf("build/bench/mobilenetv2-1.0.onnx is missing (%v): /usr/bin/python3 scripts/fixtures/export_bench_models.py build/bench writes it", err)
	}
	m, err := onnx.ReadModelFile(path)
	if err != nil {
		b.Fatal(err)
	}
	net, err := NewNet(m, NetOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	net.ReuseBuffers(true) // as the Trainer runs it
	const batch = 16
	step := benchTrainStep(b, net, []int{batch, 3, 96, 96}, 1000)
	step() // warm caches (index maps, buffers)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "images/s")
}

// benchTrainStep returns one training step of net without the update (forward with
// batch statistics, softmax cross-entropy, backward) on a fixed random
// input of shape and labels among classes.
func benchTrainStep(b *testing.B, net *Net, shape []int, classes int) func() {
	x := tensor.New(tensor.Float32, shape)
	r := newRNG(2)
	for i := range x.F32 {
		x.F32[i] = float32(r.normal())
	}
	labels := make([]int, shape[0])
	for i := range labels {
		labels[i] = r.intn(classes)
	}
	return func() {
		p, err := net.Forward(map[string]*tensor.Tensor{net.InputNames()[0]: x}, ModeTrain)
		if err != nil {
			b.Fatal(err)
		}
		_, d, _, err := SoftmaxCrossEntropy(p.Logits(), labels)
		if err != nil {
			b.Fatal(err)
		}
		if err := net.Backward(p, d); err != nil {
			b.Fatal(err)
		}
	}
}
