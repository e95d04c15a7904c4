//go:build js && wasm

package main

import (
	"image/color"
	"sync"
	"syscall/js"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/ebitenutil"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"github.com/pare-ml/pare/wasm/liveview/scene"
)

// view is the ebiten game: the scene state, fed by messages from the
// page (on the JS event loop) and drawn every frame.
type view struct {
	mu    sync.Mutex
	state *scene.State
	w, h  int
	text  *ebiten.Image // glyphs of the debug font, white, tinted when drawn
	said  int           // the state version last described to the page
}

func main() {
	v := &view{state: scene.NewState(), w: 800, h: 600}
	origin := js.Global().Get("location").Get("origin").String()
	js.Global().Call("addEventListener", "message", js.FuncOf(func(_ js.Value, args []js.Value) any {
		e := args[0]
		// Only the page that embeds the view may drive it.
		if e.Get("origin").String() != origin || e.Get("data").Type() != js.TypeString {
			return nil
		}
		m, err := scene.Decode([]byte(e.Get("data").String()))
		if err != nil {
			post(origin, map[string]any{"type": "liveview-error", "message": err.Error()})
			return nil
		}
		v.mu.Lock()
		v.state.Apply(m)
		v.mu.Unlock()
		return nil
	}))
	ebiten.SetWindowTitle("Pare live view")
	ebiten.SetRunnableOnUnfocused(true)
	post(origin, map[string]any{"type": "liveview-ready"})
	if err := ebiten.RunGame(&gameAdapter{v: v, origin: origin}); err != nil {
		post(origin, map[string]any{"type": "liveview-error", "message": err.Error()})
	}
}

// post sends a message to the embedding page.
func post(origin string, msg map[string]any) {
	if p := js.Global().Get("parent"); p.Truthy() {
		p.Call("postMessage", js.ValueOf(msg), origin)
	}
}

type gameAdapter struct {
	v      *view
	origin string
}

func (g *gameAdapter) Update() error {
	v := g.v
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case inpututil.IsKeyJustPressed(ebiten.KeyArrowRight), inpututil.IsKeyJustPressed(ebiten.KeyArrowDown):
		v.state.Select(1)
	case inpututil.IsKeyJustPressed(ebiten.KeyArrowLeft), inpututil.IsKeyJustPressed(ebiten.KeyArrowUp):
		v.state.Select(-1)
	}
	if v.state.Version != v.said {
		v.said = v.state.Version
		post(g.origin, map[string]any{"type": "liveview-text", "text": scene.Describe(v.state), "version": v.said})
	}
	return nil
}

func (g *gameAdapter) Draw(screen *ebiten.Image) {
	v := g.v
	v.mu.Lock()
	list := scene.Draw(v.state, v.w, v.h)
	v.mu.Unlock()
	for _, r := range list.Rects {
		vector.DrawFilledRect(screen, float32(r.X), float32(r.Y), float32(r.W), float32(r.H), rgba(r.Fill), false)
	}
	for _, l := range list.Lines {
		vector.StrokeLine(screen, float32(l.X0), float32(l.Y0), float32(l.X1), float32(l.Y1), float32(l.Width), rgba(l.Colour), true)
	}
	// The debug font is white: print onto a clear layer and tint it.
	if v.text == nil || v.text.Bounds().Dx() != v.w || v.text.Bounds().Dy() != v.h {
		v.text = ebiten.NewImage(v.w, v.h)
	}
	v.text.Clear()
	for _, t := range list.Texts {
		ebitenutil.DebugPrintAt(v.text, t.S, t.X, t.Y)
	}
	op := &ebiten.DrawImageOptions{}
	op.ColorScale.Scale(float32(scene.Ink.R)/255, float32(scene.Ink.G)/255, float32(scene.Ink.B)/255, 1)
	screen.DrawImage(v.text, op)
}

func (g *gameAdapter) Layout(w, h int) (int, int) {
	g.v.mu.Lock()
	g.v.w, g.v.h = w, h
	g.v.mu.Unlock()
	return w, h
}

func rgba(c scene.RGBA) color.RGBA { return color.RGBA{c.R, c.G, c.B, c.A} }
