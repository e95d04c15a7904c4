package qil

import (
	"context"
	"fmt"
)

// DefaultActInit is the Config.ActInit an empty value means: "stage",
// which measured better than "first" and "target" on fashion-dwnet,
// fashion-resnet and mnist-8 at 4/4 (docs/quantization.md, 2026-12-07).
const DefaultActInit = "stage"

// ActInitChoices are the values of Config.ActInit.
var ActInitChoices = []string{"first", "target", "stage"}

// actInit is cfg's ActInit with the default filled in.
func actInit(s string) string {
	if s == "" {
		return DefaultActInit
	}
	return s
}

// checkActInit refuses an unknown Config.ActInit.
func checkActInit(s string) error {
	switch s {
	case "", "first", "target", "stage":
		return nil
	}
	return fmt.Errorf("qil: unknown activation interval initialisation %q (first, target or stage)", s)
}

// reinitActs sets the activation interval of every quantized layer whose
// activation bits the new stage lowers (Config.ActInit "stage"): its
// upper end c+d becomes the clipping threshold with the least squared
// quantization error at the new width (mseThreshold, as at calibration)
// over the layer's input as the net trained so far computes it (every
// layer before it quantized at the new stage's bits); the learned lower
// end c-d is kept, if it is below half the new upper end.
//
// Why: the intervals are calibrated at the first stage's width, 8 bits,
// where the threshold with the least error is near the largest input
// (6 behind fashion-dwnet's ReLU6s), and the interval rate does not move
// them to the 4-bit optimum (3.2-5.6 there) within a stage.
func (r *Run) reinitActs(ctx context.Context, prev []Bits) error {
	stats, _, err := netStats(ctx, r.net, r.layers, r.calib)
	if err != nil {
		return err
	}
	for i, l := range r.layers {
		if !l.Quantized() || l.Bits.A >= prev[i].A {
			continue
		}
		nm := namesFor(l)
		c, d := r.net.Param(nm.xc), r.net.Param(nm.xd)
		if c == nil || d == nil {
			continue
		}
		hi := mseThreshold(stats[l].samples, l.Signed, actSteps(l.Bits.A, l.Signed))
		lo := min(c.Value.F32[0]-d.Value.F32[0], hi/2)
		c.Value.F32[0], d.Value.F32[0] = (hi+lo)/2, (hi-lo)/2
	}
	return nil
}
