package dataset

import "fmt"

// CheckClasses returns an error when an image's label is beyond the classes
// a model scores (classes outputs): such a set was made for another model,
// and evaluating or training on it would count every such image wrong, or
// grow a confusion matrix to classes the model does not have. Every format
// goes through this one check.
func (s *Set) CheckClasses(classes int) error {
	if classes < 1 {
		return fmt.Errorf("dataset: the model scores %d classes; an image classifier needs at least 1", classes)
	}
	for i, l := range s.Labels {
		if l >= classes {
			name := ""
			if l < len(s.Classes) && s.Classes[l] != fmt.Sprint(l) {
				name = fmt.Sprintf(" (%q)", s.Classes[l])
			}
			return fmt.Errorf("dataset: %s: image %d has label %d%s but the model scores only %d classes (labels 0..%d); this data set (%d classes) was made for another model",
				displayPath(s.Source), i, l, name, classes, classes-1, s.numClasses())
		}
	}
	return nil
}

// numClasses is the class count the set itself declares (at least one more
// than its largest label).
func (s *Set) numClasses() int {
	n := len(s.Classes)
	for _, l := range s.Labels {
		n = max(n, l+1)
	}
	return n
}
