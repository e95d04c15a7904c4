package train

import (
	"fmt"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/tensor"
)

// Augment is the optional random augmentation of training batches.
type Augment struct {
	// PadCrop shifts each image by up to PadCrop pixels in each direction,
	// filling with black: a random crop of the image padded by PadCrop.
	PadCrop int
	// HFlip mirrors each image left-right with probability 1/2.
	HFlip bool
}

// Loader cuts a labelled set into mini-batches for a model: seeded
// shuffling per epoch, preprocessing, augmentation. A batch depends only
// on (Seed, epoch, step), so a run can be resumed or repeated exactly.
type Loader struct {
	Set        *dataset.Set
	Indices    []int // the images to use (nil: all)
	Preprocess dataset.Preprocess
	BatchSize  int
	Shuffle    bool
	Augment    Augment
	Seed       int64
	// DropLast skips a last, smaller batch (BatchNormalization statistics
	// of a handful of images are noisy).
	DropLast bool
	// Shard of Shards (when Shards > 1) makes Batch return that
	// contiguous share of each batch, augmented as in the whole batch: a
	// data-parallel worker's part (Parallel). Len and Steps stay the
	// whole run's.
	Shard, Shards int
}

func (l *Loader) indices() []int {
	if l.Indices != nil {
		return l.Indices
	}
	all := make([]int, l.Set.N())
	for i := range all {
		all[i] = i
	}
	return all
}

// Len is the number of images per epoch.
func (l *Loader) Len() int {
	if l.Indices != nil {
		return len(l.Indices)
	}
	return l.Set.N()
}

// Steps is the number of batches per epoch.
func (l *Loader) Steps() int {
	if l.BatchSize <= 0 {
		return 0
	}
	if l.DropLast {
		return l.Len() / l.BatchSize
	}
	return (l.Len() + l.BatchSize - 1) / l.BatchSize
}

// BatchLen is the number of images in batch step of an epoch, all shards
// together.
func (l *Loader) BatchLen(step int) int {
	return min(l.BatchSize, l.Len()-step*l.BatchSize)
}

// Batch returns batch step of epoch (this loader's shard of it): the
// preprocessed images and their labels.
func (l *Loader) Batch(epoch, step int) (*tensor.Tensor, []int, error) {
	if l.Set == nil || l.BatchSize <= 0 {
		return nil, nil, fmt.Errorf("train: the loader needs a set and a positive batch size")
	}
	if step < 0 || step >= l.Steps() {
		return nil, nil, fmt.Errorf("train: batch %d of an epoch of %d", step, l.Steps())
	}
	order := l.indices()
	if l.Shuffle {
		perm := dataset.Permutation(len(order), l.Seed+int64(epoch)*1_000_003)
		shuffled := make([]int, len(order))
		for i, p := range perm {
			shuffled[i] = order[p]
		}
		order = shuffled
	}
	lo := step * l.BatchSize
	hi := min(lo+l.BatchSize, len(order))
	pick := order[lo:hi]
	skip := 0 // images of the batch before this shard's
	if l.Shards > 1 {
		a, b := shardRange(len(pick), l.Shard, l.Shards)
		if a == b {
			return nil, nil, fmt.Errorf("train: batch %d has %d images, too few for %d workers", step, len(pick), l.Shards)
		}
		pick, skip = pick[a:b], a
	}
	shape, err := l.Set.BatchShape(len(pick), l.Preprocess)
	if err != nil {
		return nil, nil, err
	}
	x := tensor.New(tensor.Float32, shape)
	if err := l.Set.Batch(pick, l.Preprocess, x.F32); err != nil {
		return nil, nil, err
	}
	labels := make([]int, len(pick))
	for i, idx := range pick {
		labels[i] = l.Set.Labels[idx]
	}
	if l.Augment.PadCrop > 0 || l.Augment.HFlip {
		if l.Preprocess.Layout != "" && l.Preprocess.Layout != "NCHW" {
			return nil, nil, fmt.Errorf("train: augmentation needs NCHW batches, the preprocessing gives %s", l.Preprocess.Layout)
		}
		r := newRNG(l.Seed ^ int64(epoch)<<32 ^ int64(step)*7919 + 1)
		skipAugment(r, l.Augment, skip)
		augment(x, l.Augment, l.blackLevel(shape[1]), r)
	}
	return x, labels, nil
}

// blackLevel is what a 0 pixel becomes after preprocessing, per channel:
// the fill of the padding.
func (l *Loader) blackLevel(channels int) []float32 {
	out := make([]float32, channels)
	p := l.Preprocess
	for c := range out {
		var mean float32
		std := float32(1)
		if len(p.Mean) == 1 {
			mean = p.Mean[0]
		} else if c < len(p.Mean) {
			mean = p.Mean[c]
		}
		if len(p.Std) == 1 {
			std = p.Std[0]
		} else if c < len(p.Std) && p.Std[c] != 0 {
			std = p.Std[c]
		}
		out[c] = -mean / std
	}
	return out
}

// skipAugment draws what augmenting the first images of a batch draws, so
// that a shard's images get the shifts and flips they get in the whole
// batch.
func skipAugment(r *rng, a Augment, images int) {
	draws := 0
	if a.PadCrop > 0 {
		draws += 2
	}
	if a.HFlip {
		draws++
	}
	for range images * draws {
		r.next()
	}
}

// augment shifts and flips each image of an NCHW batch in place.
func augment(x *tensor.Tensor, a Augment, fillv []float32, r *rng) {
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	plane := make([]float32, h*w)
	for i := 0; i < n; i++ {
		dy, dx := 0, 0
		if a.PadCrop > 0 {
			dy = r.intn(2*a.PadCrop+1) - a.PadCrop
			dx = r.intn(2*a.PadCrop+1) - a.PadCrop
		}
		flip := a.HFlip && r.intn(2) == 1
		for c := 0; c < ch; c++ {
			img := x.F32[((i*ch)+c)*h*w : ((i*ch)+c+1)*h*w]
			copy(plane, img)
			for y := 0; y < h; y++ {
				sy := y + dy
				for xx := 0; xx < w; xx++ {
					sx := xx + dx
					if flip {
						sx = w - 1 - xx + dx
					}
					if sy < 0 || sy >= h || sx < 0 || sx >= w {
						img[y*w+xx] = fillv[c]
					} else {
						img[y*w+xx] = plane[sy*w+sx]
					}
				}
			}
		}
	}
}
