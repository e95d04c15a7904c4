package main

import (
	"io"

	"github.com/pare-ml/pare/core/train"
)

// runFinetune continues training a trained model with defaults that need
// no tuning (train.FinetuneDefaults): Adam at a rate chosen by a range
// test, warm-up and cosine decay, one epoch, a held-out validation split,
// the divergence guard and keep-best.
func runFinetune(args []string, stdout, stderr io.Writer) error {
	f := newTrainFlags("finetune", "finetune MODEL --data TRAIN [--val VAL] [--epochs N] [--lr L] [--distill] [--allow-worse] [--batch B] [--seed S] -o OUT [--json]",
		train.FinetuneDefaults(), train.DefaultValFraction, stderr)
	return f.run("finetune", args, stdout, stderr)
}
