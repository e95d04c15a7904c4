package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// convBenchCases are layers of the two target networks at batch 1:
// ResNet-8 (MLPerf Tiny, CIFAR-10 32x32) and MobileNetV2 (224x224).
var convBenchCases = []struct {
	name string
	x, w []int
	p    ConvParams
}{
	{"resnet8/stem_3to16_32x32", []int{1, 3, 32, 32}, []int{16, 3, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}},
	{"resnet8/16to16_32x32", []int{1, 16, 32, 32}, []int{16, 16, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}},
	{"resnet8/16to32_s2", []int{1, 16, 32, 32}, []int{32, 16, 3, 3}, ConvParams{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}},
	{"resnet8/64to64_8x8", []int{1, 64, 8, 8}, []int{64, 64, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}},
	{"resnet8/shortcut1x1_32to64_s2", []int{1, 32, 16, 16}, []int{64, 32, 1, 1}, ConvParams{Strides: []int{2, 2}}},
	{"mobilenetv2/stem_3to32_s2_224", []int{1, 3, 224, 224}, []int{32, 3, 3, 3}, ConvParams{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}},
	{"mobilenetv2/expand1x1_24to144_56x56", []int{1, 24, 56, 56}, []int{144, 24, 1, 1}, ConvParams{}},
	{"mobilenetv2/dw3x3_144_56x56", []int{1, 144, 56, 56}, []int{144, 1, 3, 3}, ConvParams{Group: 144, Pads: []int{1, 1, 1, 1}}},
	{"mobilenetv2/dw3x3_144_s2", []int{1, 144, 56, 56}, []int{144, 1, 3, 3}, ConvParams{Group: 144, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}},
	{"mobilenetv2/project1x1_144to24_56x56", []int{1, 144, 56, 56}, []int{24, 144, 1, 1}, ConvParams{}},
	{"mobilenetv2/project1x1_960to160_7x7", []int{1, 960, 7, 7}, []int{160, 960, 1, 1}, ConvParams{}},
	{"mnist8/5x5_1to8_28x28", []int{1, 1, 28, 28}, []int{8, 1, 5, 5}, ConvParams{Pads: []int{2, 2, 2, 2}}},
	{"mnist8/5x5_8to16_14x14", []int{1, 8, 14, 14}, []int{16, 8, 5, 5}, ConvParams{Pads: []int{2, 2, 2, 2}}},
	// 224x224 layers whose col matrix Conv unrolls in blocks (conv.go,
	// colBlockFloats): ResNet-18 and DenseNet-121.
	{"resnet18/stem7x7_3to64_s2", []int{1, 3, 224, 224}, []int{64, 3, 7, 7}, ConvParams{Strides: []int{2, 2}, Pads: []int{3, 3, 3, 3}}},
	{"resnet18/3x3_64to64_56x56", []int{1, 64, 56, 56}, []int{64, 64, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}},
	{"resnet18/3x3_128to128_28x28", []int{1, 128, 28, 28}, []int{128, 128, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}},
	{"densenet121/3x3_128to32_56x56", []int{1, 128, 56, 56}, []int{32, 128, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}},
	{"densenet121/3x3_128to32_28x28", []int{1, 128, 28, 28}, []int{32, 128, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}},
}

func BenchmarkConv(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, bc := range convBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			x, w, bias := randTensor(rng, bc.x...), randTensor(rng, bc.w...), randTensor(rng, bc.w[0])
			g, err := ResolveConv(x.Shape, w.Shape, bc.p)
			if err != nil {
				b.Fatal(err)
			}
			y := tensor.New(tensor.Float32, g.OutShape())
			macs := float64(product(g.OutShape())) * float64(bc.w[1]*g.KernelSize())
			b.ResetTimer()
			for b.Loop() {
				if err := ConvInto(y, x, w, bias, g); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkMaxPool3x3s2(b *testing.B) {
	x := randTensor(rand.New(rand.NewPCG(2, 2)), 1, 64, 112, 112)
	p := PoolParams{Kernel: []int{3, 3}, Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}
	g, _ := ResolvePool("MaxPool", x.Shape, p)
	y := tensor.New(tensor.Float32, g.OutShape())
	for b.Loop() {
		if err := MaxPoolInto(y, nil, x, g, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMaxPoolMnist8 times mnist-8's two pools (2x2 stride 2 over
// 8x28x28, 3x3 stride 3 over 16x14x14), whose windows all lie inside.
func BenchmarkMaxPoolMnist8(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, bc := range []struct {
		name string
		x    []int
		p    PoolParams
	}{
		{"2x2s2_8x28x28", []int{1, 8, 28, 28}, PoolParams{Kernel: []int{2, 2}, Strides: []int{2, 2}}},
		{"3x3s3_16x14x14", []int{1, 16, 14, 14}, PoolParams{Kernel: []int{3, 3}, Strides: []int{3, 3}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			x := randTensor(rng, bc.x...)
			g, _ := ResolvePool("MaxPool", x.Shape, bc.p)
			y := tensor.New(tensor.Float32, g.OutShape())
			for b.Loop() {
				if err := MaxPoolInto(y, nil, x, g, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestConvIntoDoesNotAllocate guards the pooled im2col scratch.
func TestConvIntoDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, bc := range convBenchCases[:5] {
		x, w := randTensor(rng, bc.x...), randTensor(rng, bc.w...)
		g, _ := ResolveConv(x.Shape, w.Shape, bc.p)
		y := tensor.New(tensor.Float32, g.OutShape())
		_ = ConvInto(y, x, w, nil, g)
		if n := testing.AllocsPerRun(5, func() { _ = ConvInto(y, x, w, nil, g) }); n > 1 {
			t.Errorf("%s: %v allocations per call", bc.name, n)
		}
	}
}
