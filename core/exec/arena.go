package exec

import (
	"cmp"
	"runtime"
	"slices"

	"github.com/pare-ml/pare/core/tensor"
)

// Planned activation memory. A session's runs on inputs of one shape ask
// the pool for the same float32 buffers in the same order and free them
// at the same points, so after one run recorded that sequence (a trace)
// the pool lays every buffer that was freed out in one arena, at offsets
// where no two buffers alive at the same time overlap, and serves later
// runs from it. Kept as free buffers of assorted sizes instead (the pool's
// way before a plan, and its fallback), DenseNet-121's Concats of growing
// maps left 26 MB in the pool for 8.4 MB of peak live activations; the
// arena is within a few percent of the peak.
//
// A planned run checks each request and each release against the trace.
// Up to the first difference the run's live buffers are exactly the
// trace's, so the offsets are valid; from there on (another input shape,
// a kernel allocating differently) the run is served by the free-list pool
// and the arena is not touched again, and the plan is dropped at the end
// of the run. Buffers the trace never freed (graph outputs, which the
// caller keeps, and kernel temporaries) are allocated anew each run.

// maxPlanFailures is how many plans a pool builds that no later run
// followed to the end before it stops planning (inputs that change shape
// every run). A plan that served whole runs before one left it (an
// evaluation's last, smaller batch) is not a failure.
const maxPlanFailures = 3

// arenaAlign rounds each buffer's offset to 16 floats (64 bytes, a cache
// line), the alignment the allocator gives buffers of that size.
const arenaAlign = 16

// runTrace is the sequence of float32 requests and releases of one run.
type runTrace struct {
	// sizes[r] is the element count of request r.
	sizes []int
	// events lists requests (r >= 0) and releases (^r) in order.
	events []int32
	// owner maps a tensor handed out to the request it serves now (the
	// free-list pool hands the same tensor to several requests in turn).
	owner map[*tensor.Tensor]int32
}

// arenaPlan is a trace with an offset in the arena for each request the
// trace released.
type arenaPlan struct {
	trace runTrace
	arena []float32
	// buf[r] is request r's tensor over the arena, nil for a request
	// served by a new allocation.
	buf []*tensor.Tensor
	// isArena holds every tensor of buf, to tell a release out of order
	// from one of a tensor the plan never handed out.
	isArena map[*tensor.Tensor]bool
	// followed counts the runs that followed the plan to the end.
	followed int
	// predicted is set on a plan laid out from the session's predicted
	// trace (ahead.go) rather than a recorded one.
	predicted bool
}

// beginRun starts a run on inputs: a planned one when there is a plan, else
// one that records its trace (unless planning was given up). The first run
// on inputs of the shapes the session predicted a trace for (ahead.go) is
// planned from that prediction, and records its own trace as well, for the
// next run to be planned from should it leave the prediction.
func (p *bufferPool) beginRun(inputs map[string]*tensor.Tensor) {
	p.pos, p.deviated, p.running = 0, false, true
	if p.plan == nil && p.ahead != nil && p.ahead.matches(inputs) {
		if p.collectTrace {
			// Loading's garbage (the decoded model, shape inference)
			// is not collected before the heap doubles, which the
			// weights make late: collected now, and natively its
			// pages returned, before the arena takes new ones
			// (collect.go).
			collectLoadGarbage()
		}
		p.plan = planArena(&p.ahead.trace)
		p.plan.predicted = true
		p.ahead = nil // once: a later plan is recorded, as any other
	}
	if (p.plan == nil || p.plan.predicted && p.plan.followed == 0) && p.failures < maxPlanFailures {
		p.rec = &runTrace{owner: map[*tensor.Tensor]int32{}}
	}
}

// endRun finishes a run. A recorded run that completed becomes the plan;
// a planned run that deviated from it, or completed without making every
// request and release of the trace, drops it. A run that stopped early
// (an error, a cancelled context) changes nothing: it matched the trace
// as far as it went.
func (p *bufferPool) endRun(completed bool) {
	p.running = false
	rec := p.rec
	p.rec = nil
	if rec != nil && p.plan == nil {
		if completed {
			// The free float32 buffers the run used are the arena's job
			// now. Dropped before the arena is allocated (with the
			// trace's references to them), so that a collection the
			// allocation sets off can take them back first.
			p.f32, p.freeBytes, rec.owner = nil, 0, nil
			p.plan = planArena(rec)
		}
		return
	}
	pl := p.plan
	if pl == nil {
		return
	}
	switch {
	case p.deviated || completed && p.pos != len(pl.trace.events):
		if pl.followed == 0 && !pl.predicted {
			p.failures++ // a wrong prediction says nothing of the inputs
		}
		p.plan = nil
		if rec != nil && completed {
			// A predicted plan the run left: the trace it recorded
			// plans the next run.
			p.f32, p.freeBytes, rec.owner = nil, 0, nil
			p.plan = planArena(rec)
		}
	case completed:
		pl.followed++
	}
}

// retainedBytes is the memory the pool keeps for later runs: the arena and
// the free buffers.
func (p *bufferPool) retainedBytes() int64 {
	var b int64
	if p.plan != nil {
		b = int64(len(p.plan.arena)) * 4
	}
	for _, t := range p.f32 {
		b += int64(cap(t.F32)) * 4
	}
	for _, l := range p.free {
		for _, t := range l {
			b += tensorBytes(t)
		}
	}
	return b
}

// collectTraceBytes is the least that dropFree lets go between two
// collections. A collection alone is short (0.1-0.3 ms on DenseNet-121's
// heap, mostly pointer-free weights), but each also makes the run allocate
// and clear fresh memory where a kept buffer would have served: on
// DenseNet-121, 1 MiB (or a quarter of the live activations) gave a peak
// RSS of 55.1 MiB and a first run of 266-304 ms, 4 MiB (or half) 57.8 MiB
// and 157-235 ms, 8 MiB 61.0 MiB and 133-172 ms, against 78-82 MiB and
// 116-147 ms without dropping (docs/benchmarks.md).
const collectTraceBytes = 4 << 20

// dropFree serves SessionOptions.CollectFirstRun in a run that records its
// trace, when no free buffer serves a float32 request: every free float32
// buffer is dropped. A trace run's free lists serve that run alone, and
// the ones that fit no request now rarely fit a later one: a network's
// maps shrink (ResNet-18: 5.9 MiB kept for 3.8 MiB of live activations)
// or grow (DenseNet-121's Concats: 26.8 MiB kept for 8.0 MiB), and kept,
// they add to the process's peak. Dropped buffers are garbage the
// collector takes only when the heap doubles (GOGC), which the weights
// make large, so once 4 MiB or half the live activations have been
// dropped a collection is forced: the heap then exceeds what is live by no
// more than that, at the cost of collections in that one run (19 for
// DenseNet-121, 1 for ResNet-18) and of allocating what a kept buffer
// would have served.
func (p *bufferPool) dropFree() {
	for _, t := range p.f32 {
		p.dropped += int64(cap(t.F32)) * 4
	}
	clear(p.f32) // the dropped references
	p.f32, p.freeBytes = p.f32[:0], 0
	if p.dropped >= max(collectTraceBytes, p.live/2) {
		p.dropped = 0
		runtime.GC()
	}
}

// planTake serves a float32 request of n elements from the plan, or
// reports false once the run no longer follows it.
func (p *bufferPool) planTake(shape []int, n int, zero bool) (*tensor.Tensor, bool) {
	pl := p.plan
	if p.deviated || !p.running {
		return nil, false
	}
	ev := pl.trace.events
	if p.pos >= len(ev) || ev[p.pos] < 0 || pl.trace.sizes[ev[p.pos]] != n {
		p.deviated = true
		return nil, false
	}
	r := ev[p.pos]
	p.pos++
	t := pl.buf[r]
	if t == nil {
		t = tensor.New(tensor.Float32, shape)
		p.stats.AllocatedBytes += tensorBytes(t)
		return t, true
	}
	if zero {
		clear(t.F32)
	}
	t.Shape = append(t.Shape[:0], shape...)
	p.stats.ReusedBytes += tensorBytes(t)
	return t, true
}

// planPut takes the release of float32 tensor t in a planned run and
// reports whether it dealt with it; false leaves t to the free-list pool.
func (p *bufferPool) planPut(t *tensor.Tensor) bool {
	pl := p.plan
	if !p.running {
		return pl.isArena[t] // an arena buffer never joins the free lists
	}
	if !p.deviated {
		ev := pl.trace.events
		if p.pos < len(ev) && ev[p.pos] < 0 && pl.buf[^ev[p.pos]] == t {
			p.pos++
			return true
		}
	}
	if pl.isArena[t] {
		// Released out of the trace's order: later requests must not get
		// arena memory, which may still be in use.
		p.deviated = true
		return true
	}
	// A tensor the plan did not hand out (a kernel's own allocation, or
	// one made after a deviation): in a run that follows the plan nothing
	// would ever take it from the free lists, so it is dropped.
	return !p.deviated
}

// request and release note a request (served by t) and the release of t
// in the trace.
func (tr *runTrace) request(t *tensor.Tensor, n int) {
	r := int32(len(tr.sizes))
	tr.sizes = append(tr.sizes, n)
	tr.events = append(tr.events, r)
	tr.owner[t] = r
}

func (tr *runTrace) release(t *tensor.Tensor) {
	if r, ok := tr.owner[t]; ok {
		delete(tr.owner, t)
		tr.events = append(tr.events, ^r)
	}
}

// planArena places the requests of tr that were released in one arena,
// greedily by size (largest first, each at the lowest offset where it
// overlaps no placed buffer alive at the same time): the "greedy by size"
// offset planner of Pisarchyk and Lee, "Efficient Memory Management for
// Deep Neural Net Inference" (2020), which on CNNs comes within a few
// percent of the peak.
func planArena(tr *runTrace) *arenaPlan {
	n := len(tr.sizes)
	first, last := make([]int, n), make([]int, n)
	for r := range last {
		last[r] = -1
	}
	for i, e := range tr.events {
		if e >= 0 {
			first[e] = i
		} else {
			last[^e] = i
		}
	}
	size := func(r int) int { return (tr.sizes[r] + arenaAlign - 1) / arenaAlign * arenaAlign }
	var order []int
	for r := range n {
		if last[r] >= 0 && size(r) > 0 {
			order = append(order, r)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size(b), size(a)) })
	offset := make([]int, n)
	var placed []int // by offset
	total := 0
	for _, r := range order {
		best, bestGap, end := -1, 0, 0
		for _, q := range placed {
			if last[q] < first[r] || last[r] < first[q] {
				continue // never alive together
			}
			if gap := offset[q] - end; gap >= size(r) && (best < 0 || gap < bestGap) {
				best, bestGap = end, gap
			}
			end = max(end, offset[q]+size(q))
		}
		if best < 0 {
			best = end
		}
		offset[r] = best
		total = max(total, best+size(r))
		i, _ := slices.BinarySearchFunc(placed, best, func(q, off int) int { return cmp.Compare(offset[q], off) })
		placed = slices.Insert(placed, i, r)
	}
	pl := &arenaPlan{trace: runTrace{sizes: tr.sizes, events: tr.events}, arena: make([]float32, total),
		buf: make([]*tensor.Tensor, n), isArena: make(map[*tensor.Tensor]bool, len(order))}
	for _, r := range order {
		o := offset[r]
		t := &tensor.Tensor{DType: tensor.Float32, F32: pl.arena[o : o+tr.sizes[r] : o+tr.sizes[r]]}
		pl.buf[r] = t
		pl.isArena[t] = true
	}
	// A released request of no elements needs no memory but must still be
	// told from a new allocation.
	for r := range n {
		if last[r] >= 0 && pl.buf[r] == nil {
			t := &tensor.Tensor{DType: tensor.Float32, F32: []float32{}}
			pl.buf[r] = t
			pl.isArena[t] = true
		}
	}
	return pl
}
