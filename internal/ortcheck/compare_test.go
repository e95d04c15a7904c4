package ortcheck

import "testing"

// TestCompare: the top classes, the disagreements, the largest difference
// against onnxruntime's range, and the tolerance relative to that range.
func TestCompare(t *testing.T) {
	pare := []float32{1, 5, 2, 9, 0, 3}
	ort := []float32{1, 5, 2.00001, 0, 9, 3}
	r, err := compare(pare, ort, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Images != 2 || r.PareTop[0] != 1 || r.OrtTop[0] != 1 || r.PareTop[1] != 0 || r.OrtTop[1] != 1 {
		t.Fatalf("%+v", r)
	}
	if d := r.Disagreements(); len(d) != 1 || d[0] != 1 {
		t.Fatalf("disagreements %v", d)
	}
	if r.MaxAbsDiff != 9 || r.LogitRange != 9 || r.Within() || r.Beyond != 1 {
		t.Fatalf("diff %v range %v within %v, %d images beyond", r.MaxAbsDiff, r.LogitRange, r.Within(), r.Beyond)
	}
	close, _ := compare([]float32{100, 0}, []float32{100.005, 0}, 1)
	if !close.Within() {
		t.Errorf("5e-3 over a range of 100 is outside the tolerance")
	}
	if _, err := compare(pare, ort[:4], 2); err == nil {
		t.Error("logit counts that differ were accepted")
	}
}
