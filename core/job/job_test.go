package job

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// countdown is a Stepper of n steps.
type countdown struct{ n, done int64 }

func (c *countdown) Step(ctx context.Context) (Progress, error) {
	if err := ctx.Err(); err != nil {
		return Progress{}, err
	}
	c.done++
	return Progress{Stage: "count", Done: c.done, Total: c.n}, nil
}

func (c *countdown) Done() bool { return c.done >= c.n }

func TestRunReportsEveryStep(t *testing.T) {
	c := &countdown{n: 5}
	var seen []int64
	if err := Run(context.Background(), c, func(p Progress) { seen = append(seen, p.Done) }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 5 || seen[4] != 5 {
		t.Fatalf("reports %v, want 1..5", seen)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := &countdown{n: 100}
	err := Run(ctx, c, func(p Progress) {
		if p.Done == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || c.done != 3 {
		t.Fatalf("err %v after %d steps, want Canceled after 3", err, c.done)
	}
}

func TestFraction(t *testing.T) {
	for _, tc := range []struct {
		p    Progress
		want float64
	}{
		{Progress{Done: 1, Total: 4}, 0.25},
		{Progress{Done: 9, Total: Unknown}, -1},
		{Progress{Done: 0, Total: 0}, -1},
		{Progress{Done: 7, Total: 5}, 1},
	} {
		if got := tc.p.Fraction(); got != tc.want {
			t.Errorf("%+v: Fraction %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestProgressJSONKeys(t *testing.T) {
	b, err := json.Marshal(Progress{Stage: "search", Done: 2, Total: Unknown, Figures: map[string]float64{"gap": 0.01}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"stage":"search","done":2,"total":-1,"elapsedNs":0,"figures":{"gap":0.01}}`
	if string(b) != want {
		t.Fatalf("json %s, want %s", b, want)
	}
}
