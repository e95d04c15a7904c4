package hostile

// flags adds command lines that are wrong in themselves: each must end
// with exit status 2 and say what to fix.
func (w *writer) flags() {
	model, data, in := w.validModel(), w.validData(), w.validInput()
	usage := func(name string, want string, args ...string) {
		w.add(Case{Name: "flags/" + name, Args: args, Want: []string{want}, Status: 2})
	}
	usage("unknown-command", "unknown command", "frobnicate", model)
	usage("no-command", "usage")
	usage("unknown-flag", "-frobnicate", "info", model, "--frobnicate")
	usage("unknown-flag-hint", "pare info --help", "info", model, "--frobnicate")
	usage("flag-missing-value", "flag needs an argument", "bench", model, "--runs")
	usage("runs-not-number", "invalid value", "bench", model, "--runs", "many")
	usage("runs-zero", "--runs", "bench", model, "--runs", "0")
	usage("runs-negative", "--runs", "bench", model, "--runs", "-5")
	usage("runs-overflow", "invalid value", "bench", model, "--runs", "99999999999999999999999")
	usage("warmup-negative", "--warmup", "bench", model, "--warmup", "-5")
	usage("info-batch-zero", "--batch", "info", model, "--batch", "0")
	usage("info-two-models", "one model", "info", model, model)
	usage("info-no-model", "one model", "info")
	usage("eval-no-data", "--data", "eval", model)
	usage("eval-limit-negative", "--limit", "eval", model, "--data", data, "--limit", "-1")
	usage("eval-batch-zero", "--batch", "eval", model, "--data", data, "--batch", "0")
	usage("eval-mean-junk", "not a number", "eval", model, "--data", data, "--mean", "a,b")
	usage("eval-channel-order", "channel-order", "eval", model, "--data", data, "--channel-order", "GRB")
	usage("eval-scale-nan", "--scale", "eval", model, "--data", data, "--scale", "NaN")
	usage("eval-std-zero", "--std", "eval", model, "--data", data, "--std", "0")
	usage("run-no-output", "-o", "run", model, "-i", "x="+in)
	usage("run-input-no-equals", "NAME=FILE", "run", model, "-i", in, "-o", w.path("out/flags"))
	usage("finetune-no-output", "-o", "finetune", model, "--data", data)
	usage("finetune-lr-negative", "--lr", "finetune", model, "--data", data, "--lr", "-1", "-o", w.path("out/flags.onnx"))
	usage("finetune-epochs-huge", "--epochs", "finetune", model, "--data", data, "--epochs", "-3", "-o", w.path("out/flags.onnx"))
	usage("finetune-val-split", "--val-split", "finetune", model, "--data", data, "--val-split", "1.5", "-o", w.path("out/flags.onnx"))
	usage("finetune-optimizer", "optimizer", "finetune", model, "--data", data, "--optimizer", "rmsprop", "-o", w.path("out/flags.onnx"))
	usage("finetune-freeze-unknown", "--freeze", "finetune", model, "--data", data, "--freeze", "nope", "-o", w.path("out/flags.onnx"))
	usage("init-no-output", "-o", "init", model)
}
