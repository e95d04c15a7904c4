package compress

import (
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/qcqp"
)

// Report is every figure of a compression run; it marshals to the JSON of
// `pare compress --json` (docs/cli.md).
type Report struct {
	// Recipe is what was asked, with the defaults filled in.
	Recipe Recipe `json:"recipe"`
	// Resources are the original model's and the exported file's figures
	// (re-measured on the written bytes), and the pruned float model's
	// (the original's when nothing was pruned).
	Resources map[qcqp.Resource]ResourceChange `json:"resources"`
	Solver    *SolverReport                    `json:"solver,omitempty"`
	// Latency is the latency model's predictions, when a latency budget
	// was given.
	Latency *LatencyReport `json:"latency,omitempty"`
	// Accuracy is each model's top-1 accuracy: "original", "pruned",
	// "finetuned", "quantized" (the exported QDQ file in Pare's executor).
	Accuracy map[string]Accuracy `json:"accuracy"`
	Finetune *FinetuneReport     `json:"finetune,omitempty"`
	Quantize *QuantizeReport     `json:"quantize,omitempty"`
	// Bytes are the encoded sizes of each stage's model.
	Bytes map[string]int64 `json:"bytes"`
	// Seconds is the wall time of each stage, and TotalSeconds their sum
	// (over every request when the stages ran one request each).
	Seconds      map[Stage]float64 `json:"seconds"`
	TotalSeconds float64           `json:"total_seconds"`
	TrainImages  int               `json:"train_images"`
	ValImages    int               `json:"val_images"`
	TestImages   int               `json:"test_images,omitempty"`
	Notes        []string          `json:"notes,omitempty"`
	// Skipped are the stages that did not run, in order: prune and
	// finetune in a quantize-only run (no budget), finetune when the
	// fine-tune was not asked for. A skipped stage still ends (a page
	// stores its model, the one it was given, and resumes after it).
	Skipped []Stage `json:"skipped_stages,omitempty"`
}

// Recipe is the request as run.
type Recipe struct {
	// Prune is "qcqp" (the exact channel selection under Budgets) or
	// "skipped" (no budget: quantize only).
	Prune       string   `json:"prune"`
	Budgets     []string `json:"budgets"`
	Importance  string   `json:"importance"`
	SolverLimit float64  `json:"solver_time_limit_seconds"`
	// MinKeep is the share of every channel group pruning kept at least.
	MinKeep  float64  `json:"min_keep"`
	Finetune string   `json:"finetune"` // "distill", "labels" or "skipped"
	Bits     string   `json:"bits"`
	KeepFP   []string `json:"keep_fp"`
	Schedule string   `json:"schedule"`
	// QILEpochs is the epochs of each QIL stage; QuantizerOnly, that QIL
	// learned the intervals alone.
	QILEpochs     int    `json:"qil_epochs"`
	QuantizerOnly bool   `json:"quantizer_only,omitempty"`
	Storage       string `json:"storage"`
	Batch         int    `json:"batch"`
	Seed          int64  `json:"seed"`
}

// ResourceChange is one resource through the pipeline.
type ResourceChange struct {
	Before float64 `json:"before"`
	// Pruned is the pruned float model's figure, After the exported
	// file's.
	Pruned float64  `json:"pruned"`
	After  float64  `json:"after"`
	Budget *float64 `json:"budget,omitempty"`
}

// LatencyReport is a latency budget and what the latency model predicts
// for the unpruned and the pruned network (quantization leaves the
// channel counts the model reads unchanged).
type LatencyReport struct {
	Runtime           string  `json:"model_runtime"`
	ModelError        float64 `json:"model_mean_percent_error"`
	BudgetMS          float64 `json:"budget_ms"`
	PredictedBeforeMS float64 `json:"predicted_before_ms"`
	PredictedAfterMS  float64 `json:"predicted_after_ms"`
}

// SolverReport is the channel selection's outcome.
type SolverReport struct {
	Status    string   `json:"status"`
	Objective float64  `json:"objective"`
	Bound     *float64 `json:"bound"` // nil: no bound proven
	Gap       *float64 `json:"gap"`
	Nodes     int64    `json:"nodes"`
	Seconds   float64  `json:"seconds"`
	Kept      []Kept   `json:"kept"`
	Frozen    int      `json:"frozen_groups"`
}

// Kept is one channel group's channels after pruning.
type Kept struct {
	Map      string `json:"map"`
	Channels int    `json:"channels"`
	Kept     int    `json:"kept"`
}

// Accuracy is a model's top-1 accuracy on the validation and test sets
// (nil: the set was not given).
type Accuracy struct {
	Val  *float64 `json:"val"`
	Test *float64 `json:"test,omitempty"`
}

// FinetuneReport is what the fine-tune did.
type FinetuneReport struct {
	LR       float64    `json:"lr"`
	LRSource string     `json:"lr_source"`
	Epochs   int        `json:"epochs"`
	Kept     train.Kept `json:"kept"`
	Retries  int        `json:"retries"`
	Events   []string   `json:"events,omitempty"`
	// Workers is the number of data-parallel workers that trained.
	Workers int `json:"workers"`
}

// QuantizeReport is the QIL run's stages and layers.
type QuantizeReport struct {
	Stages []QuantStage `json:"stages"`
	Layers []QuantLayer `json:"layers"`
	Recipe string       `json:"recipe"`
	// Workers is the number of data-parallel workers that trained.
	Workers int `json:"workers"`
}

// QuantStage is one stage of the progressive schedule.
type QuantStage struct {
	Bits    string  `json:"bits"`
	Loss    float64 `json:"train_loss"`
	Acc     float64 `json:"train_accuracy"`
	Seconds float64 `json:"seconds"`
}

// QuantLayer is one quantizable layer and its bits ("32/32": kept float).
type QuantLayer struct {
	Node string `json:"node"`
	Op   string `json:"op"`
	Bits string `json:"bits"`
	// PerChannelWeights: the layer's weights have one QIL interval per
	// output channel (a depthwise convolution), not one for the layer.
	PerChannelWeights bool `json:"per_channel_weights,omitempty"`
}
