package qcqp

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// The count-level bound frozen at its best evaluation, maximised over a
// box of hub counts, is at least the best selection whose hub counts lie
// in the box (enumeration), on small random networks with one or two
// constraints and with one constraint per node, for every single count
// vector and for random boxes, with one cell per count and with cells of
// several counts; and over the whole range it is the root bound itself.
func TestCountBoxAdmissible(t *testing.T) {
	for _, cells := range []int{countCells, 2} {
		was := countCells
		countCells = cells // 2: cells of several counts, as on wide maps
		checkCountBoxes(t, rand.New(rand.NewPCG(59, uint64(cells))))
		countCells = was
	}
}

func checkCountBoxes(t *testing.T, r *rand.Rand) {
	t.Helper()
	checked := 0
	for trial := range 160 {
		p := randomSmall(r, 12)
		if trial%2 == 1 {
			p = withNodeBudgets(r, p)
		}
		md := compile(p)
		cr := newCountRelax(md)
		if cr == nil || len(md.hubs) == 0 {
			continue
		}
		root := cr.bound(time.Time{})
		if !cr.freeze() {
			continue
		}
		best := bestPerHubCounts(p, md)
		lo, hi := make([]int, len(md.free)), make([]int, len(md.free))
		for _, h := range md.hubs {
			lo[h], hi[h] = md.floor[h], md.size[h]
		}
		if b := cr.boxBound(lo, hi); math.Abs(b-root) > 1e-9*math.Max(1, math.Abs(root)) {
			t.Fatalf("trial %d: whole-range box %.12g, root bound %.12g", trial, b, root)
		}
		for k, want := range best {
			for hp, h := range md.hubs {
				lo[h], hi[h] = int(k[hp]), int(k[hp])
			}
			if b := cr.boxBound(lo, hi); b < want-1e-9*math.Max(1, want) {
				t.Fatalf("trial %d: counts %v: bound %.12g below %.12g", trial, []byte(k), b, want)
			}
			checked++
		}
		for range 20 {
			for _, h := range md.hubs {
				a, b := md.floor[h]+r.IntN(md.size[h]-md.floor[h]+1), md.floor[h]+r.IntN(md.size[h]-md.floor[h]+1)
				lo[h], hi[h] = min(a, b), max(a, b)
			}
			want := math.Inf(-1)
			for k, v := range best {
				in := true
				for hp, h := range md.hubs {
					in = in && int(k[hp]) >= lo[h] && int(k[hp]) <= hi[h]
				}
				if in {
					want = max(want, v)
				}
			}
			if b := cr.boxBound(lo, hi); b < want-1e-9*math.Max(1, math.Abs(want)) {
				t.Fatalf("trial %d: box %v..%v: bound %.12g below %.12g", trial, lo, hi, b, want)
			}
			checked++
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d boxes checked", checked)
	}
	t.Logf("%d boxes checked with at most %d cells per map", checked, countCells)
}
