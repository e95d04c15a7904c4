package qil

import (
	"context"
	"strings"
	"testing"
)

// TestActInitTargetCalibratesAtTheTargetWidth: with ActInit "target" a
// progressive 4/4 run starts its activation intervals where a direct 4/4
// run does (calibrated at 4 bits), its weight intervals where a "first"
// progressive run does (at 8 bits), and trains the first stage at 8 bits.
func TestActInitTargetCalibratesAtTheTargetWidth(t *testing.T) {
	m := fashionDwnet(t)
	data := fashionImages(t, 128)
	newRun := func(schedule, actInit string) *Run {
		r, err := NewRun(context.Background(), m, data, Config{Options: Options{Bits: Bits{4, 4}}, Schedule: schedule, ActInit: actInit, CalibrationImages: 64})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	target, first, direct := newRun("progressive", "target"), newRun("progressive", "first"), newRun("direct", "")
	checked := 0
	for i, l := range target.Layers() {
		if !l.Quantized() {
			continue
		}
		if l.Bits != (Bits{8, 8}) {
			t.Fatalf("%s trains its first stage at %v, want w8a8", l.Node, l.Bits)
		}
		got, _ := target.Intervals(l)
		fi, _ := first.Intervals(first.Layers()[i])
		di, _ := direct.Intervals(direct.Layers()[i])
		if got.XC != di.XC || got.XD != di.XD {
			t.Errorf("%s: activation interval (%v, %v), direct 4/4 calibrates (%v, %v)", l.Node, got.XC, got.XD, di.XC, di.XD)
		}
		if got.WC != fi.WC || got.WD != fi.WD {
			t.Errorf("%s: weight interval (%v, %v), the default progressive run's (%v, %v)", l.Node, got.WC, got.WD, fi.WC, fi.WD)
		}
		if got.XC+got.XD >= fi.XC+fi.XD {
			t.Errorf("%s: the 4-bit clipping threshold %v is not below the 8-bit one %v", l.Node, got.XC+got.XD, fi.XC+fi.XD)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no quantized layer")
	}
}

// TestActInitStageRecalibratesEachStage: with ActInit "stage" each stage
// that lowers the activation bits starts with every activation interval's
// upper end at the least-error threshold of the new width over the layer's
// input as the trained net computes it, measured here independently on a
// fresh net of the run's model; the learned lower end is kept below it.
func TestActInitStageRecalibratesEachStage(t *testing.T) {
	m := fashionDwnet(t)
	data := fashionImages(t, 128)
	run, err := NewRun(context.Background(), m, data, Config{Options: Options{Bits: Bits{5, 5}}, ActInit: "stage", CalibrationImages: 64})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for {
		p, err := run.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Figures["stage_done"] == 1 {
			break
		}
	}
	// Between stages the net still computes the 8-bit stage: its model
	// (current weights and intervals) at 5 bits is what the next stage
	// calibrates on.
	qm, err := run.Model()
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]Intervals{}
	for _, l := range run.Layers() {
		if l.Quantized() {
			before[l.Node], _ = run.Intervals(l)
		}
	}
	for _, n := range qm.Graph.Node {
		if n.Domain == Domain {
			n.Attr("bits").I = 5
		}
	}
	stats, _, err := collectStats(ctx, qm, run.Layers(), run.calib)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Step(ctx); err != nil { // starts the 5-bit stage, then trains one step
		t.Fatal(err)
	}
	checked := 0
	for _, l := range run.Layers() {
		if !l.Quantized() {
			continue
		}
		if l.Bits != (Bits{5, 5}) {
			t.Fatalf("%s at %v in the second stage, want w5a5", l.Node, l.Bits)
		}
		got, _ := run.Intervals(l)
		want := mseThreshold(stats[l].samples, l.Signed, actSteps(5, l.Signed))
		// One training step (interval rate 1e-3 of their size) has moved them since.
		if hi := got.XC + got.XD; hi < want*0.99 || hi > want*1.01 {
			t.Errorf("%s: activation upper end %v after one step of the 5-bit stage, the 5-bit threshold is %v (the 8-bit stage ended at %v)", l.Node, hi, want, before[l.Node].XC+before[l.Node].XD)
		}
		if lo := got.XC - got.XD; lo < 0 || lo > want/2*1.01 {
			t.Errorf("%s: activation lower end %v, want in [0, %v]", l.Node, lo, want/2)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no quantized layer")
	}
}

// TestActInitUnknown: an unknown ActInit is refused before any data is read.
func TestActInitUnknown(t *testing.T) {
	err := Config{Options: Options{Bits: Bits{4, 4}}, ActInit: "last"}.Check(fashionDwnet(t))
	if err == nil || !strings.Contains(err.Error(), `"last"`) {
		t.Fatalf("ActInit last: %v", err)
	}
}
