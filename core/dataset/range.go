package dataset

import (
	"fmt"
	"strconv"
)

// ImageRangeMax is the largest value of a pixel in an image file (8 bits):
// the range models trained on images see, after their scale.
const ImageRangeMax = 255

// RangeNote says when the set's pixel values do not span 0..255, the
// range a model trained on image files saw: a scikit-learn digits CSV
// holds 0..16, so an MNIST model given it at the scale meant for 0..255
// sees almost-black images and scores near chance, with nothing else to
// warn the user. It returns "" when the ranges agree. The advice names
// the scale that maps the set's range onto 0..255 at the current scale.
func RangeNote(s *Set, p Preprocess) string {
	if s.PixelMax <= 0 || s.PixelMax == ImageRangeMax {
		return ""
	}
	scale := p.Scale
	if scale == 0 {
		scale = 1
	}
	fitted := float64(scale) * ImageRangeMax / float64(s.PixelMax)
	return fmt.Sprintf("the pixel values run 0..%d, not 0..%d as in image files: at scale %s the model sees 0..%s; "+
		"if it was trained on 8-bit images, set the scale to %s (%d/%d of the current one)",
		s.PixelMax, ImageRangeMax, formatNumber(float64(scale)), formatNumber(float64(scale)*float64(s.PixelMax)),
		formatNumber(fitted), ImageRangeMax, s.PixelMax)
}

// formatNumber writes a float with at most six significant digits.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
