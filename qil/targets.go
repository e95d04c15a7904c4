package qil

import (
	"fmt"

	"github.com/pare-ml/pare/core/dataset"
)

// What a run learns from: the labels (QIL's task loss), or, for
// quantizer-only training on images of another task, the float model's
// outputs (the paper's heterogeneous setting).

// foreignLabels is the float model's top-1 on the calibration images
// below which their labels are taken to belong to another task: a model
// worth quantizing classifies its own training images far better.
const foreignLabels = 0.5

// chooseTargets decides what the run learns from. Labels the model cannot
// name refuse joint training; quantizer-only training then learns from
// the float model's outputs instead (the paper's heterogeneous setting),
// and so it does when the float model agrees with fewer than half of the
// labels (images of another task that happen to use the same class
// numbers, such as Fashion-MNIST for an MNIST model).
func (r *Run) chooseTargets(fit labelFit, set *dataset.Set) error {
	if r.cfg.TeacherTargets {
		return nil
	}
	acc := fit.accuracy()
	if err := checkClasses(fit.classes, set); err != nil {
		if !r.cfg.QuantizerOnly {
			return err
		}
		r.cfg.TeacherTargets = true
		r.notes = append(r.notes, fmt.Sprintf("the training labels are not the model's %d classes, so the quantizers learn from the float model's outputs on these images (distillation without labels); the training accuracy is agreement with the float model", fit.classes))
		return nil
	}
	if acc >= foreignLabels {
		return nil
	}
	if r.cfg.QuantizerOnly {
		r.cfg.TeacherTargets = true
		r.notes = append(r.notes, fmt.Sprintf("the float model matches only %.1f %% of the labels of %d training images, so they are taken to be another task's: the quantizers learn from the float model's outputs instead (distillation without labels); the training accuracy is agreement with the float model", 100*acc, fit.images))
		return nil
	}
	r.notes = append(r.notes, fmt.Sprintf("the float model matches only %.1f %% of the labels of %d training images: are they labelled for this model? (with --quantizer-only the intervals would learn from the float model's outputs instead)", 100*acc, fit.images))
	return nil
}

// Notes are what the run decided for the caller to tell the user (the
// targets it learns from when the labels do not fit).
func (r *Run) Notes() []string { return append([]string(nil), r.notes...) }

// TeacherTargets reports whether the run learns from the float model's
// outputs instead of the labels (asked for, or chosen by NewRun); the
// training accuracy is then agreement with the float model.
func (r *Run) TeacherTargets() bool { return r.cfg.TeacherTargets }
