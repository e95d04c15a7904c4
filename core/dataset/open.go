package dataset

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pare-ml/pare/core/safefile"
)

// Open reads the labelled image set at path inside fsys (a folder, a zip
// file, or a single data file), detecting its format, with default Options.
func Open(fsys fs.FS, p string) (*Set, error) { return Options{}.Open(fsys, p) }

// OpenPath reads the set at a native path: a folder, a .zip, or a single
// data file (an IDX images file finds its labels file beside it).
func OpenPath(p string) (*Set, error) { return Options{}.OpenPath(p) }

// OpenPath is OpenPath with these options.
func (o Options) OpenPath(p string) (*Set, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if !info.IsDir() {
		// A device or a fifo would stream without end or block.
		if err := safefile.CheckRegular(p, info); err != nil {
			return nil, fmt.Errorf("dataset: %w: give a folder, a .zip or a data file", err)
		}
	}
	// Open the parent so the set's own name (which can say "fashion",
	// for one) stays part of the path the detectors see.
	parent, base := filepath.Dir(abs), filepath.Base(abs)
	if parent == abs {
		return o.Open(regularFS{os.DirFS(abs)}, ".")
	}
	return o.Open(regularFS{os.DirFS(parent)}, base)
}

// Open is Open with these options.
func (o Options) Open(fsys fs.FS, p string) (*Set, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	p = path.Clean(strings.TrimPrefix(p, "/"))
	if !fs.ValidPath(p) {
		return nil, fmt.Errorf("dataset: %q is not a valid path inside the file system (use forward slashes, no ..)", p)
	}
	budget := &budgetTracker{limit: o.budget()}
	set, err := o.open(fsys, p, budget, 0)
	if err != nil {
		return nil, err
	}
	return set, nil
}

// maxNesting bounds how many single wrapping folders and zips are looked
// through, so a zip bomb of nested zips ends.
const maxNesting = 4

func (o Options) open(fsys fs.FS, p string, budget *budgetTracker, depth int) (*Set, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("dataset: %s is nested more than %d folders or archives deep without any data", displayPath(p), maxNesting)
	}
	info, err := fs.Stat(fsys, p)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if info.IsDir() {
		return o.openFolder(fsys, p, budget, depth)
	}
	return o.openFile(fsys, p, budget, depth)
}

// openFolder detects the format of a folder from the names in it.
func (o Options) openFolder(fsys fs.FS, dir string, budget *budgetTracker, depth int) (*Set, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var files, folders []string
	imagesHere := false
	for _, e := range entries {
		if isIgnoredName(e.Name()) {
			continue
		}
		if e.IsDir() {
			folders = append(folders, e.Name())
			continue
		}
		files = append(files, e.Name())
		imagesHere = imagesHere || isImageName(e.Name())
	}

	pairs, err := findIDXPairs(files)
	if err != nil {
		return nil, err
	}
	if len(pairs) > 0 {
		pair, note, err := choosePair(pairs, o.Split)
		if err != nil {
			return nil, err
		}
		set, err := loadIDX(fsys, dir, pair, o, budget)
		if err != nil {
			return nil, err
		}
		if note != "" {
			set.Notes = append(set.Notes, note)
		}
		return set, nil
	}
	for _, f := range files {
		if isCIFARName(f) {
			return loadCIFARFolder(fsys, dir, files, o, budget)
		}
	}
	if len(folders) > 0 {
		if len(folders) == 1 && !imagesHere {
			// One wrapping folder (as most zips have, maybe beside a
			// README) is looked through, unless it holds images itself:
			// then it is a one-class set.
			inner := path.Join(dir, folders[0])
			if !folderHasImages(fsys, inner) {
				return o.open(fsys, inner, budget, depth+1)
			}
		}
		return loadImageFolder(fsys, dir, o, budget)
	}
	var csvs, zips []string
	for _, f := range files {
		switch {
		case isDigitsCSVName(f):
			csvs = append(csvs, f)
		case isArchiveName(f):
			zips = append(zips, f)
		}
	}
	if len(csvs) == 1 {
		return loadDigitsCSV(fsys, path.Join(dir, csvs[0]), o, budget)
	}
	if len(zips) == 1 && len(files) == 1 {
		return o.open(fsys, path.Join(dir, zips[0]), budget, depth+1)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("dataset: %s is empty: expected MNIST IDX files, CIFAR-10 batches, or one sub-folder of images per class", displayPath(dir))
	}
	hint := ""
	if imagesHere {
		hint = ": the images are loose in the folder; an image folder needs one sub-folder per class"
	}
	return nil, fmt.Errorf("dataset: no data set recognised in %s (found %s)%s; expected *-images-idx3-ubyte[.gz] with *-labels-idx1-ubyte[.gz], CIFAR-10 data_batch_N.bin/test_batch.bin, one sub-folder of PNG/JPEG images per class, or a digits .csv", displayPath(dir), summarizeNames(files), hint)
}

// folderHasImages says whether dir directly holds an image file.
func folderHasImages(fsys fs.FS, dir string) bool {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && !isIgnoredName(e.Name()) && isImageName(e.Name()) {
			return true
		}
	}
	return false
}

// openFile detects the format of a single file.
func (o Options) openFile(fsys fs.FS, p string, budget *budgetTracker, depth int) (*Set, error) {
	dir, name := path.Split(p)
	dir = path.Clean(dir)
	archive, err := openArchive(fsys, p, budget)
	if err != nil {
		return nil, err
	}
	if archive != nil {
		set, err := o.open(archive, ".", budget, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%w (inside %s)", err, p)
		}
		set.Source = path.Join(p, set.Source)
		return set, nil
	}
	switch {
	case idxImagesName.MatchString(name):
		files, err := siblingFiles(fsys, dir)
		if err != nil {
			return nil, err
		}
		pairs, err := findIDXPairs(files)
		if err != nil {
			return nil, err
		}
		for _, pair := range pairs {
			if pair.images == name {
				return loadIDX(fsys, dir, pair, o, budget)
			}
		}
	case strings.Contains(name, "labels") && strings.Contains(name, "idx1"):
		return nil, fmt.Errorf("dataset: %s is an IDX labels file: open its images file (*-images-idx3-ubyte) or the folder holding both", p)
	case isCIFARName(name) || strings.HasSuffix(strings.ToLower(name), ".bin"):
		return loadCIFARFiles(fsys, dir, []string{name}, o, budget)
	case isDigitsCSVName(name):
		return loadDigitsCSV(fsys, p, o, budget)
	case isImageName(name):
		return nil, fmt.Errorf("dataset: %s is a single image: open the folder that holds one sub-folder of images per class", p)
	}
	return nil, fmt.Errorf("dataset: %s: unrecognised data file: expected a folder, a .zip, an IDX images file, a CIFAR-10 .bin batch, or a digits .csv", p)
}

// siblingFiles lists the non-folder names in dir.
func siblingFiles(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// displayPath shows the root of an fs.FS as something a user understands.
func displayPath(p string) string {
	if p == "." || p == "" {
		return "the top folder"
	}
	return p
}

// summarizeNames lists a few names for an error message.
func summarizeNames(names []string) string {
	const shown = 5
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:shown], ", "), len(names)-shown)
}
