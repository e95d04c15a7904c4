package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pare-ml/pare/core/job"
)

// File is one file the user gave the page: its path relative to what was
// dropped (folder/class/img.png, or just model.onnx) and its bytes.
type File struct {
	Path  string
	Bytes []byte
}

// Reply is what a request produces: a JSON-encodable value and, for
// pixel data, raw bytes sent alongside without JSON encoding.
type Reply struct {
	Value any
	Blob  []byte
}

// Progress receives a request's job.Progress after each step; the bridge
// forwards it to the page as JSON, untouched.
type Progress func(job.Progress)

// errCancelled is the error of a request stopped by the page's Cancel.
var errCancelled = &UserError{Code: "cancelled", Message: "Cancelled."}

// UserError is an error the page shows as is: Code lets the page react
// (for example offer to change the preprocessing), Message says what went
// wrong and what to do.
type UserError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Details lists items the message refers to, e.g. unsupported operators.
	Details []string `json:"details,omitempty"`
}

func (e *UserError) Error() string { return e.Message }

func userErrorf(code, format string, args ...any) *UserError {
	return &UserError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsUserError turns any error into the form the page shows; errors that are
// not UserErrors keep their text under the code "internal".
func AsUserError(err error) *UserError {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue
	}
	return &UserError{Code: "internal", Message: err.Error()}
}

// Handle runs one request against the service. params is the request's
// JSON (may be empty). Long requests send their progress messages through
// send (a job.Progress, or a request's own shape that embeds one, such as
// PruneProgress) and stop when ctx is done (the page's Cancel) with
// errCancelled.
func (s *Service) Handle(ctx context.Context, kind string, params []byte, files []File, send func(any)) (Reply, error) {
	progress := func(p job.Progress) {
		if send != nil {
			send(p)
		}
	}
	decode := func(v any) error {
		if len(params) == 0 {
			return nil
		}
		if err := json.Unmarshal(params, v); err != nil {
			return userErrorf("bad-request", "malformed %s request: %v", kind, err)
		}
		return nil
	}
	switch kind {
	case "openModel":
		var p struct{ Name string }
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		v, err := s.OpenModel(p.Name, files)
		return Reply{Value: v}, err
	case "histogram":
		var p struct{ Node int }
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		v, err := s.Histogram(p.Node)
		return Reply{Value: v}, err
	case "openData":
		var p struct{ Preprocess *PreprocessView }
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		v, err := s.OpenData(files, p.Preprocess)
		return Reply{Value: v}, err
	case "evaluate":
		var p struct{ Start, End, Batch int }
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		v, err := s.Evaluate(ctx, p.Start, p.End, p.Batch, progress)
		return Reply{Value: v}, err
	case "finetune":
		var p FinetuneRequest
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		return s.Finetune(ctx, p, progress)
	case "finetuneShard":
		var p FinetuneShardRequest
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		return s.FinetuneShard(ctx, p, progress)
	case "prune":
		var p PruneRequest
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		return s.Prune(ctx, p, send)
	case "compress":
		var p CompressRequest
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		return s.Compress(ctx, p, files, send)
	case "latency":
		var p LatencyRequest
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		return s.Latency(ctx, p, progress)
	case "inputs":
		var p struct{ Start, End int }
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		return s.Inputs(p.Start, p.End)
	case "thumbnails":
		var p struct{ Indices []int }
		if err := decode(&p); err != nil {
			return Reply{}, err
		}
		return s.Thumbnails(p.Indices)
	}
	return Reply{}, userErrorf("bad-request", "unknown request %q", kind)
}
