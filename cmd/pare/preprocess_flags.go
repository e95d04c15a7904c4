package main

import (
	"flag"
	"strconv"
	"strings"

	"github.com/pare-ml/pare/core/dataset"
)

// preprocessFlags are the four flags that say how raw pixels become the
// model's input (--scale, --mean, --std, --channel-order), one group for
// every command that reads images, so their names, help and checks
// cannot drift apart.
type preprocessFlags struct {
	scale     ratio
	mean, std floatList
	order     string
}

// preprocessFlagNames are the group's flag names.
var preprocessFlagNames = []string{"scale", "mean", "std", "channel-order"}

// register adds the group to fs; context, when not empty, starts each
// help text ("with --data").
func (p *preprocessFlags) register(fs *flag.FlagSet, context string) {
	help := func(s string) string {
		if context == "" {
			return s
		}
		return context + ": " + s
	}
	p.scale = 1
	fs.Var(&p.scale, "scale", help("multiply raw pixel values (0..255) by this, a number or a fraction (1/255 gives 0..1)"))
	fs.Var(&p.mean, "mean", help("per-channel mean subtracted after scaling (one value or one per channel)"))
	fs.Var(&p.std, "std", help("per-channel std divided by after the mean (one value or one per channel)"))
	fs.StringVar(&p.order, "channel-order", "RGB", help("channel order of the model's input: RGB or BGR"))
}

// check refuses values no image can be preprocessed with.
func (p *preprocessFlags) check() error {
	return checkPreprocessFlags(float64(p.scale), p.order, p.std)
}

// apply sets pre's pixel transform from the flags, keeping its shape.
func (p *preprocessFlags) apply(pre dataset.Preprocess) dataset.Preprocess {
	pre.Scale = float32(p.scale)
	pre.Mean, pre.Std = p.mean, p.std
	pre.ChannelOrder = strings.ToUpper(p.order)
	return pre
}

// preprocess is the transform alone (the shape comes from the model).
func (p *preprocessFlags) preprocess() dataset.Preprocess {
	return p.apply(dataset.Preprocess{})
}

// args are the flags as another command's arguments.
func (p *preprocessFlags) args() []string {
	a := []string{"--scale", strconv.FormatFloat(float64(p.scale), 'g', -1, 64), "--channel-order", p.order}
	if len(p.mean) > 0 {
		a = append(a, "--mean", p.mean.String())
	}
	if len(p.std) > 0 {
		a = append(a, "--std", p.std.String())
	}
	return a
}
