package qil

// MinBits and MaxBits bound the bit widths of weights and activations.
const (
	MinBits = 2
	MaxBits = 8
)
