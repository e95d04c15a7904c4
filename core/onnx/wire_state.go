package onnx

// wireState remembers how a message was laid out on the wire where proto2
// allows more than one encoding (presence of zero-valued optional fields,
// packed or unpacked repeated scalars, field order), so that an untouched
// message re-encodes byte for byte. The zero value means "canonical": fields
// in field-number order, repeated scalars in their schema's default packing,
// zero-valued scalars omitted.
type wireState struct {
	// order lists the fields as they appeared, consecutive values of one
	// field merged into one run (packed chunks are never merged: each chunk
	// was one length-delimited field on the wire).
	order []segment
	// zeroPresent has bit n set when singular field n was present on the
	// wire with its zero value ("" / 0 / empty bytes), which proto2 keeps
	// distinct from absence.
	zeroPresent uint64
}

// segment is one run of fields in wire order.
type segment struct {
	num     int32
	count   int32 // values of a known field, or raw fields when unknown
	packed  bool  // one packed chunk holding count values
	unknown bool  // count consecutive entries of the message's Unknown
}

// fieldInfo describes one field the codec interprets.
type fieldInfo struct {
	num  int32
	name string // the .proto field name, used in error paths
	// packedDefault is set for repeated scalars declared [packed=true]; a
	// new value of such a field is written packed.
	packedDefault bool
}

func (w *wireState) addKnown(num int32, count int, packed bool) {
	if n := len(w.order); n > 0 && !packed {
		last := &w.order[n-1]
		if last.num == num && !last.unknown && !last.packed {
			last.count += int32(count)
			return
		}
	}
	w.order = append(w.order, segment{num: num, count: int32(count), packed: packed})
}

func (w *wireState) addUnknown(num int32) {
	if n := len(w.order); n > 0 {
		last := &w.order[n-1]
		if last.num == num && last.unknown {
			last.count++
			return
		}
	}
	w.order = append(w.order, segment{num: num, count: 1, unknown: true})
}

func (w *wireState) markZero(num int32) {
	if num < 64 {
		w.zeroPresent |= 1 << uint(num)
	}
}

// present reports whether a singular field is to be written: a non-zero
// value always is, a zero value only if it was explicitly present when read.
func (w *wireState) present(num int32, nonZero bool) int {
	if nonZero || (num < 64 && w.zeroPresent&(1<<uint(num)) != 0) {
		return 1
	}
	return 0
}

// wireMessage is implemented by every message type of the codec.
type wireMessage interface {
	fields() []fieldInfo
	// fieldLen is the number of values field num holds now (0 or 1 for a
	// singular field, according to presence).
	fieldLen(num int32) int
	// emitField writes values [from, to) of field num; packed selects the
	// packed encoding of a repeated scalar.
	emitField(e *encoder, num int32, from, to int, packed bool) error
	wireInfo() (*wireState, []RawField)
}

// maxFields bounds the number of interpreted fields of any message type.
const maxFields = 20

// encodeFields writes m following its remembered layout. Values beyond what
// the layout recorded (appended nodes, a field set on a decoded message) are
// written where a canonical serializer would put them relative to the
// recorded runs: appended values right after their field's last run, new
// fields before the first run with a higher field number. Values removed
// since decoding simply shorten their runs.
func encodeFields(e *encoder, m wireMessage) error {
	ws, unknown := m.wireInfo()
	table := m.fields()
	var emitted [maxFields]int
	var lastSeg [maxFields]int
	for i := range table {
		lastSeg[i] = -1
	}
	recordedUnknown := 0
	for si, s := range ws.order {
		if s.unknown {
			recordedUnknown += int(s.count)
			continue
		}
		if fi := fieldIndex(table, s.num); fi >= 0 {
			lastSeg[fi] = si
		}
	}

	// Pending: known fields without any recorded run, and unknown fields
	// beyond the recorded ones, to be inserted by field number.
	nextKnown := 0 // index into table of the next candidate pending field
	extra := unknown[min(recordedUnknown, len(unknown)):]
	var extraDone []bool
	if len(extra) > 0 {
		extraDone = make([]bool, len(extra))
	}
	flush := func(limit int32, all bool) error {
		for {
			// smallest pending known field
			for nextKnown < len(table) && (lastSeg[nextKnown] >= 0 || m.fieldLen(table[nextKnown].num) == 0) {
				nextKnown++
			}
			knownNum := int32(1 << 30)
			if nextKnown < len(table) {
				knownNum = table[nextKnown].num
			}
			// smallest pending unknown field (first in slice order among equals)
			ui, unkNum := -1, int32(1<<30)
			for i, f := range extra {
				if !extraDone[i] && f.Num < unkNum {
					ui, unkNum = i, f.Num
				}
			}
			best := min(knownNum, unkNum)
			if best == 1<<30 || (!all && best >= limit) {
				return nil
			}
			if ui >= 0 && unkNum <= knownNum {
				e.raw(extra[ui].Bytes)
				extraDone[ui] = true
				continue
			}
			info := table[nextKnown]
			if err := m.emitField(e, info.num, 0, m.fieldLen(info.num), info.packedDefault); err != nil {
				return err
			}
			nextKnown++
		}
	}

	ui := 0
	for si, s := range ws.order {
		if err := flush(s.num, false); err != nil {
			return err
		}
		if s.unknown {
			n := min(int(s.count), min(recordedUnknown, len(unknown))-ui)
			for _, f := range unknown[ui : ui+n] {
				e.raw(f.Bytes)
			}
			ui += n
			continue
		}
		fi := fieldIndex(table, s.num)
		if fi < 0 {
			continue // cannot happen for a layout this codec recorded
		}
		have := m.fieldLen(s.num) - emitted[fi]
		n := min(int(s.count), have)
		if si == lastSeg[fi] {
			n = have
		}
		n = max(n, 0)
		if n > 0 || (s.packed && s.count == 0) {
			from := emitted[fi]
			if err := m.emitField(e, s.num, from, from+n, s.packed); err != nil {
				return err
			}
			emitted[fi] += n
		}
	}
	return flush(0, true)
}

func fieldIndex(table []fieldInfo, num int32) int {
	for i := range table {
		if table[i].num == num {
			return i
		}
	}
	return -1
}

func fieldName(table []fieldInfo, num int32) string {
	if i := fieldIndex(table, num); i >= 0 {
		return table[i].name
	}
	return ""
}
