package onnx

// The default ONNX operator domain has two spellings: the empty string
// (what most exporters write) and "ai.onnx" (what the specification also
// allows). Every check of a node's or an opset import's domain goes
// through the two functions below, so that no layer treats the two
// spellings as different operators.

// DefaultDomainName is the explicit spelling of the default domain.
const DefaultDomainName = "ai.onnx"

// IsDefaultDomain reports whether domain names the default ONNX domain
// ("" or "ai.onnx").
func IsDefaultDomain(domain string) bool {
	return domain == "" || domain == DefaultDomainName
}

// CanonicalDomain returns domain with the default domain spelled "", the
// form to use as a map key or to compare domains with ==.
func CanonicalDomain(domain string) string {
	if domain == DefaultDomainName {
		return ""
	}
	return domain
}

// DisplayDomain returns domain as reports show it: the default domain as
// "ai.onnx", any other unchanged.
func DisplayDomain(domain string) string {
	if IsDefaultDomain(domain) {
		return DefaultDomainName
	}
	return domain
}

// OpName names an operator in messages: its op_type alone in the default
// domain, "domain.op_type" in any other.
func OpName(domain, opType string) string {
	if IsDefaultDomain(domain) {
		return opType
	}
	return domain + "." + opType
}
