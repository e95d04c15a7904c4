package main

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/units"
)

// dataMemoryBudget bounds what one Go instance spends on a data set's
// pixels: each worker holds its own copy, and the browser gives a wasm
// instance at most 4 GiB.
const dataMemoryBudget = 1 << 30

// PreprocessView is dataset.Preprocess as the page edits it.
type PreprocessView struct {
	Height       int       `json:"height"`
	Width        int       `json:"width"`
	Channels     int       `json:"channels"`
	ChannelOrder string    `json:"channelOrder"`
	Layout       string    `json:"layout"`
	Scale        float32   `json:"scale"`
	Mean         []float32 `json:"mean"`
	Std          []float32 `json:"std"`
}

func (p PreprocessView) toDataset() dataset.Preprocess {
	return dataset.Preprocess{Height: p.Height, Width: p.Width, Channels: p.Channels,
		ChannelOrder: p.ChannelOrder, Layout: p.Layout, Scale: p.Scale, Mean: p.Mean, Std: p.Std}
}

func preprocessView(p dataset.Preprocess) *PreprocessView {
	return &PreprocessView{Height: p.Height, Width: p.Width, Channels: p.Channels,
		ChannelOrder: p.ChannelOrder, Layout: p.Layout, Scale: p.Scale, Mean: p.Mean, Std: p.Std}
}

// defaultPreprocess reads the preprocessing a model's input shape implies.
func defaultPreprocess(inputShape []int) (*PreprocessView, bool) {
	if len(inputShape) == 0 {
		return nil, false
	}
	return preprocessView(dataset.DefaultPreprocess(inputShape)), true
}

// DataView is what the page shows of an opened data set.
type DataView struct {
	Format      string          `json:"format"`
	Source      string          `json:"source"`
	Count       int             `json:"count"`
	Classes     []string        `json:"classes"`
	ClassCounts []int           `json:"classCounts"`
	ImageShape  string          `json:"imageShape"` // "1x28x28", or "mixed"
	Notes       []string        `json:"notes,omitempty"`
	Preprocess  *PreprocessView `json:"preprocess"`
	// Warnings say where the data and the model disagree in a way the
	// preprocessing papers over (size, colour): evaluation still runs.
	Warnings []string `json:"warnings,omitempty"`
}

// OpenData reads a labelled image set from the files given (a folder's
// files, a .zip, IDX or CIFAR-10 files) with the preprocessing p (nil: the
// model's default).
func (s *Service) OpenData(files []File, p *PreprocessView) (*DataView, error) {
	s.data = nil
	if len(files) == 0 {
		return nil, userErrorf("empty-data", "the folder or selection holds no files; give a folder of class sub-folders of PNG/JPEG images, a .zip of one, MNIST IDX files or CIFAR-10 batches")
	}
	fsys, err := filesFS(files)
	if err != nil {
		return nil, err
	}
	root := dataRoot(files)
	set, err := dataset.Options{MemoryBudget: dataMemoryBudget}.Open(fsys, root)
	if err != nil {
		var be *dataset.BudgetError
		if errors.As(err, &be) {
			return nil, userErrorf("too-large", "This data set is too large for the browser: %s would need %s, and a page can use about %s per worker. Use a subset, or the pare CLI (pare eval).", be.What, units.Bytes(be.Need), units.Bytes(int64(dataMemoryBudget)))
		}
		return nil, userErrorf("bad-data", "Cannot read these files as labelled images: %s", strings.TrimPrefix(err.Error(), "dataset: "))
	}
	if set.N() == 0 {
		return nil, userErrorf("empty-data", "No labelled images found in %s: expected one sub-folder of PNG/JPEG images per class, MNIST IDX files or CIFAR-10 batches", root)
	}
	var pre dataset.Preprocess
	switch {
	case p != nil:
		pre = p.toDataset()
	case s.inputShape != nil:
		pre = dataset.DefaultPreprocess(s.inputShape)
	default:
		pre = dataset.Preprocess{Scale: 1}
	}
	if _, err := set.BatchShape(1, pre); err != nil {
		return nil, userErrorf("bad-preprocess", "The preprocessing does not fit these images: %s", strings.TrimPrefix(err.Error(), "dataset: "))
	}
	if k := s.outputClasses(); k > 0 && len(set.Classes) > k {
		return nil, &UserError{Code: "data-mismatch", Message: fmt.Sprintf("These images do not match the model: the data has %d classes (%s) but the model predicts only %d. Open data with at most %d classes, or a model trained on these classes.", len(set.Classes), classList(set.Classes), k, k)}
	}
	s.data, s.preprocess = set, pre
	view := &DataView{Format: set.Format, Source: set.Source, Count: set.N(), Classes: set.Classes,
		ClassCounts: set.ClassCounts(), Notes: set.Notes, Preprocess: preprocessView(pre), ImageShape: "mixed"}
	if shape, ok := set.Shape(); ok {
		view.ImageShape = shape.String()
	}
	view.Warnings = s.mismatchWarnings(set, pre)
	return view, nil
}

// dataRoot is the path inside the dropped files to open: the single file,
// or the one folder everything sits in, or the root.
func dataRoot(files []File) string {
	if len(files) == 1 {
		return cleanPath(files[0].Path)
	}
	top := ""
	for i, f := range files {
		first, _, nested := strings.Cut(cleanPath(f.Path), "/")
		if !nested {
			return "."
		}
		if i == 0 {
			top = first
		} else if first != top {
			return "."
		}
	}
	if top == "" {
		return "."
	}
	return path.Clean(top)
}

// mismatchWarnings compares the images with what the model takes.
func (s *Service) mismatchWarnings(set *dataset.Set, p dataset.Preprocess) []string {
	if s.model == nil {
		return nil
	}
	var w []string
	if shape, ok := set.Shape(); ok && p.Height > 0 && p.Width > 0 {
		if shape.H != p.Height || shape.W != p.Width {
			w = append(w, fmt.Sprintf("The images are %dx%d pixels and the model takes %dx%d: they will be resized.", shape.H, shape.W, p.Height, p.Width))
		}
		if p.Channels > 0 && shape.C != p.Channels {
			what := map[int]string{1: "grayscale", 3: "colour"}
			w = append(w, fmt.Sprintf("The images are %s and the model takes %s: they will be converted.", what[shape.C], what[p.Channels]))
		}
	}
	if note := dataset.RangeNote(set, p); note != "" {
		w = append(w, strings.ToUpper(note[:1])+note[1:]+".")
	}
	return w
}

// outputClasses is the number of class scores per image of the model's
// first output: the product of its dims after the batch axis, so that
// [N, 1000] and [N, 1000, 1, 1] (Caffe-era models) both give 1000, as top1
// reads them; 0 when unknown.
func (s *Service) outputClasses() int {
	if s.model == nil || len(s.model.Graph.Output) == 0 {
		return 0
	}
	return classCount(valueView(s.model.Graph.Output[0]).Shape)
}

func classCount(shape []string) int {
	dims := shape
	if len(dims) > 1 {
		dims = dims[1:]
	}
	if len(dims) == 0 {
		return 0
	}
	k := 1
	for _, d := range dims {
		var v int
		if _, err := fmt.Sscan(d, &v); err != nil || v <= 0 || k > 1<<30/v {
			return 0
		}
		k *= v
	}
	return k
}

func classList(classes []string) string {
	if len(classes) > 12 {
		return strings.Join(classes[:12], ", ") + ", …"
	}
	return strings.Join(classes, ", ")
}
