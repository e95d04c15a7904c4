package nn

import (
	"slices"
	"testing"
)

func TestZeroTaps(t *testing.T) {
	// Two filters, two input channels, 2x2 kernels (4 taps).
	w := []float32{
		0, 1, 0, 2, // filter 0, channel 0
		0, 0, 0, 3, // filter 0, channel 1
		0, 0, 5, 0, // filter 1, channel 0
		0, 0, 0, 0, // filter 1, channel 1
	}
	// Filter 0: taps 0 and 2 are zero in both channels; tap 1 is zero in
	// channel 1 only. Filter 1: all but tap 2.
	if got, want := ZeroTaps(w, 2, 2, 4), []int{0, 2, 4, 5, 7}; !slices.Equal(got, want) {
		t.Errorf("ZeroTaps = %v, want %v", got, want)
	}
	if got := ZeroTaps(w[:15], 2, 2, 4); got != nil {
		t.Errorf("short weight: %v, want nil", got)
	}
	if got := ZeroTaps(w, 0, 2, 4); got != nil {
		t.Errorf("no filters: %v, want nil", got)
	}
}
