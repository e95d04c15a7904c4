package edit

import "github.com/pare-ml/pare/core/onnx"

// SetMetadata sets the model's metadata_props entry key to value, in
// place when the key is there (the first entry, any later duplicates
// removed), appended otherwise: a tool that rewrites its own record (a
// pruning recipe, a quantization recipe) leaves one entry, where the
// user's other entries were.
func SetMetadata(m *onnx.Model, key, value string) {
	found := false
	kept := m.MetadataProps[:0]
	for _, e := range m.MetadataProps {
		if e == nil {
			continue
		}
		if e.Key == key {
			if found {
				continue
			}
			e.Value, found = value, true
		}
		kept = append(kept, e)
	}
	m.MetadataProps = kept
	if !found {
		m.MetadataProps = append(m.MetadataProps, &onnx.StringEntry{Key: key, Value: value})
	}
}
