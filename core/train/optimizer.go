package train

import (
	"fmt"

	"github.com/pare-ml/pare/core/train/optim"
)

// NewOptimizer builds the optimizer cfg names over net's unfrozen
// parameters, grouped by cfg.Group (by default: weights with
// cfg.WeightDecay, the rest without). QIL and pruning build their own
// loops or trainers on it; Trainer uses it.
func NewOptimizer(net *Net, cfg Config) (optim.Optimizer, []*optim.Group, error) {
	groups := makeGroups(net, cfg)
	if len(groups) == 0 {
		return nil, nil, fmt.Errorf("train: every parameter is frozen; nothing to train")
	}
	switch cfg.Optimizer {
	case "", "sgd":
		mom := cfg.Momentum
		if mom == 0 {
			mom = 0.9
		} else if mom < 0 {
			mom = 0
		}
		return &optim.SGD{Momentum: mom, Nesterov: cfg.Nesterov, Groups: groups}, groups, nil
	case "adam":
		return &optim.Adam{Groups: groups}, groups, nil
	case "adamw":
		return &optim.Adam{Groups: groups, Decoupled: true}, groups, nil
	}
	return nil, nil, fmt.Errorf("train: unknown optimizer %q (sgd, adam or adamw)", cfg.Optimizer)
}

// NewSchedule builds cfg's learning-rate schedule for a run of
// cfg.Epochs epochs of stepsPerEpoch steps: Schedule, then WarmupSteps of
// linear warm-up over it.
func NewSchedule(cfg Config, stepsPerEpoch int) (optim.Schedule, error) {
	total := cfg.Epochs * stepsPerEpoch
	var s optim.Schedule
	switch cfg.Schedule {
	case "", "constant":
		s = optim.Constant(cfg.LR)
	case "cosine":
		s = optim.Cosine(cfg.LR, total, 0)
	case "step":
		every, gamma := cfg.StepEpochs, cfg.StepGamma
		if every <= 0 {
			every = max(1, cfg.Epochs/3)
		}
		if gamma == 0 {
			gamma = 0.1
		}
		s = optim.StepDecay(cfg.LR, every*stepsPerEpoch, gamma)
	default:
		return nil, fmt.Errorf("train: unknown schedule %q (constant, cosine or step)", cfg.Schedule)
	}
	if cfg.WarmupSteps > 0 {
		s = optim.Warmup(s, cfg.WarmupSteps)
	}
	return s, nil
}

func makeGroups(net *Net, cfg Config) []*optim.Group {
	byName := map[string]*optim.Group{}
	var groups []*optim.Group
	for _, p := range net.Params {
		if p.Frozen {
			continue
		}
		var spec GroupSpec
		if cfg.Group != nil {
			spec = cfg.Group(p)
		} else if p.Kind == KindWeight {
			spec = GroupSpec{Name: "weights", LRScale: 1, WeightDecay: cfg.WeightDecay}
		} else {
			spec = GroupSpec{Name: "no-decay", LRScale: 1}
		}
		g := byName[spec.Name]
		if g == nil {
			g = &optim.Group{Name: spec.Name, LRScale: spec.LRScale, WeightDecay: spec.WeightDecay}
			byName[spec.Name] = g
			groups = append(groups, g)
		}
		g.Vars = append(g.Vars, &optim.Var{Name: p.Name, Value: p.Value.F32, Grad: p.Grad.F32})
	}
	return groups
}
