package exec

import "testing"

// The unsupported-operator message is what a user reads when a model
// cannot run; these pin its exact wording and layout.
func TestUnsupportedErrorMessageAsUserSeesIt(t *testing.T) {
	cases := []struct {
		ops  []UnsupportedOp
		want string
	}{
		{
			[]UnsupportedOp{{Node: "attn", OpType: "Attention", Opset: 17}},
			"Pare cannot run this model: 1 unsupported operator (1 node): Attention (opset 17) at node 'attn' — re-export the model without it (another opset or exporter option often replaces it with supported ops) or ask for support",
		},
		{
			[]UnsupportedOp{
				{Node: "norm1", OpType: "FancyNorm", Opset: 13},
				{Node: "z", OpType: "FusedConv", Domain: "com.microsoft"},
				{Node: "norm2", OpType: "FancyNorm", Opset: 13},
			},
			"Pare cannot run this model: 2 unsupported operators (3 nodes): FancyNorm (opset 13) at nodes 'norm1', 'norm2'; com.microsoft.FusedConv (domain not imported by the model) at node 'z' — re-export the model without them (another opset or exporter option often replaces them with supported ops) or ask for support",
		},
	}
	for _, c := range cases {
		if got := (&UnsupportedError{Ops: c.ops}).Error(); got != c.want {
			t.Errorf("message:\n got  %s\n want %s", got, c.want)
		}
	}
}
