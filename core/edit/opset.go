package edit

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
)

// irForOpset[i] is the IR version the ONNX release that introduced
// default-domain opset i+1 wrote (the versioning table of the ONNX
// specification): an opset needs at least that IR version to be read by
// runtimes that check.
var irForOpset = [...]int64{
	3, 3, 3, 3, 3, 3, 3, 3, // opsets 1-8: IR 3 (ONNX 1.0-1.3)
	4,       // 9: ONNX 1.4
	5,       // 10: 1.5
	6,       // 11: 1.6
	7, 7, 7, // 12-14: 1.7-1.9
	8, 8, 8, 8, // 15-18: 1.10-1.13
	9, 9, // 19-20: 1.14-1.15
	10, 10, // 21-22: 1.16-1.17
	11, // 23: 1.18
}

// MinIRVersion returns the IR version that default-domain opset requires,
// and false for an opset newer than this table (or below 1).
func MinIRVersion(opset int64) (int64, bool) {
	if opset < 1 || opset > int64(len(irForOpset)) {
		return 0, false
	}
	return irForOpset[opset-1], true
}

// SetOpset sets the version of domain ("" or "ai.onnx": the default
// domain) that m imports, adding the import when m has none, and raises
// m's IR version to what that opset requires; it never lowers the IR
// version. It fails for a default-domain opset this package does not know
// the IR version of, rather than write a file runtimes reject.
//
// Only the import changes: nodes whose operator changed meaning between
// the two opsets must be rewritten by the caller.
func SetOpset(m *onnx.Model, domain string, version int64) error {
	if version < 1 {
		return fmt.Errorf("edit: opset version %d of domain %q: versions start at 1", version, onnx.DisplayDomain(domain))
	}
	minIR := int64(3) // opset_import itself arrived with IR 3
	if onnx.IsDefaultDomain(domain) {
		ir, ok := MinIRVersion(version)
		if !ok {
			return fmt.Errorf("edit: opset %d of the default domain is newer than this build knows (up to %d); its IR version is unknown", version, len(irForOpset))
		}
		minIR = ir
	}
	var imp *onnx.OperatorSet
	for _, o := range m.OpsetImport {
		if o != nil && onnx.CanonicalDomain(o.Domain) == onnx.CanonicalDomain(domain) {
			imp = o
			break
		}
	}
	if imp == nil {
		imp = &onnx.OperatorSet{Domain: domain}
		m.OpsetImport = append(m.OpsetImport, imp)
	}
	if imp.Version != version {
		imp.Version = version
	}
	if m.IRVersion < minIR {
		m.IRVersion = minIR
	}
	return nil
}

// RequireOpset makes m import at least version of domain: SetOpset with
// the larger of version and the version m imports already. Inserting an
// operator that needs a given opset (QuantizeLinear's int4 at 21, a
// custom domain's first version) must not lower an import the model's
// other nodes were written against.
func RequireOpset(m *onnx.Model, domain string, version int64) error {
	for _, o := range m.OpsetImport {
		if o != nil && onnx.CanonicalDomain(o.Domain) == onnx.CanonicalDomain(domain) {
			version = max(version, o.Version)
		}
	}
	return SetOpset(m, domain, version)
}
