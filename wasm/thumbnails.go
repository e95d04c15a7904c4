package main

// thumbnailSide bounds a thumbnail's longer side; larger images are
// sampled down (nearest pixel: these are glances, not figures).
const thumbnailSide = 64

// maxThumbnails bounds one request, so a set with thousands of mistakes
// does not send them all.
const maxThumbnails = 200

// Thumbnail places one image inside the reply's blob of RGBA pixels.
type Thumbnail struct {
	Index  int `json:"index"`
	Width  int `json:"width"`
	Height int `json:"height"`
	Offset int `json:"offset"`
}

// Thumbnails returns small RGBA copies of the images at indices: the
// value lists where each sits in the blob.
func (s *Service) Thumbnails(indices []int) (Reply, error) {
	if s.data == nil {
		return Reply{}, userErrorf("no-data", "Open labelled images first.")
	}
	if len(indices) > maxThumbnails {
		indices = indices[:maxThumbnails]
	}
	scale := 255.0 / float64(max(s.data.PixelMax, 1))
	var blob []byte
	thumbs := []Thumbnail{}
	for _, idx := range indices {
		img, err := s.data.Image(idx)
		if err != nil {
			return Reply{}, userErrorf("bad-request", "no image %d: %v", idx, err)
		}
		step := max(1, (max(img.H, img.W)+thumbnailSide-1)/thumbnailSide)
		w, h := (img.W+step-1)/step, (img.H+step-1)/step
		t := Thumbnail{Index: idx, Width: w, Height: h, Offset: len(blob)}
		plane := img.H * img.W
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p := (y*step)*img.W + x*step
				var r, g, b byte
				if img.C >= 3 {
					r, g, b = pixel(img.Pix[p], scale), pixel(img.Pix[plane+p], scale), pixel(img.Pix[2*plane+p], scale)
				} else {
					r = pixel(img.Pix[p], scale)
					g, b = r, r
				}
				blob = append(blob, r, g, b, 255)
			}
		}
		thumbs = append(thumbs, t)
	}
	return Reply{Value: thumbs, Blob: blob}, nil
}

func pixel(v uint8, scale float64) byte {
	return byte(min(255, float64(v)*scale+0.5))
}
