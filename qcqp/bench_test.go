package qcqp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pare-ml/pare/core/job"
)

// benchLimit is the solve time limit of the benchmarks (PARE_QCQP_LIMIT,
// a Go duration; default 10s).
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

// BenchmarkResNet solves CIFAR ResNet-20 and -56 shaped instances (tied
// residual masks, MACs budgets) and reports the time to a proven optimum
// or, at the time limit, the gap reached. Run it alone, on an idle core:
//
//	go test ./qcqp/ -run '^$' -bench ResNet -benchtime 1x
func BenchmarkResNet(b *testing.B) {
	limit := benchLimit(b)
	for _, depth := range []int{20, 56} {
		for _, kind := range []importanceKind{uniformImportance, l1Importance} {
			for _, frac := range []float64{0.3, 0.5, 0.7} {
				name := fmt.Sprintf("resnet%d/%s/%v", depth, kindName(kind), frac)
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						p := resnetCIFAR(rand.New(rand.NewPCG(uint64(depth), 1)), (depth-2)/6, kind, frac)
						s, err := NewSolver(p, Options{TimeLimit: limit})
						if err != nil {
							b.Fatal(err)
						}
						if err := job.Run(context.Background(), s, nil); err != nil {
							b.Fatal(err)
						}
						res := s.Result()
						b.ReportMetric(res.Elapsed.Seconds(), "s")
						b.ReportMetric(100*res.Gap, "gap%")
						b.ReportMetric(float64(res.Nodes), "nodes")
						b.ReportMetric(res.Objective, "objective")
						if testing.Verbose() {
							b.Logf("%s: %s objective %.6f bound %.6f gap %.4f%% nodes %d in %v; %+v", name, res.Status, res.Objective, res.Bound, 100*res.Gap, res.Nodes, res.Elapsed.Round(time.Millisecond), s.s.stats)
						}
					}
				})
			}
		}
	}
}

func kindName(k importanceKind) string {
	if k == l1Importance {
		return "l1"
	}
	return "random"
}

var _ = strconv.Itoa
