package onnx

import "fmt"

// The newest versions this code was written against (ONNX 1.18): a model
// claiming later ones still loads, since most later changes add fields and
// ops, but its user is told the results rest on that assumption.
const (
	KnownIRVersion = 11
	KnownOpset     = 23
)

// VersionWarnings describes the versions m claims beyond what Pare knows,
// one sentence each; nil when there are none.
func (m *Model) VersionWarnings() []string {
	var w []string
	if m.IRVersion > KnownIRVersion {
		w = append(w, fmt.Sprintf("the model claims IR version %d; Pare knows IR versions up to %d, so fields added since are kept but ignored", m.IRVersion, KnownIRVersion))
	}
	for _, o := range m.OpsetImport {
		if o != nil && IsDefaultDomain(o.Domain) && o.Version > KnownOpset {
			w = append(w, fmt.Sprintf("the model imports ONNX opset %d; Pare knows opsets up to %d and runs each op with the newest semantics it has", o.Version, KnownOpset))
		}
	}
	return w
}
