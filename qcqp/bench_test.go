package qcqp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pare-ml/pare/internal/testassets"
	"github.com/pare-ml/pare/internal/testmodels"
)

// benchLimit is the benchmarks' solve budget (PARE_QCQP_LIMIT, a Go
// duration; default 10s), counted in CPU time of the process where it
// can be read (so that a shared, loaded machine measures the algorithm,
// not the queue) and in wall time otherwise (wasm).
func benchLimit(b *testing.B) time.Duration {
	if v := os.Getenv("PARE_QCQP_LIMIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("PARE_QCQP_LIMIT=%q: %v", v, err)
		}
		return d
	}
	return 10 * time.Second
}

// resnetBenchDepths are the CIFAR ResNets of the solver benchmarks
// (QCQP-SOLVER.md's calibration sizes).
var resnetBenchDepths = []int{8, 20, 32, 56}

// BenchmarkResNet solves CIFAR ResNet-8, -20, -32 and -56 shaped instances (tied
// residual masks, MACs budgets, random or L1-like importance) and
// reports the time to a proven optimum or, at the limit, the gap
// reached. Run it alone:
//
//	go test ./qcqp/ -run '^$' -bench ResNet -benchtime 1x -v
//	go test ./qcqp/ -run '^$' -bench '^BenchmarkResNet(CBC)?$' -benchtime 1x -v   # and CBC on the same programs
//	GOOS=js GOARCH=wasm go test ./qcqp/ -exec=$PWD/tools/wasmexec/go_js_wasm_exec -run '^$' -bench ResNet -benchtime 1x -v
func BenchmarkResNet(b *testing.B) {
	limit := benchLimit(b)
	for _, depth := range resnetBenchDepths {
		for _, kind := range []importanceKind{uniformImportance, l1Importance} {
			for _, frac := range []float64{0.3, 0.5, 0.7} {
				name := fmt.Sprintf("resnet%d/%s/%v", depth, kindName(kind), frac)
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						p := resnetCIFAR(rand.New(rand.NewPCG(uint64(depth), 1)), (depth-2)/6, kind, frac)
						benchSolve(b, name, p, limit)
					}
				})
			}
		}
	}
}

// benchSolve drives the solver step by step (as the browser's worker
// does) until it proves the optimum or has used limit of the clock.
// benchModelBudget solves the problem pare prune builds from the model at
// path (L1 importance) under one budget, once per benchmark iteration.
func benchModelBudget(b *testing.B, label, path string, budget Budget, limit time.Duration) {
	m := testmodels.ReadModel(b, path)
	a, err := Analyze(m)
	if err != nil {
		b.Fatal(err)
	}
	layers, err := a.Layers(NormL1)
	if err != nil {
		b.Fatal(err)
	}
	p, err := a.Problem(layers, []Budget{budget})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		benchSolve(b, label, p, limit)
	}
}

func benchSolve(b *testing.B, name string, p *Problem, limit time.Duration) {
	// The solver gets the limit too, so that its phases take their shares
	// of it (without one, the neighbourhood search under a memory budget
	// took the whole 10 s and the tree never started), on the clock the
	// benchmark counts.
	s, err := NewSolver(p, Options{TimeLimit: limit})
	if err != nil {
		b.Fatal(err)
	}
	s.clk.now = cpuNow
	wall := time.Now()
	start, clock := cpuClock()
	var used time.Duration
	for !s.Done() && used < limit {
		if _, err := s.Step(context.Background()); err != nil {
			b.Fatal(err)
		}
		now, _ := cpuClock()
		used = now - start
	}
	res := s.Result()
	b.ReportMetric(used.Seconds(), clock+"-s")
	b.ReportMetric(100*res.Gap, "gap%")
	b.ReportMetric(float64(res.Nodes), "nodes")
	if testing.Verbose() {
		st := s.s.stats
		b.Logf("%s: %s in %.2f %s-s (wall %.2f s): objective %.6f bound %.6f gap %.4f%%; boxes %d, vectors screened %d, branched %d, subgradient iterations %d",
			name, res.Status, used.Seconds(), clock, time.Since(wall).Seconds(), res.Objective, res.Bound, 100*res.Gap, st.boxes, st.screened, st.branched, st.iters)
	}
}

// cpuNow is cpuClock as a time, for Solver.clk.
func cpuNow() time.Time {
	d, _ := cpuClock()
	return time.Unix(0, 0).Add(d)
}

func kindName(k importanceKind) string {
	if k == l1Importance {
		return "l1"
	}
	return "random"
}

// BenchmarkSharedModels solves the problems `pare prune` builds for the
// shared mnist-8 and ResNet-8 (real weights, L1 importance) at MACs,
// parameter and memory budgets of 30, 50 and 70 %:
//
//	PARE_QCQP_LIMIT=3s go test ./qcqp/ -run '^$' -bench SharedModels -benchtime 1x -v
func BenchmarkSharedModels(b *testing.B) {
	limit := benchLimit(b)
	for _, name := range []string{"shared:models/mnist-8.onnx", "shared:models/resnet8-cifar10.onnx"} {
		for _, rs := range Resources {
			for _, f := range []float64{0.3, 0.5, 0.7} {
				label := fmt.Sprintf("%s/%s/%v", name[len("shared:models/"):], rs, f)
				b.Run(label, func(b *testing.B) {
					path, ok := testassets.Lookup(name[len("shared:"):])
					if !ok {
						b.Skipf("shared asset %s is absent", name)
					}
					benchModelBudget(b, label, path, Budget{Resource: rs, Fraction: f}, limit)
				})
			}
		}
	}
}

// BenchmarkBaselines compares the two baselines' objectives with the
// solver's on the ResNet-20 shaped instances (each baseline's figure is
// Problem.Objective of its selection, which counts active weights only):
//
//	PARE_QCQP_LIMIT=2s go test ./qcqp/ -run '^$' -bench Baselines -benchtime 1x -v
func BenchmarkBaselines(b *testing.B) {
	limit := benchLimit(b)
	for _, kind := range []importanceKind{uniformImportance, l1Importance} {
		for _, frac := range []float64{0.3, 0.5, 0.7} {
			name := fmt.Sprintf("resnet20/%s/%v", kindName(kind), frac)
			b.Run(name, func(b *testing.B) {
				p := resnetCIFAR(rand.New(rand.NewPCG(20, 1)), 3, kind, frac)
				for b.Loop() {
					u, err := UniformL1(p)
					if err != nil {
						b.Fatal(err)
					}
					k, err := GlobalKnapsack(p)
					if err != nil {
						b.Fatal(err)
					}
					g, err := Greedy(p)
					if err != nil {
						b.Fatal(err)
					}
					s, err := NewSolver(p, Options{})
					if err != nil {
						b.Fatal(err)
					}
					start, _ := cpuClock()
					for used := time.Duration(0); !s.Done() && used < limit; {
						if _, err := s.Step(context.Background()); err != nil {
							b.Fatal(err)
						}
						now, _ := cpuClock()
						used = now - start
					}
					res := s.Result()
					pct := func(v float64) float64 { return 100 * (res.Objective - v) / res.Objective }
					b.Logf("%s: solver %.4f (%s, gap %.3f%%); uniform L1 %.4f (%.2f%% below), global knapsack %.4f (%.2f%% below), greedy %.4f (%.2f%% below)",
						name, res.Objective, res.Status, 100*res.Gap, p.Objective(u), pct(p.Objective(u)), p.Objective(k), pct(p.Objective(k)), p.Objective(g), pct(p.Objective(g)))
				}
			})
		}
	}
}

// BenchmarkFixtureMemory solves memory budgets of 30, 50 and 70 % (one
// constraint per node, 25 of them) on the repository's ResNet-20 fixture
// (L1 importance). One leaf solve under 25 constraints takes about 0.1 s,
// so its neighbourhood search takes its full share (half the limit)
// before the tree starts; give it 10 s:
//
//	go test ./qcqp/ -run '^$' -bench FixtureMemory -benchtime 1x -v
func BenchmarkFixtureMemory(b *testing.B) {
	limit := benchLimit(b)
	for _, name := range []string{"resnet20_cifar"} {
		for _, f := range []float64{0.3, 0.5, 0.7} {
			label := fmt.Sprintf("%s/memory/%v", name, f)
			b.Run(label, func(b *testing.B) {
				benchModelBudget(b, label, filepath.Join("..", "testdata", "models", name+".onnx"), Budget{Resource: Memory, Fraction: f}, limit)
			})
		}
	}
}

// BenchmarkFixtureMACs solves 50 % MACs budgets on the repository's
// fixtures (L1 importance): chains (MobileNetV2, EfficientNet) and nets
// of many hubs (DenseNet, SqueezeNet, ShuffleNetV2) besides ResNet-20:
//
//	PARE_QCQP_LIMIT=3s go test ./qcqp/ -run '^$' -bench FixtureMACs -benchtime 1x -v
func BenchmarkFixtureMACs(b *testing.B) {
	limit := benchLimit(b)
	for _, name := range []string{"resnet20_cifar", "mobilenetv2_035", "densenet_small", "efficientnet_small", "shufflenetv2_small", "squeezenet_small"} {
		label := name + "/macs/0.5"
		b.Run(label, func(b *testing.B) {
			benchModelBudget(b, label, filepath.Join("..", "testdata", "models", name+".onnx"), Budget{Resource: MACs, Fraction: 0.5}, limit)
		})
	}
}
