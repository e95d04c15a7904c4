package exec

import "github.com/pare-ml/pare/core/tensor"

// A runPlan is a step list with every value name resolved, once, when the
// session is built: each value a step produces and each graph input gets a
// slot of a slice, and constants are bound directly. Run then moves
// tensors between slots by index; keeping them in a map by name cost a
// string hash, an insert and a delete per value per run, and a map per
// run, which on a model as small as mnist-8 was a tenth of its time in
// WebAssembly.
type runPlan struct {
	steps []plannedStep
	// names[i] is the value in slot i; slots [0, produced) hold step
	// outputs, the rest graph inputs (inputs[j] in slot produced+j).
	names    []string
	produced int
	inputs   []string
	outputs  []operand
}

// plannedStep is one step with its operands resolved.
type plannedStep struct {
	step *step
	in   []operand
	// out is the slot of each output, -1 for an omitted one.
	out []int
	// release lists the slots whose last reader this step is.
	release []int
}

// operand is where a step input (or a graph output) is read: slot, when it
// is not -1 and holds a tensor, else the constant fixed (nil for an omitted
// optional input or a name nothing defines).
type operand struct {
	slot  int
	fixed *tensor.Tensor
}

// planRun resolves steps against the session's inputs and constants.
// Call it once the constants are final (after fusion and releaseUnfused).
func (s *Session) planRun(steps []step) *runPlan {
	p := &runPlan{}
	slots := map[string]int{}
	for i := range steps {
		for _, name := range steps[i].node.Output {
			if _, ok := slots[name]; name != "" && !ok {
				slots[name] = len(p.names)
				p.names = append(p.names, name)
			}
		}
	}
	p.produced = len(p.names)
	for _, vi := range s.inputs {
		if _, ok := slots[vi.Name]; !ok {
			slots[vi.Name] = len(p.names)
			p.names = append(p.names, vi.Name)
		}
		p.inputs = append(p.inputs, vi.Name)
	}
	resolve := func(name string) operand {
		if name == "" {
			return operand{slot: -1}
		}
		if i, ok := slots[name]; ok {
			return operand{slot: i, fixed: s.consts[name]}
		}
		return operand{slot: -1, fixed: s.consts[name]}
	}
	p.steps = make([]plannedStep, len(steps))
	for i := range steps {
		st := &steps[i]
		ps := plannedStep{step: st, in: make([]operand, len(st.node.Input)), out: make([]int, len(st.node.Output))}
		for j, name := range st.node.Input {
			ps.in[j] = resolve(name)
		}
		for j, name := range st.node.Output {
			ps.out[j] = -1
			if name != "" {
				ps.out[j] = slots[name]
			}
		}
		for _, name := range st.release {
			if k, ok := slots[name]; ok && k < p.produced {
				ps.release = append(ps.release, k)
			}
		}
		p.steps[i] = ps
	}
	for _, name := range s.outputs {
		p.outputs = append(p.outputs, resolve(name))
	}
	return p
}

// read returns the tensor op refers to in vals.
func (op operand) read(vals []*tensor.Tensor) *tensor.Tensor {
	if op.slot >= 0 {
		if t := vals[op.slot]; t != nil {
			return t
		}
	}
	return op.fixed
}
