package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pare-ml/pare/compress"
	"github.com/pare-ml/pare/wasm/liveview/scene"
)

// stepClock is a clock that moves by step each time it is read: the live
// feed reads it once per progress message, so liveEvery/step messages
// must pass between two that carry masks or layers.
func stepClock(step time.Duration) func() time.Time {
	t := time.Unix(0, 0)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

// liveChecker follows the live part of a Compress run's progress messages
// (TestCompressStageByStageEqualsOneRun's run in one request, its clock
// stepClock(liveTick)).
type liveChecker struct {
	messages  int
	lastHeavy int // the message that last carried masks or layers (0: none)
	doing     string
	lastStep  int
	points    map[string]int
	masks     []MapMask // the last sent
	maskSends int
	layers    [][]scene.Layer // every layers payload
}

const liveTick = 100 * time.Millisecond

func (c *liveChecker) see(t *testing.T, v CompressProgress) {
	t.Helper()
	c.messages++
	changed := v.Doing != c.doing
	c.doing = v.Doing
	l := v.Live
	if l == nil {
		return
	}
	if c.points == nil {
		c.points = map[string]int{}
	}
	if p := l.Point; p != nil {
		if string(p.Stage) != v.Stage || p.Step != c.lastStep+1 || !(p.Loss > 0) || p.Accuracy < 0 || p.Accuracy > 1 {
			t.Fatalf("message %d (%s): point %+v after step %d", c.messages, v.Stage, *p, c.lastStep)
		}
		c.lastStep = p.Step
		c.points[v.Stage]++
	}
	if l.Masks == nil && l.Layers == nil {
		return
	}
	// Throttled: liveEvery apart, unless a sub-step or stage just ended.
	if gap := c.messages - c.lastHeavy; c.lastHeavy > 0 && gap < int(liveEvery/liveTick) && !changed && v.Figures["stage_done"] != 1 {
		t.Fatalf("message %d (%s %s): masks or layers again %d messages (%v) after the last", c.messages, v.Stage, v.Doing, gap, time.Duration(gap)*liveTick)
	}
	c.lastHeavy = c.messages
	if l.Masks != nil {
		if v.Stage != string(compress.StagePrune) {
			t.Fatalf("masks in %s", v.Stage)
		}
		// The page passes them on as the view's masks message.
		msg := map[string]any{"kind": "masks", "masks": masksForView(l.Masks)}
		decode(t, msg)
		c.masks = l.Masks
		c.maskSends++
	}
	if l.Layers != nil {
		for i := range l.Layers {
			decode(t, scene.Message{Kind: "layer", Layer: &l.Layers[i]})
		}
		c.layers = append(c.layers, l.Layers)
	}
}

func masksForView(m []MapMask) []map[string]string {
	out := make([]map[string]string, len(m))
	for i, x := range m {
		out[i] = map[string]string{"name": x.Name, "kept": x.Mask}
	}
	return out
}

// decode checks that the view accepts msg.
func decode(t *testing.T, msg any) {
	t.Helper()
	text, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scene.Decode(text); err != nil {
		t.Fatalf("the live view refuses %s: %v", text, err)
	}
}

func (c *liveChecker) check(t *testing.T, rep *compress.Report) {
	t.Helper()
	// The view ends on the solver's final selection.
	if c.maskSends == 0 || rep.Solver == nil || len(c.masks) != len(rep.Solver.Kept) {
		t.Fatalf("%d masks payloads, the last of %d maps; the solver kept %+v", c.maskSends, len(c.masks), rep.Solver)
	}
	for i, k := range rep.Solver.Kept {
		if m := c.masks[i]; m.Name != k.Map || strings.Count(m.Mask, "1") != k.Kept || len(m.Mask) != k.Channels {
			t.Errorf("last mask %s %s, the report keeps %d of %d of %s", m.Name, m.Mask, k.Kept, k.Channels, k.Map)
		}
	}
	ft, q := c.points[string(compress.StageFinetune)], c.points[string(compress.StageQuantize)]
	if ft == 0 || q == 0 {
		t.Errorf("points: %d in the fine-tune, %d in QIL", ft, q)
	}
	// Layers from the calibrated start to the trained end, but not every
	// step: the progressive schedule's 8 bits first, the 4 asked last, and
	// the intervals moved between.
	n := len(c.layers)
	if n < 3 || n > q/int(liveEvery/liveTick)+4 {
		t.Fatalf("%d layers payloads over %d QIL batches", n, q)
	}
	first, last := c.layers[0], c.layers[n-1]
	if len(first) == 0 || len(first) != len(last) {
		t.Fatalf("layers: %d first, %d last", len(first), len(last))
	}
	// Every layer of QIL's in the report's order, those kept in float
	// (the first and the last) as such, with no intervals.
	if rep.Quantize == nil || len(last) != len(rep.Quantize.Layers) {
		t.Fatalf("%d layers shown, the report has %+v", len(last), rep.Quantize)
	}
	float := 0
	for i, l := range rep.Quantize.Layers {
		for _, shown := range [][]scene.Layer{first, last} {
			if s := shown[i]; s.Name != l.Node || s.Float != (l.Bits == "32/32") || s.Float && (s.Weight != nil || s.Act != nil) || len(s.Bins) == 0 {
				t.Fatalf("layer %d shown as %s (float %v, weight %v), the report has %+v", i, s.Name, s.Float, s.Weight, l)
			}
		}
		if last[i].Float {
			float++
		}
	}
	if float != 2 || !last[0].Float || !last[len(last)-1].Float {
		t.Errorf("%d layers shown kept in float; want the first and the last", float)
	}
	moved := false
	for i := range first {
		a, b := first[i], last[i]
		if a.Float {
			continue
		}
		if a.Weight.Bits != 8 || a.Act.Bits != 8 || b.Weight.Bits != 4 || b.Act.Bits != 4 {
			t.Errorf("%s: bits %d/%d first, %d/%d last; want 8/8 then 4/4", a.Name, a.Weight.Bits, a.Act.Bits, b.Weight.Bits, b.Act.Bits)
		}
		moved = moved || *a.Weight != *b.Weight || *a.Act != *b.Act
	}
	if !moved {
		t.Error("no interval moved while QIL trained")
	}
	t.Logf("live: %d messages, %d masks and %d layers payloads (%d layers), %d + %d points", c.messages, c.maskSends, n, len(last), ft, q)
}
