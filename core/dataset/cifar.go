package dataset

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// CIFAR-10 binary records: one label byte, then 32x32 red, green and blue
// planes.
const (
	cifarSide       = 32
	cifarImageBytes = 3 * cifarSide * cifarSide
	cifarRecordSize = 1 + cifarImageBytes
	cifarMetaFile   = "batches.meta.txt"
)

// cifar10Classes are CIFAR-10's class names in label order, used when
// batches.meta.txt is absent.
var cifar10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

var (
	cifarTrainName = regexp.MustCompile(`^data_batch_([0-9]+)\.bin$`)
	cifarTestName  = "test_batch.bin"
)

// parseCIFARLabels checks a buffer of CIFAR-10 records and returns their
// labels; the pixels stay where they are in data.
func parseCIFARLabels(data []byte, name string) ([]int, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("dataset: %s is empty", name)
	}
	if len(data)%cifarRecordSize != 0 {
		return nil, fmt.Errorf("dataset: %s is %d bytes, not a whole number of CIFAR-10 records (%d bytes each: 1 label + 3x32x32 pixels): is it a CIFAR-10 binary batch (CIFAR-100 records differ)?", name, len(data), cifarRecordSize)
	}
	labels := make([]int, len(data)/cifarRecordSize)
	for i := range labels {
		l := int(data[i*cifarRecordSize])
		if l >= len(cifar10Classes) {
			return nil, fmt.Errorf("dataset: %s: record %d has label %d, out of range for CIFAR-10's 10 classes (0..9)", name, i, l)
		}
		labels[i] = l
	}
	return labels, nil
}

// cifarFiles lists the batch files of one split among a folder's names.
func cifarFiles(names []string) (train []string, test string) {
	for _, n := range names {
		if cifarTrainName.MatchString(n) {
			train = append(train, n)
		} else if n == cifarTestName {
			test = n
		}
	}
	batchNumber := func(n string) int {
		v, _ := strconv.Atoi(cifarTrainName.FindStringSubmatch(n)[1])
		return v
	}
	sort.Slice(train, func(a, b int) bool { return batchNumber(train[a]) < batchNumber(train[b]) })
	return train, test
}

// isCIFARName says whether a file name is a CIFAR-10 batch.
func isCIFARName(n string) bool { return n == cifarTestName || cifarTrainName.MatchString(n) }

// loadCIFARFolder reads the requested split from a folder of batches.
func loadCIFARFolder(fsys fs.FS, dir string, names []string, opts Options, budget *budgetTracker) (*Set, error) {
	train, test := cifarFiles(names)
	var files []string
	split := opts.Split
	note := ""
	switch {
	case split == SplitTrain && len(train) == 0:
		return nil, fmt.Errorf("dataset: split train requested but %s has no data_batch_N.bin files", dir)
	case split == SplitTest && test == "":
		return nil, fmt.Errorf("dataset: split test requested but %s has no %s", dir, cifarTestName)
	case split == SplitTrain, split == "" && test == "":
		files, split = train, SplitTrain
	default:
		files, split = []string{test}, SplitTest
		if opts.Split == "" && len(train) > 0 {
			note = fmt.Sprintf("found %d training batches and %s; loaded the test split: set the split to train to load the training batches", len(train), cifarTestName)
		}
	}
	set, err := loadCIFARFiles(fsys, dir, files, opts, budget)
	if err != nil {
		return nil, err
	}
	set.SplitName = split
	if note != "" {
		set.Notes = append(set.Notes, note)
	}
	return set, nil
}

// loadCIFARFiles reads the given batches of folder dir into one buffer.
func loadCIFARFiles(fsys fs.FS, dir string, files []string, opts Options, budget *budgetTracker) (*Set, error) {
	// Sizes first, so the buffer is allocated once and only after the
	// budget allows it.
	var total int64
	sizes := make([]int64, len(files))
	for i, f := range files {
		p := path.Join(dir, f)
		info, err := fs.Stat(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		sizes[i] = info.Size()
		if sizes[i]%cifarRecordSize != 0 || sizes[i] == 0 {
			return nil, fmt.Errorf("dataset: %s is %d bytes, not a whole number of CIFAR-10 records (%d bytes each: 1 label + 3x32x32 pixels): is it a CIFAR-10 binary batch (CIFAR-100 records differ)?", p, sizes[i], cifarRecordSize)
		}
		total += sizes[i]
	}
	if err := budget.reserve(fmt.Sprintf("CIFAR-10 batches %s", strings.Join(files, ", ")), 1, total+total/cifarRecordSize*8); err != nil {
		return nil, err
	}
	data := make([]byte, total)
	var labels []int
	offset := int64(0)
	for i, f := range files {
		p := path.Join(dir, f)
		chunk := data[offset : offset+sizes[i]]
		if err := readExactlyFile(fsys, p, chunk); err != nil {
			return nil, err
		}
		l, err := parseCIFARLabels(chunk, p)
		if err != nil {
			return nil, err
		}
		labels = append(labels, l...)
		offset += sizes[i]
	}
	classes, notes := cifarClassNames(fsys, dir)
	classes, err := applyClassNames(classes, opts.Classes, labels, path.Join(dir, files[0]))
	if err != nil {
		return nil, err
	}
	return &Set{
		Format:   FormatCIFAR10,
		Source:   path.Join(dir, files[0]),
		Notes:    notes,
		Labels:   labels,
		Classes:  classes,
		PixelMax: 255,
		images:   &packedImages{data: data, offset: 1, stride: cifarRecordSize, shapeOf: Shape{C: 3, H: cifarSide, W: cifarSide}},
	}, nil
}

// readExactlyFile fills dst with the whole of file p, which must be exactly
// len(dst) bytes long.
func readExactlyFile(fsys fs.FS, p string, dst []byte) error {
	f, err := fsys.Open(p)
	if err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, dst); err != nil {
		return fmt.Errorf("dataset: reading %s: %w", p, err)
	}
	return expectEOF(f, p)
}

// cifarClassNames reads batches.meta.txt (one class name a line) when it is
// there, else gives the standard names.
func cifarClassNames(fsys fs.FS, dir string) ([]string, []string) {
	p := path.Join(dir, cifarMetaFile)
	f, err := fsys.Open(p)
	if err != nil {
		return cifar10Classes, nil
	}
	defer f.Close()
	data, err := readAllLimited(f, 64<<10, p)
	if err != nil {
		return cifar10Classes, []string{fmt.Sprintf("%s could not be read (%v); using the standard CIFAR-10 class names", p, err)}
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if name := strings.TrimSpace(sc.Text()); name != "" {
			names = append(names, name)
		}
	}
	if len(names) != len(cifar10Classes) {
		return cifar10Classes, []string{fmt.Sprintf("%s lists %d class names, not 10; using the standard CIFAR-10 class names", p, len(names))}
	}
	return names, nil
}
