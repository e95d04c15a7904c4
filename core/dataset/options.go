package dataset

import (
	"fmt"

	"github.com/pare-ml/pare/core/units"
)

// DefaultMemoryBudget is the most memory a set may need unless
// Options.MemoryBudget says otherwise: enough for the CIFAR-10 and MNIST
// training sets many times over, and well inside a browser tab.
const DefaultMemoryBudget int64 = 2 << 30

// Split names accepted by Options.Split.
const (
	SplitTrain = "train"
	SplitTest  = "test"
)

// Options controls how a set is opened. The zero value is ready to use.
type Options struct {
	// Split selects "train" or "test" when a folder holds both (IDX and
	// CIFAR-10). Empty means test, and Set.Notes records the choice.
	Split string
	// MemoryBudget is the most bytes the set may need (pixels kept in
	// memory, archives read whole). Zero means DefaultMemoryBudget.
	MemoryBudget int64
	// Classes, when set, names the classes in label order instead of the
	// names the format provides; a label >= len(Classes) is then an error.
	Classes []string
}

func (o Options) budget() int64 {
	if o.MemoryBudget > 0 {
		return o.MemoryBudget
	}
	return DefaultMemoryBudget
}

func (o Options) check() error {
	switch o.Split {
	case "", SplitTrain, SplitTest:
	default:
		return fmt.Errorf("dataset: unknown split %q: use %q or %q (or leave it empty for test)", o.Split, SplitTrain, SplitTest)
	}
	if o.MemoryBudget < 0 {
		return fmt.Errorf("dataset: memory budget %d is negative: use 0 for the default of %s", o.MemoryBudget, units.Bytes(DefaultMemoryBudget))
	}
	return nil
}

// BudgetError reports a set that would need more memory than allowed.
type BudgetError struct {
	What   string // what was being read
	Need   int64  // bytes it would need
	Budget int64  // bytes allowed
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("dataset: %s would need %s, more than the memory budget of %s: raise Options.MemoryBudget if the machine has the memory, or use a smaller set",
		e.What, units.Bytes(e.Need), units.Bytes(e.Budget))
}

// budgetTracker adds up what a set needs and refuses to go past the budget.
type budgetTracker struct {
	limit int64
	used  int64
}

// reserve accounts for n more bytes; count*each is computed without
// overflow so a hostile header claiming 2^31 images fails here.
func (b *budgetTracker) reserve(what string, count, each int64) error {
	if count < 0 || each < 0 {
		return fmt.Errorf("dataset: %s: negative size", what)
	}
	remaining := b.limit - b.used
	if each != 0 && count > remaining/each {
		need := b.used
		if count <= (1<<62)/max(each, 1) {
			need += count * each
		} else {
			need = 1 << 62
		}
		return &BudgetError{What: what, Need: need, Budget: b.limit}
	}
	b.used += count * each
	return nil
}
