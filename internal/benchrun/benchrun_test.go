package benchrun

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// fake is a clock advanced by the simulated run times of a profile.
type fake struct {
	now     time.Time
	runs    int
	profile func(i int) time.Duration
}

func (f *fake) Now() time.Time { return f.now }
func (f *fake) run() error {
	f.now = f.now.Add(f.profile(f.runs))
	f.runs++
	return nil
}

// jit is a 1 ms model whose first 300 runs are slower (up to 2x), falling
// linearly, as V8's tier-up makes mnist-8's times fall.
func jit(i int) time.Duration {
	us := 1000.0
	if i < 300 {
		us += 1000 * float64(300-i) / 300
	}
	return time.Duration(us * float64(time.Microsecond))
}

func TestAutoWarmupWaitsForTierUp(t *testing.T) {
	f := &fake{profile: jit}
	r, err := Measure(f.run, Options{Warmup: Auto, Now: f.Now})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Warmed || r.WarmupRuns < 250 {
		t.Fatalf("warm-up stopped after %d runs (warmed %v); the times fall until run 300", r.WarmupRuns, r.Warmed)
	}
	if r.WarmupRuns > 900 {
		t.Fatalf("warm-up ran %d runs on a model flat after 300", r.WarmupRuns)
	}
	if med := Quantile(r.Times, 0.5); med > 1.05 {
		t.Fatalf("timed median %.3f ms, want the settled 1 ms", med)
	}
	if !r.Stable || r.Note != "" {
		t.Fatalf("flat timed phase judged unstable: %q", r.Note)
	}
	// A fixed warm-up of 3 runs (the old default) measures the compiler.
	f = &fake{profile: jit}
	r, _ = Measure(f.run, Options{Warmup: 3, Runs: 30, MinTime: -1, Now: f.Now})
	if med := Quantile(r.Times, 0.5); med < 1.8 {
		t.Fatalf("3-run warm-up median %.3f: the fake profile is not what this test assumes", med)
	}
}

func TestNoisyStationaryStopsEarly(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	f := &fake{profile: func(int) time.Duration {
		return time.Duration((5 + rng.Float64()) * float64(time.Millisecond))
	}}
	r, err := Measure(f.run, Options{Warmup: Auto, Now: f.Now})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Warmed || r.WarmupTime > 2*time.Second {
		t.Fatalf("stationary noise: warm-up %v over %d runs", r.WarmupTime, r.WarmupRuns)
	}
	if got := f.now.Sub(time.Time{}) - r.WarmupTime; got < 3*time.Second {
		t.Fatalf("timed phase %v, want at least the default 3 s", got)
	}
}

func TestNeverSettlingIsReported(t *testing.T) {
	f := &fake{profile: func(i int) time.Duration { return time.Duration(50e6 / (1 + float64(i)/10)) }}
	r, err := Measure(f.run, Options{Warmup: Auto, MaxWarmup: time.Second, Runs: 10, MinTime: -1, Now: f.Now})
	if err != nil {
		t.Fatal(err)
	}
	if r.Warmed || r.Stable || !strings.Contains(r.Note, "still falling") {
		t.Fatalf("run time falling throughout, got warmed=%v stable=%v note %q", r.Warmed, r.Stable, r.Note)
	}
}

func TestDriftAndFewRunsAreFlagged(t *testing.T) {
	f := &fake{profile: func(i int) time.Duration {
		if i >= 20 {
			return 2 * time.Millisecond
		}
		return time.Millisecond
	}}
	r, _ := Measure(f.run, Options{Warmup: 0, Runs: 40, MinTime: -1, Now: f.Now})
	if r.Stable || !strings.Contains(r.Note, "slower") {
		t.Fatalf("a machine that got busy halfway: stable=%v note %q", r.Stable, r.Note)
	}
	f = &fake{profile: func(int) time.Duration { return time.Millisecond }}
	r, _ = Measure(f.run, Options{Warmup: 0, Runs: 3, MinTime: -1, Now: f.Now})
	if len(r.Times) != 3 || r.Stable || !strings.Contains(r.Note, "only 3") {
		t.Fatalf("3 runs: %d times, stable=%v note %q", len(r.Times), r.Stable, r.Note)
	}
}

func TestRunErrorStops(t *testing.T) {
	boom := errors.New("boom")
	n := 0
	_, err := Measure(func() error {
		n++
		if n == 5 {
			return boom
		}
		return nil
	}, Options{Warmup: Auto})
	if !errors.Is(err, boom) || n != 5 {
		t.Fatalf("err %v after %d runs", err, n)
	}
}
