package dataset

import (
	"fmt"
	"math"
)

// Split divides the set into train and validation index lists, stratified:
// each class gives round(trainFraction * its count) images to train and the
// rest to validation, chosen by a seeded shuffle that is the same on every
// platform. Both lists are in ascending order.
func (s *Set) Split(trainFraction float64, seed int64) (train, val []int, err error) {
	if math.IsNaN(trainFraction) || trainFraction < 0 || trainFraction > 1 {
		return nil, nil, fmt.Errorf("dataset: train fraction %v must be within 0..1", trainFraction)
	}
	byClass := make([][]int, len(s.Classes))
	for i, l := range s.Labels {
		byClass[l] = append(byClass[l], i)
	}
	inTrain := make([]bool, s.N())
	for class, members := range byClass {
		// Each class gets its own stream, so adding images of one class
		// does not reshuffle another.
		Shuffle(members, seed^int64(class+1)*0x5851F42D4C957F2D)
		keep := int(math.Round(trainFraction * float64(len(members))))
		for _, i := range members[:keep] {
			inTrain[i] = true
		}
	}
	for i, t := range inTrain {
		if t {
			train = append(train, i)
		} else {
			val = append(val, i)
		}
	}
	return train, val, nil
}

// Permutation is a seeded random permutation of 0..n-1, the same on every
// platform and Go version: use seed+epoch for a fresh order each epoch.
func Permutation(n int, seed int64) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	Shuffle(p, seed)
	return p
}

// Shuffle reorders indices in place by a seeded Fisher-Yates shuffle.
func Shuffle(indices []int, seed int64) {
	rng := splitMix64{state: uint64(seed)}
	for i := len(indices) - 1; i > 0; i-- {
		j := int(rng.below(uint64(i + 1)))
		indices[i], indices[j] = indices[j], indices[i]
	}
}

// splitMix64 is Steele, Lea and Flood's SplitMix64 generator. It is defined
// here rather than taken from math/rand so that shuffles never change with
// the Go version.
type splitMix64 struct{ state uint64 }

func (r *splitMix64) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	z := r.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// below returns a uniform value in [0,n) without modulo bias, by rejecting
// the few values of the top partial range.
func (r *splitMix64) below(n uint64) uint64 {
	limit := -n % n // 2^64 mod n: values under it would be over-represented
	for {
		v := r.next()
		if v >= limit {
			return v % n
		}
	}
}
