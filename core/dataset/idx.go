package dataset

import (
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// IDX magic numbers: two zero bytes, the element type (0x08 unsigned byte)
// and the number of dimensions.
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
)

// idxImagesName matches image files such as train-images-idx3-ubyte.gz and
// the dotted t10k-images.idx3-ubyte some mirrors use.
var idxImagesName = regexp.MustCompile(`^(.*?)([-._]?)images([-.])idx3([-.])ubyte(\.gz)?$`)

// fashionMNISTClasses are Fashion-MNIST's label names, in label order.
var fashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// parseIDXImages reads an IDX unsigned-byte image file (N x H x W).
func parseIDXImages(r io.Reader, name string, budget *budgetTracker) (Shape, int, []byte, error) {
	var header [16]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return Shape{}, 0, nil, fmt.Errorf("dataset: %s is too short for an IDX image header (16 bytes)", name)
	}
	magic := binary.BigEndian.Uint32(header[0:])
	if magic != idxImagesMagic {
		return Shape{}, 0, nil, fmt.Errorf("dataset: %s: IDX magic number %#08x, want %#08x (unsigned bytes, 3 dimensions): is it an MNIST-style images file?", name, magic, idxImagesMagic)
	}
	n := int64(binary.BigEndian.Uint32(header[4:]))
	h := int64(binary.BigEndian.Uint32(header[8:]))
	w := int64(binary.BigEndian.Uint32(header[12:]))
	if n == 0 {
		return Shape{}, 0, nil, fmt.Errorf("dataset: %s holds no images", name)
	}
	if h == 0 || w == 0 || h > 1<<15 || w > 1<<15 {
		return Shape{}, 0, nil, fmt.Errorf("dataset: %s: image size %dx%d is not plausible (each side must be 1..32768)", name, h, w)
	}
	if err := budget.reserve(fmt.Sprintf("%s (%d images of %dx%d)", name, n, h, w), n, h*w); err != nil {
		return Shape{}, 0, nil, err
	}
	pix, err := readPayload(r, n*h*w, name)
	if err != nil {
		return Shape{}, 0, nil, err
	}
	if err := expectEOF(r, name); err != nil {
		return Shape{}, 0, nil, err
	}
	return Shape{C: 1, H: int(h), W: int(w)}, int(n), pix, nil
}

// parseIDXLabels reads an IDX unsigned-byte label file (N).
func parseIDXLabels(r io.Reader, name string, budget *budgetTracker) ([]byte, error) {
	var header [8]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, fmt.Errorf("dataset: %s is too short for an IDX label header (8 bytes)", name)
	}
	magic := binary.BigEndian.Uint32(header[0:])
	if magic != idxLabelsMagic {
		return nil, fmt.Errorf("dataset: %s: IDX magic number %#08x, want %#08x (unsigned bytes, 1 dimension): is it an MNIST-style labels file?", name, magic, idxLabelsMagic)
	}
	n := int64(binary.BigEndian.Uint32(header[4:]))
	// Labels become []int: count their cost as such.
	if err := budget.reserve(fmt.Sprintf("%s (%d labels)", name, n), n, 1+8); err != nil {
		return nil, err
	}
	labels, err := readPayload(r, n, name)
	if err != nil {
		return nil, err
	}
	if err := expectEOF(r, name); err != nil {
		return nil, err
	}
	return labels, nil
}

// idxPair is an images file with its labels file.
type idxPair struct {
	images, labels string
	split          string // "train", "test" or "" when the name does not say
}

// idxLabelsNameFor gives the label file names that go with an images file.
func idxLabelsNameFor(images string) []string {
	m := idxImagesName.FindStringSubmatch(images)
	if m == nil {
		return nil
	}
	base := m[1] + m[2] + "labels" + m[3] + "idx1" + m[4] + "ubyte"
	return []string{base + m[5], base, base + ".gz"}
}

// idxSplitOf reads the split from a file name prefix such as "train" or "t10k".
func idxSplitOf(images string) string {
	lower := strings.ToLower(images)
	switch {
	case strings.Contains(lower, "train"):
		return SplitTrain
	case strings.Contains(lower, "t10k"), strings.Contains(lower, "test"):
		return SplitTest
	}
	return ""
}

// findIDXPairs lists the image/label pairs among the names of one folder.
func findIDXPairs(names []string) ([]idxPair, error) {
	present := map[string]bool{}
	for _, n := range names {
		present[n] = true
	}
	var pairs []idxPair
	for _, n := range names {
		if !idxImagesName.MatchString(n) {
			continue
		}
		found := ""
		for _, l := range idxLabelsNameFor(n) {
			if present[l] {
				found = l
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("dataset: found IDX images %s but not its labels file %s (gzip or not): add it beside the images", n, idxLabelsNameFor(n)[1])
		}
		pairs = append(pairs, idxPair{images: n, labels: found, split: idxSplitOf(n)})
	}
	sort.Slice(pairs, func(a, b int) bool { return pairs[a].images < pairs[b].images })
	return pairs, nil
}

// choosePair picks the pair for the requested split and says why.
func choosePair(pairs []idxPair, want string) (idxPair, string, error) {
	if len(pairs) == 1 {
		if want != "" && pairs[0].split != "" && pairs[0].split != want {
			return idxPair{}, "", fmt.Errorf("dataset: split %q requested but only %s (%s) is present", want, pairs[0].images, pairs[0].split)
		}
		return pairs[0], "", nil
	}
	target := want
	if target == "" {
		target = SplitTest
	}
	var match []idxPair
	for _, p := range pairs {
		if p.split == target {
			match = append(match, p)
		}
	}
	var names []string
	for _, p := range pairs {
		names = append(names, p.images)
	}
	if len(match) != 1 {
		return idxPair{}, "", fmt.Errorf("dataset: cannot tell which IDX files to load for split %q among %s: keep one images/labels pair per split in the folder", target, strings.Join(names, ", "))
	}
	note := ""
	if want == "" {
		note = fmt.Sprintf("found %d IDX image files (%s); loaded the test split %s: set the split to train to load the training files", len(pairs), strings.Join(names, ", "), match[0].images)
	}
	return match[0], note, nil
}

// loadIDX reads an IDX images/labels pair from folder dir.
func loadIDX(fsys fs.FS, dir string, pair idxPair, opts Options, budget *budgetTracker) (*Set, error) {
	imagesPath, labelsPath := path.Join(dir, pair.images), path.Join(dir, pair.labels)

	r, closeImages, err := openMaybeGzip(fsys, imagesPath)
	if err != nil {
		return nil, err
	}
	shape, n, pix, err := parseIDXImages(r, imagesPath, budget)
	closeImages()
	if err != nil {
		return nil, err
	}

	r, closeLabels, err := openMaybeGzip(fsys, labelsPath)
	if err != nil {
		return nil, err
	}
	raw, err := parseIDXLabels(r, labelsPath, budget)
	closeLabels()
	if err != nil {
		return nil, err
	}
	if len(raw) != n {
		return nil, fmt.Errorf("dataset: %s holds %d images but %s holds %d labels: the counts must match", imagesPath, n, labelsPath, len(raw))
	}

	labels := make([]int, n)
	maxLabel := 0
	for i, l := range raw {
		labels[i] = int(l)
		maxLabel = max(maxLabel, int(l))
	}
	var classes []string
	if strings.Contains(strings.ToLower(path.Join(dir, pair.images)), "fashion") {
		classes = fashionMNISTClasses
	} else {
		// MNIST-style: class k is the digit k; at least ten so a subset
		// missing the nines still has the model's ten classes.
		for k := 0; k < max(10, maxLabel+1); k++ {
			classes = append(classes, strconv.Itoa(k))
		}
	}
	classes, err = applyClassNames(classes, opts.Classes, labels, labelsPath)
	if err != nil {
		return nil, err
	}
	set := &Set{
		Format:    FormatIDX,
		SplitName: pair.split,
		Source:    imagesPath,
		Labels:    labels,
		Classes:   classes,
		PixelMax:  255,
		images:    &packedImages{data: pix, stride: shape.Size(), shapeOf: shape},
	}
	return set, nil
}

// applyClassNames lets the user's names replace the format's, and checks
// every label names a class.
func applyClassNames(formatClasses, userClasses []string, labels []int, source string) ([]string, error) {
	classes := formatClasses
	if len(userClasses) > 0 {
		classes = append([]string(nil), userClasses...)
	}
	for i, l := range labels {
		if l < 0 || l >= len(classes) {
			return nil, fmt.Errorf("dataset: %s: label %d of item %d is out of range: there are %d classes (0..%d)", source, l, i, len(classes), len(classes)-1)
		}
	}
	return classes, nil
}
