package qcqp

import "time"

// clock is a solve's sense of time, shared by every phase that can run
// long (the leaf DP, polishing, the neighbourhood search, the subgradient
// method): the end of the time limit and the cancellation of the Step
// under way. A phase checks over between units of work of at most a few
// milliseconds (a DP stage's block of states, a polish round, one count
// of a hub), so that a time limit holds however large the network and
// however many constraints it has.
type clock struct {
	// now reads the clock: time.Now, or the process's CPU time in the
	// benchmarks (a loaded machine then measures the algorithm).
	now func() time.Time
	// limit is the end of the time limit; zero: none.
	limit time.Time
	// done is the current Step's context's Done; nil: never cancelled.
	done <-chan struct{}
}

func wallClock() *clock { return &clock{now: time.Now} }

// over reports whether the time limit has passed or the Step was
// cancelled: work past it is cut short with a feasible, inexact answer.
func (c *clock) over() bool {
	return (!c.limit.IsZero() && !c.now().Before(c.limit)) || c.cancelled()
}

// cancelled reports whether the Step was cancelled (cheaper than over
// where the time limit is checked already).
func (c *clock) cancelled() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// before reports whether t (zero: never) is still ahead.
func (c *clock) before(t time.Time) bool { return t.IsZero() || c.now().Before(t) }
