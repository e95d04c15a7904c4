package train

import "github.com/pare-ml/pare/core/tensor"

// bufferPool recycles the activation and gradient buffers this package
// allocates itself (BatchNorm and residual-Add outputs, input gradients)
// from one training step to the next, so a step does not allocate and
// zero its activations afresh. Buffers handed out during a forward pass
// return to the pool when the next forward pass starts, those of a
// backward pass when the next backward pass starts: a Pass stays valid
// until the next Forward, which is what a training loop needs.
type bufferPool struct {
	enabled bool
	free    map[int][][]float32
	fwd     [][]float32 // handed out since the last Forward began
	bwd     [][]float32 // handed out since the last Backward began
}

// phase says which pass a buffer belongs to.
type phase int

const (
	phaseForward phase = iota
	phaseBackward
)

// startPass returns the previous pass's buffers of phase ph to the pool.
func (b *bufferPool) startPass(ph phase) {
	if !b.enabled {
		return
	}
	if b.free == nil {
		b.free = map[int][][]float32{}
	}
	list := &b.fwd
	if ph == phaseBackward {
		list = &b.bwd
	}
	for _, buf := range *list {
		b.free[len(buf)] = append(b.free[len(buf)], buf)
	}
	*list = (*list)[:0]
}

// get returns a float32 tensor of shape. Unless zero is set its contents
// are undefined (a recycled buffer): callers that write every element
// pass zero=false.
func (b *bufferPool) get(ph phase, shape []int, zero bool) *tensor.Tensor {
	if !b.enabled {
		return tensor.New(tensor.Float32, shape)
	}
	n := tensor.NumElements(shape)
	var buf []float32
	if list := b.free[n]; len(list) > 0 {
		buf = list[len(list)-1]
		b.free[n] = list[:len(list)-1]
		if zero {
			clear(buf)
		}
	} else {
		buf = make([]float32, n)
	}
	if ph == phaseForward {
		b.fwd = append(b.fwd, buf)
	} else {
		b.bwd = append(b.bwd, buf)
	}
	return &tensor.Tensor{DType: tensor.Float32, Shape: append([]int(nil), shape...), F32: buf}
}

// forwardAlloc is an exec.Context's Alloc for the kernels this package
// runs in a forward pass: float32 outputs from the pool, zeroed as
// Context.Alloc promises, valid until the next forward pass as the
// net's own.
func (n *Net) forwardAlloc(dt tensor.DType, shape []int) *tensor.Tensor {
	if dt != tensor.Float32 {
		return tensor.New(dt, shape)
	}
	return n.pool.get(phaseForward, shape, true)
}
