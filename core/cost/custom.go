package cost

import (
	"fmt"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// MACsFunc counts the multiply-accumulates of one node of a custom domain
// from its inferred input and output values (nil for omitted ones).
type MACsFunc func(n *onnx.Node, in, out []*graph.Value) (int64, error)

type customMACs struct {
	minOpset, maxOpset int64
	fn                 MACsFunc
}

var customCosts = map[[2]string][]customMACs{}

// RegisterMACs sets how Analyze counts a custom-domain operator at opsets
// minOpset..maxOpset (maxOpset 0: no upper limit); an operator without
// one costs 0 MACs. The default domain and an overlapping range are
// errors, as for the other registries (normally reached through
// core/custom).
func RegisterMACs(domain, opType string, minOpset, maxOpset int64, fn MACsFunc) error {
	if onnx.IsDefaultDomain(domain) {
		return fmt.Errorf("cost: %s is in the default ONNX domain; custom costs need a domain of their own", opType)
	}
	if fn == nil {
		return fmt.Errorf("cost: %s.%s: the MACs function is nil", domain, opType)
	}
	if minOpset < 1 || (maxOpset != 0 && maxOpset < minOpset) {
		return fmt.Errorf("cost: %s.%s: opset range %d..%d is empty or starts below 1", domain, opType, minOpset, maxOpset)
	}
	k := [2]string{domain, opType}
	for _, c := range customCosts[k] {
		if (c.maxOpset == 0 || minOpset <= c.maxOpset) && (maxOpset == 0 || c.minOpset <= maxOpset) {
			return fmt.Errorf("cost: MACs of %s.%s are already registered for an opset range overlapping %d..%d", domain, opType, minOpset, maxOpset)
		}
	}
	customCosts[k] = append(customCosts[k], customMACs{minOpset, maxOpset, fn})
	return nil
}

// HasMACs reports whether a custom-domain operator has a registered MACs
// function at the given opset of its domain.
func HasMACs(domain, opType string, opset int64) bool {
	return customMACsFor(domain, opType, opset) != nil
}

func customMACsFor(domain, opType string, opset int64) MACsFunc {
	for _, c := range customCosts[[2]string{domain, opType}] {
		if opset >= c.minOpset && (c.maxOpset == 0 || opset <= c.maxOpset) {
			return c.fn
		}
	}
	return nil
}

// customNodeMACs is nodeMACs for a node of a custom domain.
func customNodeMACs(n *onnx.Node, s *graph.Shapes, opset int64) (int64, error) {
	fn := customMACsFor(n.Domain, n.OpType, opset)
	if fn == nil {
		return 0, nil
	}
	values := func(names []string) []*graph.Value {
		vs := make([]*graph.Value, len(names))
		for i, name := range names {
			if name != "" {
				vs[i] = s.Of(name)
			}
		}
		return vs
	}
	macs, err := fn(n, values(n.Input), values(n.Output))
	if err == nil && macs < 0 {
		err = fmt.Errorf("the registered MACs of %s.%s are negative (%d)", n.Domain, n.OpType, macs)
	}
	return macs, err
}
