package graph

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
)

// ShapeRule computes the output values (dtype and dims; Const may stay
// nil) of a node of a custom domain from its input values, which are nil
// for omitted optional inputs. opset is the model's version of the node's
// domain. It returns an error for inputs it cannot handle, never panics.
type ShapeRule func(n *onnx.Node, opset int64, in []*Value) ([]*Value, error)

type customRule struct {
	minOpset, maxOpset int64
	rule               ShapeRule
}

// customRules holds the shape rules of custom-domain operators by
// domain and op_type.
var customRules = map[[2]string][]customRule{}

// RegisterShapeRule adds the shape rule of an operator of a custom domain
// for opsets minOpset..maxOpset of that domain (maxOpset 0: no upper
// limit), normally through core/custom. The default domain, and a range
// overlapping one already registered, are errors: a registration never
// shadows another.
func RegisterShapeRule(domain, opType string, minOpset, maxOpset int64, r ShapeRule) error {
	if onnx.IsDefaultDomain(domain) {
		return fmt.Errorf("graph: %s is in the default ONNX domain; custom shape rules need a domain of their own", opType)
	}
	if r == nil {
		return fmt.Errorf("graph: %s.%s: the shape rule is nil", domain, opType)
	}
	if minOpset < 1 || (maxOpset != 0 && maxOpset < minOpset) {
		return fmt.Errorf("graph: %s.%s: opset range %d..%d is empty or starts below 1", domain, opType, minOpset, maxOpset)
	}
	k := [2]string{domain, opType}
	for _, c := range customRules[k] {
		if (c.maxOpset == 0 || minOpset <= c.maxOpset) && (maxOpset == 0 || c.minOpset <= maxOpset) {
			return fmt.Errorf("graph: a shape rule for %s.%s is already registered for an opset range overlapping %d..%d", domain, opType, minOpset, maxOpset)
		}
	}
	customRules[k] = append(customRules[k], customRule{minOpset, maxOpset, r})
	return nil
}

// HasShapeRule reports whether a custom-domain operator has a shape rule
// at the given opset of its domain.
func HasShapeRule(domain, opType string, opset int64) bool {
	return customRuleFor(domain, opType, opset) != nil
}

func customRuleFor(domain, opType string, opset int64) ShapeRule {
	for _, c := range customRules[[2]string{domain, opType}] {
		if opset >= c.minOpset && (c.maxOpset == 0 || opset <= c.maxOpset) {
			return c.rule
		}
	}
	return nil
}

// adapt makes a registered rule callable like a built-in one.
func (r ShapeRule) adapt(opset int64) rule {
	return func(c *nodeCtx) ([]*Value, error) { return r(c.n, opset, c.in) }
}
