package eval

import "fmt"

// FailureKind says which part of a batch failed.
type FailureKind int

const (
	// ReadFailed: the images could not be read or preprocessed.
	ReadFailed FailureKind = iota
	// RunFailed: the model could not run on the batch.
	RunFailed
	// BadOutput: the output is not one row of float scores per image.
	BadOutput
)

// BatchError is a failed batch: which one, what failed and why. Callers
// turn it into their own message (the CLI's, the page's codes).
type BatchError struct {
	Step int // the batch, from 0
	Seen int // images evaluated before it
	Kind FailureKind
	// Shape is the batch's input shape (RunFailed, BadOutput).
	Shape []int
	Err   error
}

func (e *BatchError) Error() string {
	switch e.Kind {
	case ReadFailed:
		return fmt.Sprintf("preparing batch %d (after %d images): %v", e.Step, e.Seen, e.Err)
	case RunFailed:
		return fmt.Sprintf("running the model on batch %d, input %v: %v", e.Step, e.Shape, e.Err)
	}
	return e.Err.Error()
}

func (e *BatchError) Unwrap() error { return e.Err }
