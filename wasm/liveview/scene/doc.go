// Package scene is the live view's model and drawing, free of any graphics
// library: the page sends messages (channel masks from the solver, a
// layer's weight histogram and QIL intervals, loss and accuracy points),
// Apply folds them into a State, and Draw turns the State into a display
// list of rectangles, lines and text that the ebiten front end
// (wasm/liveview) paints. Describe gives the same picture as text, for
// screen readers.
//
// Keeping the scene here lets it be tested natively; ebiten itself runs
// only in a browser.
package scene
