package dataset

import (
	"slices"
	"testing"
)

func labelledSet(labels []int, classes int) *Set {
	s := packedSet(Shape{1, 1, 1}, make([]uint8, len(labels)))
	s.Labels = labels
	s.Classes = make([]string, classes)
	return s
}

func TestPermutationIsFixedAcrossPlatforms(t *testing.T) {
	// Golden values: these must never change, or saved training runs stop
	// being reproducible.
	if got, want := Permutation(10, 42), []int{0, 9, 5, 8, 6, 4, 7, 2, 1, 3}; !slices.Equal(got, want) {
		t.Errorf("Permutation(10, 42) = %v, want %v", got, want)
	}
	p := Permutation(1000, 7)
	sorted := slices.Clone(p)
	slices.Sort(sorted)
	for i, v := range sorted {
		if v != i {
			t.Fatalf("Permutation(1000) is not a permutation: sorted[%d] = %d", i, v)
		}
	}
	if slices.Equal(p, Permutation(1000, 8)) {
		t.Error("different seeds gave the same permutation")
	}
	if !slices.Equal(p, Permutation(1000, 7)) {
		t.Error("the same seed gave different permutations")
	}
}

func TestShuffleIsUniform(t *testing.T) {
	// Each of 3 items lands in each position about a third of the time.
	var counts [3][3]int
	const trials = 30000
	for seed := int64(0); seed < trials; seed++ {
		for pos, v := range Permutation(3, seed) {
			counts[v][pos]++
		}
	}
	for v := range counts {
		for pos, c := range counts[v] {
			if c < trials/3-600 || c > trials/3+600 {
				t.Errorf("item %d at position %d %d times of %d, want about a third", v, pos, c, trials)
			}
		}
	}
}

func TestSplitIsStratifiedAndDeterministic(t *testing.T) {
	labels := make([]int, 0, 130)
	for i := 0; i < 100; i++ {
		labels = append(labels, 0)
	}
	for i := 0; i < 30; i++ {
		labels = append(labels, 2)
	}
	set := labelledSet(labels, 3)
	train, val, err := set.Split(0.8, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(train) != 80+24 || len(val) != 20+6 {
		t.Fatalf("train %d val %d, want 104 and 26", len(train), len(val))
	}
	count := func(idx []int, class int) (n int) {
		for _, i := range idx {
			if labels[i] == class {
				n++
			}
		}
		return n
	}
	if count(train, 0) != 80 || count(val, 2) != 6 {
		t.Errorf("not stratified: train has %d of class 0, val %d of class 2", count(train, 0), count(val, 2))
	}
	all := append(slices.Clone(train), val...)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("train and val do not partition the set (index %d -> %d)", i, v)
		}
	}
	train2, _, _ := set.Split(0.8, 1)
	train3, _, _ := set.Split(0.8, 2)
	if !slices.Equal(train, train2) || slices.Equal(train, train3) {
		t.Error("split is not determined by its seed")
	}
	if !slices.IsSorted(train) || !slices.IsSorted(val) {
		t.Error("split lists are not in ascending order")
	}
	if _, _, err := set.Split(1.5, 1); err == nil {
		t.Error("fraction 1.5 accepted")
	}
}

func TestSplitMix64ReferenceOutput(t *testing.T) {
	// The published SplitMix64 sequence for seed 0.
	r := splitMix64{}
	for _, want := range []uint64{0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F} {
		if got := r.next(); got != want {
			t.Fatalf("next() = %#x, want %#x", got, want)
		}
	}
}
