package hostile

import (
	"testing"
	"time"
)

// TestWrite checks the suite generates, with unique names, quickly.
func TestWrite(t *testing.T) {
	start := time.Now()
	cases, err := Write(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 100 {
		t.Fatalf("%d cases", len(cases))
	}
	t.Logf("%d cases written in %v", len(cases), time.Since(start))
}
