package onnx

// Attr returns the node's attribute with the given name, or nil. Nil
// entries, which Encode accepts in models built by hand, are skipped.
func (n *Node) Attr(name string) *Attribute {
	for _, a := range n.Attribute {
		if a != nil && a.Name == name {
			return a
		}
	}
	return nil
}

// AttrInt returns attribute name as an int64, or def when absent.
func (n *Node) AttrInt(name string, def int64) int64 {
	if a := n.Attr(name); a != nil {
		return a.I
	}
	return def
}

// AttrFloat returns attribute name as a float32, or def when absent.
func (n *Node) AttrFloat(name string, def float32) float32 {
	if a := n.Attr(name); a != nil {
		return a.F
	}
	return def
}

// AttrString returns attribute name as a string, or def when absent.
func (n *Node) AttrString(name string, def string) string {
	if a := n.Attr(name); a != nil {
		return string(a.S)
	}
	return def
}

// AttrInts returns attribute name as []int64, or def when absent.
func (n *Node) AttrInts(name string, def []int64) []int64 {
	if a := n.Attr(name); a != nil {
		return a.Ints
	}
	return def
}

// AttrFloats returns attribute name as []float32, or def when absent.
func (n *Node) AttrFloats(name string, def []float32) []float32 {
	if a := n.Attr(name); a != nil {
		return a.Floats
	}
	return def
}

// OpsetVersion returns the opset version the model imports for domain
// ("" and "ai.onnx" are the same domain), or 0 when it imports none.
func (m *Model) OpsetVersion(domain string) int64 {
	domain = CanonicalDomain(domain)
	for _, o := range m.OpsetImport {
		if o != nil && CanonicalDomain(o.Domain) == domain {
			return o.Version
		}
	}
	return 0
}
