// Package safefile reads files named by untrusted input: only regular
// files (never a device, a fifo or a folder, which would block or stream
// without end), never more than a size cap, and, for files a model names
// beside itself, never outside the model's folder (os.Root refuses ".."
// and symbolic links that lead out).
package safefile
