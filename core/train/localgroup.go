package train

import (
	"context"
	"fmt"
	"sync"
)

// LocalGroup is a Reducer for workers in one process (goroutines): the
// last worker to arrive at an AllReduce sums every worker's buffers in
// rank order, in float64, and writes the sums into all of them. A worker
// whose context ends aborts the group, so the others stop too instead of
// waiting for it.
type LocalGroup struct {
	mu      sync.Mutex
	workers int
	f32     [][]float32
	f64     [][]float64
	arrived int
	release chan struct{}
	err     error
}

// NewLocalGroup makes a group of workers members.
func NewLocalGroup(workers int) *LocalGroup {
	return &LocalGroup{workers: workers, f32: make([][]float32, workers), f64: make([][]float64, workers), release: make(chan struct{})}
}

// Member is worker rank's Reducer.
func (g *LocalGroup) Member(rank int) Reducer { return member{g, rank} }

// Abort ends the group: waiting and later AllReduces return err.
func (g *LocalGroup) Abort(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err == nil {
		g.err = err
		close(g.release)
	}
}

type member struct {
	g    *LocalGroup
	rank int
}

func (m member) AllReduce(ctx context.Context, f32 []float32, f64 []float64) error {
	g := m.g
	g.mu.Lock()
	if g.err != nil {
		g.mu.Unlock()
		return g.err
	}
	g.f32[m.rank], g.f64[m.rank] = f32, f64
	g.arrived++
	release := g.release
	if g.arrived == g.workers {
		err := g.sum()
		g.arrived = 0
		if err != nil {
			g.err = err
		}
		close(release)
		g.release = make(chan struct{})
		g.mu.Unlock()
		return err
	}
	g.mu.Unlock()
	select {
	case <-release:
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.err
	case <-ctx.Done():
		g.Abort(fmt.Errorf("train: worker %d stopped: %w", m.rank, ctx.Err()))
		return ctx.Err()
	}
}

// sum adds the buffers up in rank order and hands the sums to everyone.
func (g *LocalGroup) sum() error {
	for k := range g.workers {
		if len(g.f32[k]) != len(g.f32[0]) || len(g.f64[k]) != len(g.f64[0]) {
			return fmt.Errorf("train: worker %d sent %d+%d values, worker 0 %d+%d: the workers are not running the same job", k, len(g.f32[k]), len(g.f64[k]), len(g.f32[0]), len(g.f64[0]))
		}
	}
	for i := range g.f32[0] {
		var s float64
		for k := range g.workers {
			s += float64(g.f32[k][i])
		}
		for k := range g.workers {
			g.f32[k][i] = float32(s)
		}
	}
	for i := range g.f64[0] {
		var s float64
		for k := range g.workers {
			s += g.f64[k][i]
		}
		for k := range g.workers {
			g.f64[k][i] = s
		}
	}
	return nil
}
