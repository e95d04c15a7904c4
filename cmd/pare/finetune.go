package main

import "io"

// runFinetune continues training a trained model: by default one epoch at
// a constant, small learning rate without weight decay, reporting the
// validation accuracy before and after.
func runFinetune(args []string, stdout, stderr io.Writer) error {
	f := newTrainFlags("finetune", "finetune MODEL --data TRAIN [--val VAL] --epochs N --lr L [--optimizer sgd|adam] [--batch B] [--seed S] -o OUT [--json]",
		trainDefaults{epochs: 1, lr: 0.001, schedule: "constant"}, stderr)
	return f.run("finetune", args, stdout, stderr)
}
