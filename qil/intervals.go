package qil

import "fmt"

// DefaultIntervals is the Config.Intervals an empty value means:
// "per-channel", which measured better than "depthwise" and "per-layer"
// on every net of docs/quantization.md (fashion-dwnet 4/4 and 3/3,
// fashion-resnet 4/4, mnist-8 2/2).
const DefaultIntervals = "per-channel"

// IntervalChoices are the values of Config.Intervals.
var IntervalChoices = []string{"depthwise", "per-channel", "per-layer"}

// channelChoice returns, for a Config.Intervals value, which layers get
// one weight interval per output channel.
func channelChoice(intervals string) (func(*Layer) bool, error) {
	if intervals == "" {
		intervals = DefaultIntervals
	}
	switch intervals {
	case "depthwise":
		return func(l *Layer) bool { return l.Depthwise }, nil
	case "per-channel":
		return outputChannelsFirst, nil
	case "per-layer":
		return func(*Layer) bool { return false }, nil
	}
	return nil, fmt.Errorf("qil: unknown weight intervals %q (depthwise, per-channel or per-layer)", intervals)
}

// outputChannelsFirst reports whether l's weight has its output channels
// on axis 0, the axis per-channel intervals, their units and the exported
// DequantizeLinear index: a Conv's [out, in/group, k...] and a Gemm's
// with transB = 1 ([out, in]). A Gemm with transB = 0 ([in, out]) and a
// MatMul ([..., in, out]) have them last, and keep one interval.
func outputChannelsFirst(l *Layer) bool {
	switch l.OpType {
	case "Conv", "Gemm":
		return outputAxis(l.node, 2) == 0
	}
	return false
}
