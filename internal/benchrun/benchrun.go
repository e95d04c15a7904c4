package benchrun

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Options say how long to warm up and to measure. The zero value times at
// least 10 runs over at least 3 s with no warm-up; set Warmup to Auto to
// warm up until stable (what pare bench does by default).
type Options struct {
	// Warmup is a fixed number of untimed runs (0: none); Auto means warm
	// up until stable.
	Warmup int
	// MaxWarmup caps the automatic warm-up (default 20 s).
	MaxWarmup time.Duration
	// Runs is the least number of timed runs (default 10).
	Runs int
	// MinTime is the least duration of the timed runs (default 3 s);
	// negative means the timed phase is exactly Runs runs.
	MinTime time.Duration
	// Now is the clock (tests replace it); nil is time.Now.
	Now func() time.Time
}

// Auto is Options.Warmup for a warm-up that stops when stable.
const Auto = -1

// Automatic warm-up compares the medians of the last two windows of runs,
// each about window long (and at least minWindowRuns runs); it stops when
// the newer median is no more than tolerance faster than the older one,
// after at least minWarmup.
const (
	window        = 200 * time.Millisecond
	minWindowRuns = 3
	minWarmup     = 300 * time.Millisecond
	tolerance     = 0.03
	// unstable is the relative difference between the medians of the two
	// halves of the timed runs beyond which a result is flagged.
	unstable = 0.05
	// fewRuns is the count below which p10 and p90 are not meaningful.
	fewRuns = 10
)

// Report is what a measurement found. Times are in milliseconds.
type Report struct {
	WarmupRuns int
	WarmupTime time.Duration
	// Warmed is false when the automatic warm-up hit MaxWarmup before the
	// run time settled.
	Warmed bool
	Times  []float64
	// Stable is false when the two halves of the timed runs disagree, or
	// too few runs were timed; Note says which and what to do.
	Stable bool
	Note   string
}

// Measure warms up and times run. An error from run stops it.
func Measure(run func() error, o Options) (Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxWarmup <= 0 {
		o.MaxWarmup = 20 * time.Second
	}
	if o.Runs <= 0 {
		o.Runs = 10
	}
	if o.MinTime == 0 {
		o.MinTime = 3 * time.Second
	}
	timed := func() (float64, error) {
		t0 := o.Now()
		if err := run(); err != nil {
			return 0, err
		}
		return float64(o.Now().Sub(t0).Nanoseconds()) / 1e6, nil
	}

	var r Report
	start := o.Now()
	if o.Warmup >= 0 {
		for range o.Warmup {
			if _, err := timed(); err != nil {
				return r, err
			}
		}
		r.WarmupRuns, r.Warmed = o.Warmup, true
	} else {
		var warm []float64
		for {
			ms, err := timed()
			if err != nil {
				return r, err
			}
			warm = append(warm, ms)
			elapsed := o.Now().Sub(start)
			if elapsed >= minWarmup && settled(warm) {
				r.Warmed = true
				break
			}
			if elapsed >= o.MaxWarmup {
				break
			}
		}
		r.WarmupRuns = len(warm)
	}
	r.WarmupTime = o.Now().Sub(start)

	t0 := o.Now()
	for len(r.Times) < o.Runs || (o.MinTime > 0 && o.Now().Sub(t0) < o.MinTime) {
		ms, err := timed()
		if err != nil {
			return r, err
		}
		r.Times = append(r.Times, ms)
	}
	r.Stable, r.Note = judge(r)
	return r, nil
}

// settled reports whether the median of the newest window of runs is no
// more than tolerance faster than the median of the window before it.
func settled(ms []float64) bool {
	n := windowRuns(ms)
	if len(ms) < 2*n {
		return false
	}
	newer := median(ms[len(ms)-n:])
	older := median(ms[len(ms)-2*n : len(ms)-n])
	return older-newer <= tolerance*older
}

// windowRuns is how many of the latest runs make a window: about window's
// worth at their current speed.
func windowRuns(ms []float64) int {
	last := ms[len(ms)-1]
	if last <= 0 {
		return minWindowRuns
	}
	n := int(float64(window.Milliseconds()) / last)
	return max(n, minWindowRuns)
}

func judge(r Report) (bool, string) {
	var notes []string
	if !r.Warmed {
		notes = append(notes, fmt.Sprintf("the run time was still falling after %d warm-up runs (%.1f s)", r.WarmupRuns, r.WarmupTime.Seconds()))
	}
	if len(r.Times) < fewRuns {
		notes = append(notes, fmt.Sprintf("only %d timed runs: p10 and p90 are rough", len(r.Times)))
	} else {
		h := len(r.Times) / 2
		a, b := median(r.Times[:h]), median(r.Times[h:])
		if d := math.Abs(b-a) / math.Min(a, b); d > unstable {
			notes = append(notes, fmt.Sprintf("the second half of the timed runs has a median %.0f %% %s than the first", 100*d, map[bool]string{true: "slower", false: "faster"}[b > a]))
		}
	}
	if len(notes) == 0 {
		return true, ""
	}
	msg := notes[0]
	for _, n := range notes[1:] {
		msg += "; " + n
	}
	return false, msg + ": measure longer (--time) on a quiet machine"
}

func median(v []float64) float64 {
	return Quantile(v, 0.5)
}

// Quantile is the p-quantile of v by linear interpolation between order
// statistics (v is not modified).
func Quantile(v []float64, p float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	pos := p * float64(len(s)-1)
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}
